package io.csfl.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import io.csfl.data.FashionMnist;
import io.csfl.data.RepositoryData;
import io.csfl.data.Splits;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.nn.TrainingResult;
import io.csfl.tensor.Model;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The convolutions of the PyTorch engine give the right gradients, whichever way each is computed. */
class ConvolutionTest {
  private static final int[] IMAGE = {1, 28, 28};
  private static Splits data;

  @BeforeAll
  static void load() {
    PyTorchEngine.configure();
    data = FashionMnist.splits(Optional.of(RepositoryData.fashionMnistDir()));
  }

  /**
   * A network's gradients on batches of real Fashion-MNIST are those of the same network with every convolution
   * after the first computed tap by tap: small channel counts (where PyTorch's own input gradient can be wrong),
   * both paddings, and the cnn preset.
   */
  @Test
  void laterConvolutionsPassOnTheGradientOfTapByTap() {
    for (String layers : List.of("conv:6:3,pool:3,conv:4:3:valid,dense:16,dense:10",
        "conv:2:3,pool:2,conv:3:5,pool:2,conv:4:3,dense:10", "cnn")) {
      Architecture a = Architecture.byName(layers, IMAGE, 10);
      TorchNet net = TorchNet.of(a, IMAGE, 10);
      float[][] params = net.load(a.initialModel(3));
      for (int batch = 0; batch < 3; batch++) {
        int size = batch == 2 ? 7 : 32;
        int[] examples = IntStream.range(100 * batch, 100 * batch + size).toArray();
        float[][] used = gradients(net, params, examples, false);
        float[][] taps = gradients(net, params, examples, true);
        for (int t = 0; t < used.length; t++) {
          assertClose(taps[t], used[t], layers + ", batch " + batch + ", " + a.spec().tensor(t).name());
        }
      }
    }
  }

  /** Many steps of the cnn preset give the Java engine's training losses, and a finite model. */
  @Test
  void theCnnTrainsAsOnTheJavaEngineForManySteps() {
    Architecture a = Architecture.cnn();
    int[] examples = IntStream.range(0, 960).toArray();
    TrainingConfig config = new TrainingConfig(1, 32, OptimizerConfig.sgd(0.01, 0.9));
    Model start = a.initialModel(6);
    TrainingResult java = new NetworkTrainer(a, config).train(start, data.train(), examples, 7);
    // Model.copyOf refuses NaN and infinities: a result at all means every weight is finite.
    TrainingResult torch = new PyTorchTrainer(a, IMAGE, 10, config).train(start, data.train(), examples, 7);
    assertEquals(java.meanLoss(), torch.meanLoss(), 1e-3, "mean training loss over 30 steps");
    assertTrue(torch.meanLoss() < Evaluator.of(a, data.train().head(960)).evaluate(start).loss());
  }

  /** The check before PyTorch's convolution is trusted fails a convolution whose input gradient is wrong. */
  @Test
  void theCheckRefusesAWrongInputGradient() {
    Shape input = new Shape(8, 4, 9, 9);
    Shape kernel = new Shape(5, 4, 3, 3);
    assertTrue(Convolution.sameInputGradient(Convolution::tapByTap, Convolution::tapByTap, input, kernel, 1));
    // The same forward values, but the input gradient stops at the convolution.
    Convolution.Op detached = (x, k, b, pad) -> Convolution.pytorch(x.stopGradient(), k, b, pad).add(x.sum().mul(0));
    assertFalse(Convolution.sameInputGradient(detached, Convolution::tapByTap, input, kernel, 1));
    // Half the gradient.
    Convolution.Op halved = (x, k, b, pad) -> Convolution.tapByTap(x, k, b, pad).mul(0.5)
        .add(Convolution.tapByTap(x, k, b, pad).stopGradient().mul(0.5));
    assertFalse(Convolution.sameInputGradient(halved, Convolution::tapByTap, input, kernel, 0));
  }

  /** The forward values of both formulations agree, with and without padding. */
  @Test
  void bothFormulationsComputeTheSameConvolution() {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), PyTorchEngine.DJL_ENGINE)) {
      manager.getEngine().setRandomSeed(5);
      NDArray x = manager.randomNormal(new Shape(3, 4, 7, 6));
      NDArray k = manager.randomNormal(new Shape(5, 4, 3, 3));
      NDArray b = manager.randomNormal(new Shape(5));
      for (int pad : new int[] {0, 1}) {
        NDArray pytorch = Convolution.pytorch(x, k, b, pad);
        NDArray taps = Convolution.tapByTap(x, k, b, pad);
        assertEquals(pytorch.getShape(), taps.getShape());
        assertClose(pytorch.toFloatArray(), taps.toFloatArray(), "pad " + pad);
      }
    }
  }

  /** The gradients of the mean loss of {@code examples}, with the later convolutions tap by tap if {@code taps}. */
  private static float[][] gradients(TorchNet net, float[][] params, int[] examples, boolean taps) {
    float[] x = new float[examples.length * 784];
    int[] y = new int[examples.length];
    data.train().fill(examples, 0, examples.length, x, y);
    boolean gradMode = JniUtils.isGradMode();
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), PyTorchEngine.DJL_ENGINE)) {
      List<NDArray> weights = net.arrays(manager, params, true);
      NDArray input = TorchNet.owned(manager.create(x, net.inputShape(examples.length)));
      NDArray labels = TorchNet.owned(manager.create(IntStream.of(y).asLongStream().toArray()));
      JniUtils.setGradMode(true);
      NDArray logits = taps ? net.forward(input, weights, Convolution::tapByTap) : net.forward(input, weights);
      NDArray loss = new SoftmaxCrossEntropyLoss().evaluate(new NDList(labels), new NDList(logits));
      JniUtils.backward((PtNDArray) loss, (PtNDArray) manager.ones(loss.getShape()), false, false);
      return weights.stream().map(w -> w.getGradient().toFloatArray()).toArray(float[][]::new);
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    double largest = 0;
    for (float v : expected) {
      largest = Math.max(largest, Math.abs(v));
    }
    assertTrue(largest > 0, what + ": all zero");
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Math.abs(actual[i] - expected[i]) <= 1e-4 * largest,
          what + "[" + i + "]: " + actual[i] + ", expected " + expected[i]);
    }
  }
}
