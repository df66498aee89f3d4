package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

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
        // Some exact zeros and a wide range of magnitudes.
        g[i] = i % 7 == 0 ? 0f : (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(8) - 6));
      }
      float stepSize = (float) (0.01 * Math.sqrt(1 - Math.pow(0.999, step)) / (1 - Math.pow(0.9, step)));
      Adam.update(scalar[0], g, scalar[1], scalar[2], 0.9f, 0.999f, stepSize, 1e-7f, 0);
      VectorAdam.update(vector[0], g, vector[1], vector[2], 0.9f, 0.999f, stepSize, 1e-7f);
      for (int k = 0; k < 3; k++) {
        assertArrayEquals(scalar[k], vector[k], 0f, "step " + step + ", array " + k);
      }
    }
  }
}
