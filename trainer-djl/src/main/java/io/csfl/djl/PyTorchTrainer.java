package io.csfl.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import io.csfl.data.Dataset;
import io.csfl.internal.data.Shuffle;
import io.csfl.nn.Architecture;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.Optimizer;
import io.csfl.nn.TrainingConfig;
import io.csfl.nn.TrainingResult;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A {@link LocalTrainer} that runs the Java engine's training loop on PyTorch: the same model
 * (an {@link Architecture}'s tensors, in CSFL's layouts on the way in and out), the same example
 * order for a seed, batch size, softmax cross-entropy loss and optimiser as {@link NetworkTrainer}.
 * PyTorch computes each step's forward and backward passes; the optimiser's update is CSFL's own,
 * in Java, on the parameters in PyTorch's layouts. Results agree with the Java engine's closely
 * but not to the bit, since PyTorch sums in its own order.
 *
 * <p>Each call works in arrays of its own, freed when it returns, and PyTorch's autograd state is
 * per thread, so client actors may call one trainer at the same time. Deterministic for a seed as
 * long as PyTorch runs its operators on one thread, the engine's default.
 */
public final class PyTorchTrainer implements LocalTrainer {
  private final Architecture architecture;
  private final TorchNet net;
  private final int features;
  private final int classes;
  private final TrainingConfig config;

  /**
   * A trainer of {@code architecture}, built for examples of {@code shape} and {@code classes} classes, under
   * {@code config}. Loads PyTorch on first use.
   *
   * @throws IllegalArgumentException if the architecture is not one this engine can build for that data
   */
  public PyTorchTrainer(Architecture architecture, int[] shape, int classes, TrainingConfig config) {
    PyTorchEngine.configure();
    this.architecture = architecture;
    this.net = TorchNet.of(architecture, shape, classes);
    this.features = Arrays.stream(shape).reduce(1, Math::multiplyExact);
    this.classes = classes;
    this.config = config;
  }

  @Override
  public ModelSpec spec() {
    return net.spec();
  }

  @Override
  public TrainingResult train(Model start, Dataset data, int[] examples, long seed) {
    return run(start, new float[spec().tensorCount()][], data, examples, seed);
  }

  /** Pruned weights are held at zero in PyTorch's layout: the masks are moved as the weights are. */
  @Override
  public TrainingResult trainPruned(Model start, MaskSet keep, Dataset data, int[] examples, long seed) {
    keep.requireFits(spec());
    float[][] masks = new float[spec().tensorCount()][];
    for (int t = 0; t < masks.length; t++) {
      int tensor = t;
      masks[t] = keep.mask(t).map(m -> net.toTorchLayout(tensor, ones(m))).orElse(null);
    }
    return run(start, masks, data, examples, seed);
  }

  /** Trains with the weights where {@code masks} (null for an unmasked tensor) hold 0 kept at zero. */
  private TrainingResult run(Model start, float[][] masks, Dataset data, int[] examples, long seed) {
    if (examples.length == 0) {
      throw new IllegalArgumentException("a client with no examples cannot train");
    }
    if (data.features() != features || data.classes() != classes) {
      throw new IllegalArgumentException("dataset " + data.name() + " has " + data.features() + " features and "
          + data.classes() + " classes, but model " + architecture + " reads " + features + " features and predicts "
          + classes + " classes");
    }
    long started = System.nanoTime();
    int batchSize = config.batchSize();
    float[] x = new float[batchSize * features];
    int[] y = new int[batchSize];
    float[][] params = load(start);
    zeroOutside(params, masks);
    Optimizer optimizer = config.optimizer().create();
    Loss loss = new SoftmaxCrossEntropyLoss();
    int[] order = examples.clone();
    Random rng = new Random(seed);
    double lossSum = 0;
    int seen = 0;
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), PyTorchEngine.DJL_ENGINE)) {
      for (int epoch = 0; epoch < config.epochs(); epoch++) {
        Shuffle.inPlace(order, rng);
        for (int from = 0; from < order.length; from += batchSize) {
          config.checkTime(started, epoch);
          int batch = Math.min(batchSize, order.length - from);
          data.fill(order, from, batch, x, y);
          lossSum += step(manager, params, masks, optimizer, loss, x, y, batch);
          seen += batch;
        }
      }
    }
    return new TrainingResult(net.snapshot(params), lossSum / seen, examples.length);
  }

  /** {@code start}'s tensors in PyTorch's layouts, as {@link #step} takes them. */
  float[][] load(Model start) {
    return net.load(start);
  }

  /**
   * One optimiser step on the first {@code batch} examples of {@code x} and {@code y}, with the weights where
   * {@code masks} hold 0 kept at zero; returns their summed loss. The body of the training loop, also timed by
   * {@link TrainingThroughput}.
   */
  double step(NDManager manager, float[][] params, float[][] masks, Optimizer optimizer, Loss loss, float[] x,
      int[] y, int batch) {
    float[][] grads = new float[params.length][];
    double summed = gradients(manager, params, loss, x, y, batch, grads);
    optimizer.step(params, grads);
    // Momentum would move pruned weights off zero: put them back after every step.
    zeroOutside(params, masks);
    return summed;
  }

  /**
   * Forward and backward on PyTorch for the first {@code batch} examples of {@code x} and {@code y}: fills
   * {@code grads} with the gradients of their mean loss, in the layouts of {@code params}, and returns their summed
   * loss. Every array of the step is freed when it returns.
   */
  private double gradients(NDManager manager, float[][] params, Loss loss, float[] x, int[] y, int batch, float[][] grads) {
    long[] labels = new long[batch];
    for (int s = 0; s < batch; s++) {
      labels[s] = y[s];
    }
    // Autograd is switched on for this thread only: DJL's GradientCollector admits one at a time in a JVM,
    // and the clients of a JVM train at the same time.
    boolean gradMode = JniUtils.isGradMode();
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      List<NDArray> weights = net.arrays(manager, params, true);
      NDArray input = TorchNet.owned(manager.create(FloatBuffer.wrap(x, 0, batch * features), net.inputShape(batch)));
      JniUtils.setGradMode(true);
      NDArray meanLoss = loss.evaluate(new NDList(TorchNet.owned(manager.create(labels))), new NDList(net.forward(input, weights)));
      JniUtils.backward((PtNDArray) meanLoss, (PtNDArray) manager.ones(meanLoss.getShape()), false, false);
      for (int t = 0; t < grads.length; t++) {
        grads[t] = weights.get(t).getGradient().toFloatArray();
      }
      return (double) meanLoss.getFloat() * batch;
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  private static float[] ones(Mask mask) {
    float[] a = new float[mask.length()];
    for (int i : mask.positions()) {
      a[i] = 1f;
    }
    return a;
  }

  private static void zeroOutside(float[][] params, float[][] masks) {
    for (int t = 0; t < params.length; t++) {
      for (int i = 0; masks[t] != null && i < params[t].length; i++) {
        if (masks[t][i] == 0f) {
          params[t][i] = 0f;
        }
      }
    }
  }

  @Override
  public String toString() {
    return "PyTorchTrainer(" + architecture + ", " + config + ")";
  }
}
