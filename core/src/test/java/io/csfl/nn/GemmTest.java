package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

  /**
   * The register-blocked kernel against the scalar one, bit for bit: dense and sparse A, shapes
   * that are and are not multiples of its block (8 rows x 16 or 32 columns), row-major, transposed
   * and sub-matrix A (strides wider than the matrix), offsets into every array, and a C that
   * already holds values (the kernel adds to it).
   */
  @Test
  void blockedKernelGivesTheScalarKernelsBits() {
    Random rng = new Random(11);
    int[][] shapes = {{1, 1, 1}, {8, 16, 1}, {8, 32, 64}, {7, 15, 3}, {9, 33, 17}, {64, 200, 784}, {64, 10, 200},
        {13, 200, 64}, {25, 32, 196}, {64, 47, 31}, {3, 71, 2}, {9, 40, 1}, {16, 200, 2}, {784, 200, 64}, {5, 48, 3}};
    for (int[] s : shapes) {
      int m = s[0];
      int n = s[1];
      int k = s[2];
      float[] b = gaussian(rng, k * n + 5, 1);
      float[] c = gaussian(rng, m * n + 2, 1);
      for (double density : new double[] {1, 0.3}) {
        for (int layout = 0; layout < 4; layout++) {
          // 0: row-major, 1: transposed, 2: rows of a wider matrix, 3: columns of a taller transposed one
          int ars = layout == 0 ? k : layout == 2 ? k + 4 : 1;
          int acs = layout == 1 ? m : layout == 3 ? m + 3 : 1;
          float[] a = gaussian(rng, 3 + (m - 1) * ars + (k - 1) * acs + 1, density);
          assertEveryKernelGivesTheScalarBits(m, n, k, a, ars, acs, b, c,
              m + "x" + n + "x" + k + " density " + density + " layout " + layout);
        }
      }
    }
  }

  @Test
  void denseProductsTakeTheBlockedKernelAndSparseOnesSkipZeros() {
    assertTrue(VectorGemm.denseWins(64, 200, 784, 64 * 784, false), "a dense first layer");
    assertTrue(VectorGemm.denseWins(64, 200, 784, 64 * 784 / 2, false), "a half-dense first layer");
    assertTrue(VectorGemm.denseWins(64, 200, 784, 64 * 784 / 5, false), "a 20% dense first layer");
    assertFalse(VectorGemm.denseWins(64, 200, 784, 64 * 784 / 10, false), "a 10% dense first layer");
    assertTrue(VectorGemm.denseWins(784, 200, 64, 784 * 64 / 5, true), "a 20% dense x^T");
    assertFalse(VectorGemm.denseWins(784, 200, 64, 784 * 64 / 10, true), "a 10% dense x^T");
    assertTrue(VectorGemm.denseWins(64, 10, 200, 64 * 200 / 20, false), "ten classes, 5% dense: both kernels pad to a vector");
    assertFalse(VectorGemm.denseWins(64, 10, 200, 64 * 200 / 100, false), "ten classes, 1% dense");
  }

  @Test
  void countsNonZerosAlongEitherDirectionOfA() {
    float[] a = {9, 0, 1, -0f, 2, 0, 3, 4, 9};
    // A = [[0, 1, -0], [2, 0, 3]] at offset 1, row-major; its transpose through strides; and
    // [[0, -0], [0, 4]], a matrix with neither stride 1.
    assertEquals(3, VectorGemm.countNonZeros(2, 3, a, 1, 3, 1));
    assertEquals(3, VectorGemm.countNonZeros(3, 2, a, 1, 1, 3));
    assertEquals(1, VectorGemm.countNonZeros(2, 2, a, 1, 4, 2));
  }

  /**
   * Skipping a zero entry of A and multiplying it differ only in the sign of a zero output: a
   * {@code -0} in C stays {@code -0} when skipped and becomes {@code +0} when 0 * b is added.
   */
  @Test
  void multiplyingAZeroChangesAtMostTheSignOfAZero() {
    float[] a = {0f, 0f};
    float[] b = {1f, 2f};
    float[] skipped = {-0f};
    float[] multiplied = {-0f};
    Gemm.scalarMulAdd(1, 1, 2, a, 0, 2, 1, b, 0, skipped, 0);
    BlockedGemm.mulAdd(1, 1, 2, a, 0, 2, 1, b, 0, multiplied, 0);
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(skipped[0]));
    assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(multiplied[0]));
  }

  /**
   * Both SIMD kernels against the scalar one, bit for bit, on widths around whole vectors and
   * blocks (the zero-skipping kernel's last n % W columns run on a padded panel, the blocked
   * kernel's last one-vector panel on a narrow kernel), densities from none to full, A with
   * all-zero rows and columns, row-major and transposed, and a C that already holds values.
   */
  @Test
  void bothKernelsGiveTheScalarKernelsBitsOnTailsAndZeroRowsAndColumns() {
    Random rng = new Random(13);
    int[] widths = {1, 7, 8, 9, 10, 15, 16, 17, 23, 31, 33, 40, 48, 200, 203};
    for (int n : widths) {
      for (int[] mk : new int[][] {{64, 200}, {13, 9}, {200, 64}}) {
        int m = mk[0];
        int k = mk[1];
        float[] b = gaussian(rng, k * n + 5, 1);
        float[] c = gaussian(rng, m * n + 2, 1);
        for (double density : new double[] {0, 0.05, 0.5, 1}) {
          for (boolean transposed : new boolean[] {false, true}) {
            int ars = transposed ? 1 : k;
            int acs = transposed ? m : 1;
            float[] a = gaussian(rng, 3 + m * k, density);
            for (int p = 0; p < k; p += 3) {
              for (int i = 0; i < m; i++) {
                a[3 + i * ars + p * acs] = 0f;
              }
            }
            for (int i = 1; i < m; i += 4) {
              for (int p = 0; p < k; p++) {
                a[3 + i * ars + p * acs] = 0f;
              }
            }
            assertEveryKernelGivesTheScalarBits(m, n, k, a, ars, acs, b, c,
                m + "x" + n + "x" + k + " density " + density + (transposed ? " transposed" : ""));
          }
        }
      }
    }
  }

  /**
   * SGD's step, biases and column sums: the lanewise axpy rounds as the scalar loop does, tails and
   * offsets included; axpyAndClear (SGD's step that also clears the gradient) gives the same y on
   * both paths and leaves x all positive zero.
   */
  @Test
  void vectorAxpyGivesTheScalarLoopsBits() {
    Random rng = new Random(17);
    for (int n : new int[] {0, 1, 15, 16, 17, 200, 2001}) {
      float[] x = gaussian(rng, n + 3, 0.7);
      float[] y = gaussian(rng, n + 5, 1);
      float alpha = (float) rng.nextGaussian() * 0.05f;
      int yOff = 5 - n % 5;
      float[] expected = y.clone();
      Gemm.scalarAxpy(0, n, alpha, x, 3, expected, yOff);
      float[] actual = y.clone();
      VectorGemm.axpy(n, alpha, x, 3, actual, yOff);
      assertSameBits(expected, actual, "axpy of " + n);
      float[] cleared = x.clone();
      java.util.Arrays.fill(cleared, 3, 3 + n, 0f);
      for (boolean simd : new boolean[] {false, true}) {
        float[] xs = x.clone();
        float[] ys = y.clone();
        if (simd) {
          VectorGemm.axpyAndClear(n, alpha, xs, 3, ys, yOff);
        } else {
          Gemm.scalarAxpyAndClear(0, n, alpha, xs, 3, ys, yOff);
        }
        assertSameBits(expected, ys, (simd ? "SIMD" : "scalar") + " axpyAndClear of " + n);
        assertSameBits(cleared, xs, (simd ? "SIMD" : "scalar") + " cleared x of " + n);
      }
    }
  }

  /** Dense's test for units with a gradient: a column is zero only if all its entries are 0 or -0, on both paths. */
  @Test
  void columnMagnitudesAreZeroExactlyForColumnsOfZeros() {
    Random rng = new Random(19);
    for (int cols : new int[] {1, 10, 16, 17, 200}) {
      int rows = 9;
      float[] x = gaussian(rng, rows * cols, 0.2);
      for (int r = 0; r < rows; r++) {
        x[r * cols] = r % 2 == 0 ? -0f : 0f;
      }
      x[rows * cols - 1] = Float.MIN_VALUE;
      int[] simd = new int[cols];
      int[] scalar = new int[cols];
      java.util.Arrays.fill(simd, -1);
      java.util.Arrays.fill(scalar, -1);
      VectorGemm.orColumnMagnitudes(x, rows, cols, simd);
      Gemm.scalarOrColumnMagnitudes(0, x, rows, cols, scalar);
      assertArrayEquals(scalar, simd, "columns " + cols);
      for (int c = 0; c < cols; c++) {
        boolean anyNonZero = false;
        for (int r = 0; r < rows; r++) {
          anyNonZero |= x[r * cols + c] != 0f;
        }
        assertEquals(anyNonZero, simd[c] != 0, "column " + c + " of " + cols);
      }
    }
  }

  /**
   * C += A * B by the blocked, the zero-skipping and the chosen kernel, each against the scalar
   * kernel's bits; A, B and C at offsets 3, 5 and 2. C must hold no zeros (the blocked kernel may
   * turn a -0 into +0).
   */
  private static void assertEveryKernelGivesTheScalarBits(int m, int n, int k, float[] a, int ars, int acs, float[] b,
                                                          float[] c, String what) {
    float[] expected = c.clone();
    Gemm.scalarMulAdd(m, n, k, a, 3, ars, acs, b, 5, expected, 2);
    float[] blocked = c.clone();
    BlockedGemm.mulAdd(m, n, k, a, 3, ars, acs, b, 5, blocked, 2);
    assertSameBits(expected, blocked, "blocked " + what);
    float[] sparse = c.clone();
    VectorGemm.sparseMulAdd(m, n, k, a, 3, ars, acs, b, 5, sparse, 2);
    assertSameBits(expected, sparse, "zero-skipping " + what);
    float[] chosen = c.clone();
    VectorGemm.mulAdd(m, n, k, a, 3, ars, acs, b, 5, chosen, 2);
    assertSameBits(expected, chosen, "chosen " + what);
  }

  private static float[] gaussian(Random rng, int size, double density) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) {
      x[i] = rng.nextDouble() < density ? (float) rng.nextGaussian() : 0f;
    }
    return x;
  }

  private static void assertSameBits(float[] expected, float[] actual, String what) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), what + ": element " + i);
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
