package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AdamTest {
  /** The SIMD update must not change training results: same values as the scalar loop, to the bit. */
  @Test
  void vectorAndScalarUpdatesAgreeToTheBit() {
    Random rng = new Random(3);
    int n = 1003; // not a multiple of the vector length: the tail goes through the scalar loop
    float[][] scalar = new float[3][n];
    float[][] vector = new float[3][n];
    for (int i = 0; i < n; i++) {
      scalar[0][i] = vector[0][i] = (float) rng.nextGaussian();
    }
    for (int step = 1; step <= 20; step++) {
      float[] g = new float[n];
      for (int i = 0; i < n; i++) {
        // Some exact zeros, a wide range of magnitudes, and some tiny enough to be flushed.
        g[i] = i % 7 == 0 ? 0f
            : i % 5 == 0 ? (float) (rng.nextGaussian() * Math.pow(10, -rng.nextInt(16) - 25))
            : (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(8) - 6));
      }
      float stepSize = (float) (0.01 * Math.sqrt(1 - Math.pow(0.999, step)) / (1 - Math.pow(0.9, step)));
      Adam.update(scalar[0], g, scalar[1], scalar[2], 0.9f, 0.999f, stepSize, 1e-7f, 0);
      VectorAdam.update(vector[0], g, vector[1], vector[2], 0.9f, 0.999f, stepSize, 1e-7f);
      for (int k = 0; k < 3; k++) {
        assertArrayEquals(scalar[k], vector[k], 0f, "step " + step + ", array " + k);
      }
    }
  }

  /**
   * A weight whose gradient stops being non-zero has its first moment decay by beta1 per step; it
   * must reach zero, in both updates, instead of sinking into the subnormals (where it would stay,
   * and Intel CPUs compute slowly), and a moment that starts below {@link Moments#TINY} is zero at once.
   */
  @Test
  void tinyMomentsAreFlushedToZeroInBothUpdates() {
    int n = 67;
    for (boolean vector : new boolean[] {false, true}) {
      float[] p = new float[n];
      float[] m = new float[n];
      float[] v = new float[n];
      float[] g = new float[n];
      java.util.Arrays.fill(g, 1e-3f);
      g[1] = 1e-31f; // its moments are tiny from the first step
      update(vector, p, g, m, v);
      assertEquals(0f, m[1], "first moment of a 1e-31 gradient, vector " + vector);
      assertEquals(0f, v[1], "second moment of a 1e-31 gradient, vector " + vector);
      java.util.Arrays.fill(g, 0f);
      int steps = 0;
      while (m[0] != 0f && steps < 10_000) {
        assertTrue(Math.abs(m[0]) >= Moments.TINY, "step " + steps + ": first moment " + m[0] + " below the flush, vector " + vector);
        update(vector, p, g, m, v);
        steps++;
      }
      for (int i = 0; i < n; i++) {
        assertEquals(0f, m[i], "first moment " + i + " after " + steps + " steps of zero gradients, vector " + vector);
      }
      // ln(1e-4 / 2^-100) / ln(1 / 0.9), about 570: the steps a moment of 1e-4 takes to fall below the flush.
      assertTrue(steps > 500 && steps < 700, steps + " steps");
    }
  }

  private static void update(boolean vector, float[] p, float[] g, float[] m, float[] v) {
    if (vector) {
      VectorAdam.update(p, g, m, v, 0.9f, 0.999f, 0.01f, 1e-7f);
    } else {
      Adam.update(p, g, m, v, 0.9f, 0.999f, 0.01f, 1e-7f, 0);
    }
  }
}
