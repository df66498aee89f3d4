package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GemmTest {
  @Test
  void vectorKernelIsActiveInTests() {
    assertTrue(Gemm.VECTORIZED, "surefire must start the JVM with --add-modules jdk.incubator.vector");
  }

  @Test
  void vectorAndScalarKernelsAgreeOnOddShapesWithZerosAndStrides() {
    Random rng = new Random(3);
    int[][] shapes = {{1, 1, 1}, {5, 37, 9}, {17, 200, 31}, {64, 10, 50}, {3, 71, 8}, {9, 200, 300}, {6, 96, 333}};
    for (int[] s : shapes) {
      int m = s[0];
      int n = s[1];
      int k = s[2];
      float[] a = new float[m * k + 3];
      for (int i = 0; i < a.length; i++) {
        a[i] = rng.nextBoolean() ? 0f : (float) rng.nextGaussian();
      }
      float[] b = new float[k * n + 5];
      for (int i = 0; i < b.length; i++) {
        b[i] = (float) rng.nextGaussian();
      }
      for (boolean transposed : new boolean[] {false, true}) {
        int ars = transposed ? 1 : k;
        int acs = transposed ? m : 1;
        float[] expected = new float[m * n + 2];
        float[] actual = new float[m * n + 2];
        Gemm.scalarMulAdd(m, n, k, a, 3, ars, acs, b, 5, expected, 2);
        VectorGemm.mulAdd(m, n, k, a, 3, ars, acs, b, 5, actual, 2);
        assertArrayEquals(expected, actual, 0f, m + "x" + n + "x" + k + (transposed ? " transposed" : ""));
      }
    }
  }

  @Test
  void bothFactorOrdersOfAWeightGradientGiveTheSameBits() {
    // Dense computes x^T * dy either directly or as (dy^T * x)^T, whichever is cheaper; training
    // must not depend on that choice. 10 and 23 columns leave a tail that is not a whole vector.
    Random rng = new Random(7);
    int batch = 64;
    for (int[] s : new int[][] {{200, 10}, {37, 23}, {784, 200}}) {
      int in = s[0];
      int out = s[1];
      float[] x = new float[batch * in];
      float[] dy = new float[batch * out];
      for (int i = 0; i < x.length; i++) {
        x[i] = rng.nextBoolean() ? 0f : rng.nextFloat();
      }
      for (int i = 0; i < dy.length; i++) {
        dy[i] = rng.nextInt(3) == 0 ? 0f : (float) rng.nextGaussian() * 1e-3f;
      }
      float[] viaInput = new float[in * out];
      VectorGemm.mulAdd(in, out, batch, x, 0, 1, in, dy, 0, viaInput, 0);
      float[] transposed = new float[out * in];
      VectorGemm.mulAdd(out, in, batch, dy, 0, 1, out, x, 0, transposed, 0);
      float[] viaGradient = new float[in * out];
      Gemm.transpose(transposed, out, in, viaGradient);
      for (int i = 0; i < viaInput.length; i++) {
        assertEquals(Float.floatToRawIntBits(viaInput[i]), Float.floatToRawIntBits(viaGradient[i]),
            in + "x" + out + ": weight " + i / out + "," + i % out);
      }
    }
  }

  @Test
  void naiveProductMatchesScalarKernel() {
    float[] a = {1, 2, 0, 4, 5, 6};
    float[] b = {1, 0, 2, 1, 0, 3};
    float[] c = new float[4];
    Gemm.scalarMulAdd(2, 2, 3, a, 0, 3, 1, b, 0, c, 0);
    assertArrayEquals(new float[] {1 * 1 + 2 * 2 + 0, 0 + 2 * 1 + 0, 4 * 1 + 5 * 2 + 0, 0 + 5 * 1 + 6 * 3}, c);
  }
}
