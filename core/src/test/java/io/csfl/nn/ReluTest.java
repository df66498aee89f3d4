package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ReluTest {
  @Test
  void vectorBackwardPassesTheGradientExactlyWhereTheScalarLoopDoes() {
    Random rng = new Random(11);
    // 203 units: 25 full vectors and a scalar tail of 3.
    int n = 203;
    float[] y = new float[n];
    float[] dy = new float[n];
    float[] special = {0f, -0f, Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE, Float.POSITIVE_INFINITY};
    for (int i = 0; i < n; i++) {
      y[i] = i % 7 == 0 ? special[(i / 7) % special.length] : (float) rng.nextGaussian();
      dy[i] = i % 5 == 0 ? special[(i / 5) % special.length] : (float) rng.nextGaussian();
    }
    float[] expected = new float[n];
    float[] actual = new float[n];
    Relu.backward(y, dy, expected, 0, n);
    VectorRelu.backward(y, dy, actual, n);
    assertArrayEquals(expected, actual);
    for (int i = 0; i < n; i++) {
      // assertArrayEquals treats 0 and -0 as equal; the bits must match too.
      assertArrayEquals(new int[] {Float.floatToRawIntBits(expected[i])}, new int[] {Float.floatToRawIntBits(actual[i])}, "unit " + i);
    }
  }
}
