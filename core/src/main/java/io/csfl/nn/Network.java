package io.csfl.nn;

import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorOps;
import io.csfl.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A sequence of layers with its parameters, gradients and activation buffers for batches of up
 * to {@code maxBatch} samples. Mutable and single-threaded: one per training run or evaluator.
 */
final class Network {
  private final List<Layer> layers;
  private final ModelSpec spec;
  private final float[][] params;
  private final float[][] grads;
  /** Whether the last optimiser step left every gradient zero, so the next backward pass need not zero them first. */
  private boolean gradsClear;
  private final int classes;
  private final int maxBatch;
  /** activations[0] is the input, activations[i + 1] the output of layer i. */
  private final float[][] activations;
  private final float[][] activationGrads;
  private final int[] labels;

  Network(List<Layer> layers, int maxBatch) {
    this.layers = List.copyOf(layers);
    this.maxBatch = maxBatch;
    this.spec = specOf(layers);
    List<TensorSpec> specs = spec.tensors();
    this.params = new float[specs.size()][];
    this.grads = new float[specs.size()][];
    int t = 0;
    for (Layer l : layers) {
      int n = l.parameters().size();
      float[][] p = new float[n][];
      float[][] g = new float[n][];
      for (int i = 0; i < n; i++, t++) {
        params[t] = p[i] = new float[specs.get(t).size()];
        grads[t] = g[i] = new float[specs.get(t).size()];
      }
      l.bind(p, g);
    }
    this.activations = new float[layers.size() + 1][];
    this.activationGrads = new float[layers.size() + 1][];
    activations[0] = new float[batchBuffer(maxBatch, layers.get(0).inputSize())];
    for (int i = 0; i < layers.size(); i++) {
      activations[i + 1] = new float[batchBuffer(maxBatch, layers.get(i).outputSize())];
      activationGrads[i + 1] = new float[batchBuffer(maxBatch, layers.get(i).outputSize())];
    }
    this.classes = layers.get(layers.size() - 1).outputSize();
    this.labels = new int[maxBatch];
  }

  /** The names and shapes of {@code layers}' parameter tensors, in layer order, without allocating them. */
  static ModelSpec specOf(List<Layer> layers) {
    List<TensorSpec> specs = new ArrayList<>();
    for (Layer l : layers) {
      specs.addAll(l.parameters());
    }
    return ModelSpec.of(specs);
  }

  /** The length of a buffer of {@code batch} rows of {@code width} values; a batch too large for one array is refused. */
  private static int batchBuffer(int batch, int width) {
    long length = (long) batch * width;
    if (length > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a batch of " + batch + " samples of " + width + " values each does not fit one array");
    }
    return (int) length;
  }

  /**
   * The names and shapes of the parameter tensors, in layer order: what {@link #load} accepts and
   * {@link #snapshot()} produces.
   */
  public ModelSpec spec() {
    return spec;
  }

  /** The largest batch the buffers hold: a {@code batch} argument must not exceed it. */
  public int maxBatch() {
    return maxBatch;
  }

  /** Features per sample of the first layer: the row length of {@link #inputBuffer()}. */
  public int inputSize() {
    return layers.get(0).inputSize();
  }

  /** The number of classes the network predicts: its last layer's outputs. */
  int classes() {
    return classes;
  }

  /** Where callers write a batch of inputs, one row per sample. */
  public float[] inputBuffer() {
    return activations[0];
  }

  /** Where callers write the labels of that batch. */
  public int[] labelBuffer() {
    return labels;
  }

  /** Draws fresh parameters (He-initialised weights, zero biases), deterministically for {@code seed}. */
  public void initialize(long seed) {
    Random rng = new Random(seed);
    for (Layer l : layers) {
      l.initialize(rng);
    }
  }

  /**
   * Copies {@code model}'s values into the parameters; the network keeps no reference to it.
   *
   * @throws IllegalArgumentException if {@code model}'s spec is not {@link #spec()}
   */
  public void load(Model model) {
    if (!model.spec().equals(spec)) {
      throw new IllegalArgumentException("model " + model.spec() + " does not fit network " + spec);
    }
    for (int t = 0; t < params.length; t++) {
      model.tensor(t).copyTo(params[t], 0);
    }
  }

  /** Zeroes every parameter outside the masks of {@code keep}; unmasked tensors are untouched. */
  public void zeroOutside(MaskSet keep) {
    for (int t = 0; t < params.length; t++) {
      int tensor = t;
      keep.mask(t).ifPresent(mask -> TensorOps.applyMask(params[tensor], mask));
    }
  }

  /** A copy of the current parameters, unaffected by later training. */
  public Model snapshot() {
    return Model.copyOf(spec, params);
  }

  private float[] forward(int batch) {
    for (int i = 0; i < layers.size(); i++) {
      layers.get(i).forward(activations[i], activations[i + 1], batch);
    }
    return activations[layers.size()];
  }

  /**
   * Forward pass on the input buffer; turns the output into class probabilities and returns the
   * summed loss. {@code correct[0]} receives the number of arg-max hits when non-null.
   *
   * @throws IllegalArgumentException if {@code batch} is not in 1 to {@link #maxBatch()}
   */
  public double evaluateBatch(int batch, int[] correct) {
    requireBatch(batch);
    float[] probs = forward(batch);
    double loss = SoftmaxCrossEntropy.softmaxInPlace(probs, labels, batch, classes);
    if (correct != null) {
      int hits = 0;
      for (int s = 0; s < batch; s++) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
          if (probs[s * classes + c] > probs[s * classes + best]) {
            best = c;
          }
        }
        if (best == labels[s]) {
          hits++;
        }
      }
      correct[0] = hits;
    }
    return loss;
  }

  /**
   * A batch must fit the buffers: a larger one would write past a layer's rows (or, if the
   * buffers happened to be large enough, read samples that are not in the batch).
   */
  private void requireBatch(int batch) {
    if (batch < 1 || batch > maxBatch) {
      throw new IllegalArgumentException("a batch of " + batch + " samples does not fit this network, built for batches of 1 to "
          + maxBatch);
    }
  }

  /** Forward, backward and gradient only: the summed loss, gradients left in place. */
  double computeGradients(int batch) {
    requireBatch(batch);
    if (!gradsClear) {
      for (float[] g : grads) {
        java.util.Arrays.fill(g, 0f);
      }
    }
    gradsClear = false;
    double loss = evaluateBatch(batch, null);
    int last = layers.size();
    SoftmaxCrossEntropy.gradient(activations[last], labels, batch, classes, activationGrads[last]);
    for (int i = last - 1; i >= 0; i--) {
      // The input of the first layer needs no gradient: skipping it saves the largest matmul.
      float[] dIn = i == 0 ? null : activationGrads[i];
      layers.get(i).backward(activations[i], activations[i + 1], activationGrads[i + 1], dIn, batch);
    }
    return loss;
  }

  /**
   * One optimiser step on the batch in the input and label buffers; returns its summed loss.
   *
   * @throws IllegalArgumentException if {@code batch} is not in 1 to {@link #maxBatch()}, before any change
   */
  public double trainBatch(int batch, Optimizer optimizer) {
    double loss = computeGradients(batch);
    if (optimizer instanceof ClearingOptimizer clearing) {
      clearing.stepAndClear(params, grads);
      gradsClear = true;
    } else {
      optimizer.step(params, grads);
    }
    return loss;
  }

  /** The layers in order, for tests that compare two networks' structure. */
  List<Layer> layers() {
    return layers;
  }

  float[][] params() {
    return params;
  }

  float[][] grads() {
    return grads;
  }
}
