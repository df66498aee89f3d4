package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Dense's weight gradient takes one of two routes depending on which factor is sparser; both must
 * give x^T * dy exactly as the naive triple loop does.
 */
class DenseTest {
  private static final int BATCH = 64;
  private static final int IN = 37;
  private static final int OUT = 23;

  @Test
  void weightGradientViaSparseInputs() {
    // Mostly-zero inputs and a dense output gradient: the kernel skips the input zeros.
    checkWeightGradient(0.9, 0.0, false);
  }

  @Test
  void weightGradientViaSparseOutputGradient() {
    // Dense inputs and mostly-inactive units: computed as dy^T * x, then transposed back.
    Random rng = new Random(5);
    checkBackward(Bound.initialized(rng), sparseGaussian(rng, BATCH * IN, 0.0), silence(sparseGaussian(rng, BATCH * OUT, 0.95), 0, 17), true);
  }

  @Test
  void transposingBackCostsEnoughToKeepHalfSparseFactorsOnTheInputRoute() {
    // The mlp's first layer with Adam 0.001: half the inputs and 45% of the gradient non-zero.
    Dense first = new Dense("d", 784, 200);
    long inputs = 64 * 784 / 2;
    assertFalse(first.weightGradientViaOutput(64, inputs, 64 * 200 * 45 / 100, 200));
    // Most units silent (the paper's Adam 0.01 after a few hundred steps): the gradient route wins.
    assertTrue(first.weightGradientViaOutput(64, inputs, 64 * 200 / 20, 40));
  }

  @Test
  void unitsSilentInOneBatchAndActiveInTheNextGetFreshRowsOnBothRoutes() {
    // Only active units' rows of the dW^T and W^T scratch buffers are refreshed: a unit silent in
    // one batch leaves stale rows that the next batch, where it fires, must not read (units 0-4);
    // units 17-22 fire in both batches, so their rows must be cleared in between.
    for (boolean viaOutput : new boolean[] {true, false}) {
      Random rng = new Random(9);
      Bound layer = Bound.initialized(rng);
      double inputZeros = viaOutput ? 0.0 : 0.9;
      double gradientZeros = viaOutput ? 0.9 : 0.0;
      float[] x = sparseGaussian(rng, BATCH * IN, inputZeros);
      checkBackward(layer, x, silence(sparseGaussian(rng, BATCH * OUT, gradientZeros), 0, 12), viaOutput);
      float[] w = layer.params()[0];
      for (int i = 0; i < w.length; i++) {
        w[i] += (float) rng.nextGaussian();
      }
      x = sparseGaussian(rng, BATCH * IN, inputZeros);
      checkBackward(layer, x, silence(sparseGaussian(rng, BATCH * OUT, gradientZeros), 5, 17), viaOutput);
    }
  }

  private static void checkWeightGradient(double inputZeros, double gradientZeros, boolean viaOutput) {
    Random rng = new Random(5);
    checkBackward(Bound.initialized(rng), sparseGaussian(rng, BATCH * IN, inputZeros), sparseGaussian(rng, BATCH * OUT, gradientZeros), viaOutput);
  }

  /** One backward pass from zeroed gradients: dW = x^T * dy and dx = dy * W^T, as naive loops give them. */
  /** A layer bound to its parameter and gradient arrays. */
  private record Bound(Dense dense, float[][] params, float[][] grads) {
    static Bound initialized(Random rng) {
      Bound b = new Bound(new Dense("d", IN, OUT), new float[][] {new float[IN * OUT], new float[OUT]},
          new float[][] {new float[IN * OUT], new float[OUT]});
      b.dense.bind(b.params, b.grads);
      b.dense.initialize(rng);
      return b;
    }
  }

  private static void checkBackward(Bound layer, float[] x, float[] dy, boolean viaOutput) {
    Dense dense = layer.dense();
    float[] w = layer.params()[0];
    float[][] grads = layer.grads();
    int silent = 0;
    for (int j = 0; j < OUT; j++) {
      boolean fired = false;
      for (int p = 0; p < BATCH; p++) {
        fired |= dy[p * OUT + j] != 0f;
      }
      silent += fired ? 0 : 1;
    }
    assertEquals(viaOutput, dense.weightGradientViaOutput(BATCH, Gemm.countNonZeros(x, BATCH * IN), Gemm.countNonZeros(dy, BATCH * OUT), OUT - silent));
    float[] expectedDw = product(IN, OUT, BATCH, (i, p) -> x[p * IN + i], (p, j) -> dy[p * OUT + j]);
    float[] expectedDx = product(BATCH, IN, OUT, (p, j) -> dy[p * OUT + j], (j, i) -> w[i * OUT + j]);
    java.util.Arrays.fill(grads[0], 0f);
    java.util.Arrays.fill(grads[1], 0f);
    float[] dx = new float[BATCH * IN];
    dense.backward(x, new float[BATCH * OUT], dy, dx, BATCH);
    assertArrayEquals(expectedDw, grads[0], 1e-4f, "dW");
    assertArrayEquals(expectedDx, dx, 1e-4f, "dx");
  }

  /** An entry of a matrix, however it is stored. */
  private interface Matrix {
    float at(int row, int col);
  }

  /** The naive product of an [m x k] and a [k x n] matrix, row-major. */
  private static float[] product(int m, int n, int k, Matrix a, Matrix b) {
    float[] c = new float[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float sum = 0f;
        for (int p = 0; p < k; p++) {
          sum += a.at(i, p) * b.at(p, j);
        }
        c[i * n + j] = sum;
      }
    }
    return c;
  }

  /** Zeroes units {@code from..to} of every sample. */
  private static float[] silence(float[] dy, int from, int to) {
    for (int p = 0; p < BATCH; p++) {
      java.util.Arrays.fill(dy, p * OUT + from, p * OUT + to, 0f);
    }
    return dy;
  }

  private static float[] sparseGaussian(Random rng, int n, double zeros) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = rng.nextDouble() < zeros ? 0f : (float) rng.nextGaussian();
    }
    return v;
  }
}
