package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Dense's weight gradient takes one of two routes depending on which factor is sparser; both must
 * give x^T * dy exactly as the naive triple loop does.
 */
class DenseTest {
  private static final int BATCH = 9;
  private static final int IN = 37;
  private static final int OUT = 23;

  @Test
  void weightGradientViaSparseInputs() {
    // Mostly-zero inputs and a dense output gradient: the kernel skips the input zeros.
    checkWeightGradient(0.9, 0.0);
  }

  @Test
  void weightGradientViaSparseOutputGradient() {
    // Dense inputs and mostly-inactive units: computed as dy^T * x, then transposed back.
    checkWeightGradient(0.0, 0.95);
  }

  private static void checkWeightGradient(double inputZeros, double gradientZeros) {
    Random rng = new Random(5);
    Dense dense = new Dense("d", IN, OUT);
    float[][] params = {new float[IN * OUT], new float[OUT]};
    float[][] grads = {new float[IN * OUT], new float[OUT]};
    dense.bind(params, grads);
    dense.initialize(rng);
    float[] x = sparseGaussian(rng, BATCH * IN, inputZeros);
    float[] dy = sparseGaussian(rng, BATCH * OUT, gradientZeros);
    float[] expected = new float[IN * OUT];
    for (int i = 0; i < IN; i++) {
      for (int j = 0; j < OUT; j++) {
        float sum = 0f;
        for (int p = 0; p < BATCH; p++) {
          sum += x[p * IN + i] * dy[p * OUT + j];
        }
        expected[i * OUT + j] = sum;
      }
    }
    dense.backward(x, new float[BATCH * OUT], dy, new float[BATCH * IN], BATCH);
    assertArrayEquals(expected, grads[0], 1e-5f);
  }

  private static float[] sparseGaussian(Random rng, int n, double zeros) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = rng.nextDouble() < zeros ? 0f : (float) rng.nextGaussian();
    }
    return v;
  }
}
