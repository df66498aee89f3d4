package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.data.Dataset;
import io.csfl.data.FashionMnist;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The convolution's passes read straight from the images ({@link SparseConv}) give the bits of the
 * im2col products: outputs, input gradients, and kernel and bias gradients added onto what the
 * gradients already held, on several shapes, and through a few steps of training the cnn.
 */
class SparseConvTest {
  /** Height, width, input channels, output channels, k, valid (1) or same (0) padding. */
  private static final int[][] SHAPES = {
      {6, 5, 1, 3, 3, 0},
      {7, 7, 3, 5, 5, 0},
      {8, 6, 32, 17, 3, 1},
      {9, 9, 32, 64, 5, 0},
      {6, 7, 3, 33, 5, 1},
      {14, 14, 32, 64, 5, 0},
  };

  @Test
  void vectorKernelsAreActive() {
    assertTrue(Gemm.simd(), "surefire must start the JVM with --add-modules jdk.incubator.vector");
  }

  @Test
  void bothRoutesGiveTheSameBitsOnEveryShapeAndDensity() {
    Random rng = new Random(3);
    for (int[] shape : SHAPES) {
      for (int batch : new int[] {1, 3}) {
        for (double density : new double[] {0.05, 0.3, 1.0}) {
          assertSameBits(shape, batch, density, rng);
        }
      }
    }
  }

  private static void assertSameBits(int[] shape, int batch, double density, Random rng) {
    String what = java.util.Arrays.toString(shape) + " batch " + batch + " density " + density;
    int h = shape[0];
    int w = shape[1];
    int in = shape[2];
    int out = shape[3];
    int k = shape[4];
    boolean valid = shape[5] == 1;
    float[] kernel = sparse(rng, k * k * in * out, 1.0);
    float[] bias = sparse(rng, out, 1.0);
    float[] x = zeroBorders(sparse(rng, batch * h * w * in, density), batch, h, w, in);
    float[] initialDKernel = sparse(rng, kernel.length, 0.5);
    float[] initialDBias = sparse(rng, out, 0.5);
    List<float[]> expected = null;
    for (Conv2D.Route route : new Conv2D.Route[] {Conv2D.Route.IM2COL, Conv2D.Route.SPARSE}) {
      Conv2D conv = new Conv2D("c", h, w, in, out, k, valid);
      conv.route(route);
      float[] dKernel = initialDKernel.clone();
      float[] dBias = initialDBias.clone();
      conv.bind(new float[][] {kernel, bias}, new float[][] {dKernel, dBias});
      float[] y = new float[batch * conv.outputSize()];
      conv.forward(x, y, batch);
      float[] dy = sparse(new Random(7), y.length, density);
      float[] dx = new float[x.length];
      java.util.Arrays.fill(dx, 1f);
      conv.backward(x, y, dy, dx, batch);
      // Without an input gradient, as for a network's first layer.
      float[] dKernelOnly = initialDKernel.clone();
      conv.bind(new float[][] {kernel, bias}, new float[][] {dKernelOnly, initialDBias.clone()});
      conv.backward(x, y, dy, null, batch);
      List<float[]> results = List.of(y, dx, dKernel, dBias, dKernelOnly);
      if (expected == null) {
        expected = results;
        assertNotEquals(0, Gemm.countNonZeros(y, y.length), what + ": outputs must not all be 0");
      } else {
        String[] names = {"y", "dx", "dKernel", "dBias", "dKernel without dx"};
        for (int r = 0; r < names.length; r++) {
          assertBits(expected.get(r), results.get(r), what + ": " + names[r]);
        }
      }
    }
  }

  @Test
  void trainingTheCnnTakesTheSparsePathsAndGivesTheSameBits() {
    Dataset train = FashionMnist.loadFrom(dataDirectory()).train();
    Architecture cnn = Architecture.cnn();
    int batch = 8;
    List<Network> networks = new ArrayList<>();
    List<Optimizer> optimizers = new ArrayList<>();
    for (Conv2D.Route route : new Conv2D.Route[] {Conv2D.Route.IM2COL, Conv2D.Route.SPARSE, Conv2D.Route.CHOOSE}) {
      Network network = cnn.newNetwork(batch);
      network.load(cnn.initialModel(5));
      network.layers().stream().filter(l -> l instanceof Conv2D).forEach(l -> ((Conv2D) l).route(route));
      networks.add(network);
      optimizers.add(OptimizerConfig.adam(0.01).create());
    }
    int[] order = IntStream.range(0, train.size()).toArray();
    for (int step = 0; step < 6; step++) {
      long expectedLoss = 0;
      for (int n = 0; n < networks.size(); n++) {
        Network network = networks.get(n);
        train.fill(order, step * batch, batch, network.inputBuffer(), network.labelBuffer());
        long loss = Double.doubleToRawLongBits(network.trainBatch(batch, optimizers.get(n)));
        if (n == 0) {
          expectedLoss = loss;
        } else {
          assertEquals(expectedLoss, loss, "step " + step + ", network " + n + ": the loss differs");
        }
      }
    }
    float[][] expected = networks.get(0).params();
    for (int n = 1; n < networks.size(); n++) {
      float[][] actual = networks.get(n).params();
      for (int t = 0; t < expected.length; t++) {
        assertBits(expected[t], actual[t], "network " + n + ", tensor " + t);
      }
    }
  }

  private static Path dataDirectory() {
    return Stream.iterate(Path.of("").toAbsolutePath(), p -> p != null, Path::getParent)
        .map(p -> p.resolve("data/fashion-mnist")).filter(Files::isDirectory).findFirst()
        .orElseThrow(() -> new IllegalStateException("data/fashion-mnist not found above " + Path.of("").toAbsolutePath()));
  }

  /** Gaussian values, each kept with probability {@code density}, else 0. */
  private static float[] sparse(Random rng, int n, double density) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = rng.nextDouble() < density ? (float) rng.nextGaussian() : 0f;
    }
    return v;
  }

  /** Zeroes the outermost rows and columns of each NHWC image, as a digit's dark border. */
  private static float[] zeroBorders(float[] x, int batch, int h, int w, int c) {
    for (int s = 0; s < batch; s++) {
      for (int r = 0; r < h; r++) {
        for (int col = 0; col < w; col++) {
          if (r == 0 || col == 0 || r == h - 1 || col == w - 1) {
            java.util.Arrays.fill(x, ((s * h + r) * w + col) * c, ((s * h + r) * w + col + 1) * c, 0f);
          }
        }
      }
    }
    return x;
  }

  private static void assertBits(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        throw new AssertionError(what + "[" + i + "]: " + expected[i] + " (im2col) vs " + actual[i]);
      }
    }
  }
}
