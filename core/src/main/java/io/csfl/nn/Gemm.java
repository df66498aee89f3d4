package io.csfl.nn;

import io.csfl.internal.simd.SimdWarmUp;

/**
 * The one matrix kernel every layer uses: {@code C[m x n] += A[m x k] * B[k x n]}, where B and C
 * are row-major and A is addressed through strides, so the same call computes A*B (row-major A)
 * and A^T*B (A stored transposed) without materialising a transpose.
 *
 * <p>C2 does not auto-vectorise this loop when B and C are float arrays at run-time offsets (it
 * cannot rule out aliasing), so when the JVM was started with {@code --add-modules
 * jdk.incubator.vector} the work goes to {@link VectorGemm}; otherwise to the scalar loop below,
 * which is 4-5 times slower but needs no flag. The scalar loop skips zero entries of A: about half
 * of Fashion-MNIST's pixels are 0, and so are about half of the activations after ReLU. The SIMD
 * kernels skip them too when A is sparse, and multiply them with a register-blocked kernel when A
 * is dense enough that skipping costs more than it saves.
 *
 * <p>All compute the same bits: every output is a chain of fused multiply-adds onto C in ascending
 * order of p (there are no lane-wise partial sums to emulate: each vector lane is one output).
 * A zero entry of A multiplied instead of skipped adds nothing, but may turn an output of -0 into
 * +0; nothing downstream tells the two apart, and training's losses and weights are the same bits
 * (ScalarKernelTest). So a run's results do not depend on how its JVM was started.
 */
final class Gemm {
  private static final int ROW_BLOCK = 16;
  /** The SIMD product against the scalar one until the JIT has compiled it ({@link SimdWarmUp}). */
  private static final SimdWarmUp MUL_ADD = new SimdWarmUp();
  private static final SimdWarmUp AXPY = new SimdWarmUp();
  private static final SimdWarmUp AXPY_AND_CLEAR = new SimdWarmUp();
  /** Whether this JVM has the Vector API, which the SIMD kernels need. */
  static final boolean VECTORIZED = SimdWarmUp.VECTOR_API;
  /**
   * Set by tests to run the scalar kernels in a JVM that has the Vector API. Both give the same
   * bits, so a flip while another thread trains changes its speed, not its results.
   */
  private static volatile boolean scalarForced;

  private Gemm() {}

  /** Whether the SIMD kernels run: the Vector API is present and tests have not forced scalar. */
  static boolean simd() {
    return VECTORIZED && !scalarForced;
  }

  /** For tests: run the scalar kernels ({@code true}) or, if the JVM has them, the SIMD ones. */
  static void forceScalar(boolean forced) {
    scalarForced = forced;
  }

  /**
   * The kernels in use, for start-up lines: SIMD and its vector width, or scalar and how to get
   * SIMD. Said out loud because a JVM started without the flag is silently 4-5 times slower.
   */
  static String kernelName() {
    return simd() ? VectorGemm.describe()
        : "scalar (start the JVM with --add-modules jdk.incubator.vector for SIMD)";
  }

  /**
   * @param aRowStride distance in {@code a} between A[i,p] and A[i+1,p]
   * @param aColStride distance in {@code a} between A[i,p] and A[i,p+1]
   */
  static void mulAdd(int m, int n, int k,
                     float[] a, int aOff, int aRowStride, int aColStride,
                     float[] b, int bOff,
                     float[] c, int cOff) {
    mulAdd(m, n, k, a, aOff, aRowStride, aColStride, b, bOff, c, cOff, -1);
  }

  /**
   * {@link #mulAdd(int, int, int, float[], int, int, int, float[], int, float[], int)} for a caller
   * that has just counted A's non-zeros ({@code aNonZeros}, or -1 to have them counted here): the
   * SIMD route chooses its kernel from that count, and a second pass over A would only repeat it.
   */
  static void mulAdd(int m, int n, int k,
                     float[] a, int aOff, int aRowStride, int aColStride,
                     float[] b, int bOff,
                     float[] c, int cOff, long aNonZeros) {
    if (simd() && MUL_ADD.warm()) {
      VectorGemm.mulAdd(m, n, k, a, aOff, aRowStride, aColStride, b, bOff, c, cOff, aNonZeros);
    } else if (simd()) {
      // A product's shape and layout (a weight gradient reads A transposed, and sparser) make its costs comparable.
      MUL_ADD.run((long) m * n * k, java.util.Objects.hash(m, n, k, aColStride == 1),
          () -> VectorGemm.mulAdd(m, n, k, a, aOff, aRowStride, aColStride, b, bOff, c, cOff, aNonZeros),
          () -> scalarMulAdd(m, n, k, a, aOff, aRowStride, aColStride, b, bOff, c, cOff));
    } else {
      scalarMulAdd(m, n, k, a, aOff, aRowStride, aColStride, b, bOff, c, cOff);
    }
  }

  static void scalarMulAdd(int m, int n, int k,
                           float[] a, int aOff, int aRowStride, int aColStride,
                           float[] b, int bOff,
                           float[] c, int cOff) {
    for (int i0 = 0; i0 < m; i0 += ROW_BLOCK) {
      int i1 = Math.min(m, i0 + ROW_BLOCK);
      for (int p = 0; p < k; p++) {
        int bRow = bOff + p * n;
        int aCol = aOff + p * aColStride;
        for (int i = i0; i < i1; i++) {
          float av = a[aCol + i * aRowStride];
          if (av != 0f) {
            fusedAxpy(n, av, b, bRow, c, cOff + i * n);
          }
        }
      }
    }
  }

  /**
   * {@code y[yOff..yOff+n) += alpha * x[xOff..xOff+n)} with one rounding per element, as the SIMD
   * kernel's {@code fma} lanes do; a separate multiply and add would round twice.
   */
  private static void fusedAxpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    for (int j = 0; j < n; j++) {
      y[yOff + j] = Math.fma(alpha, x[xOff + j], y[yOff + j]);
    }
  }

  /**
   * {@code y[yOff..yOff+n) += alpha * x[xOff..xOff+n)}, a multiply and an add, each rounded (SGD's
   * step, biases, column sums). On SIMD the same two roundings run lanewise ({@link VectorGemm#axpy}).
   */
  static void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    if (simd() && AXPY.warm()) {
      VectorGemm.axpy(n, alpha, x, xOff, y, yOff);
    } else if (simd()) {
      AXPY.run(n, () -> VectorGemm.axpy(n, alpha, x, xOff, y, yOff), () -> scalarAxpy(0, n, alpha, x, xOff, y, yOff));
    } else {
      scalarAxpy(0, n, alpha, x, xOff, y, yOff);
    }
  }

  /** {@link #axpy} on elements {@code from..n}, one at a time. */
  static void scalarAxpy(int from, int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    for (int j = from; j < n; j++) {
      y[yOff + j] += alpha * x[xOff + j];
    }
  }

  /** {@link #axpy}, zeroing each element of x once it is read: an optimiser step that also clears the gradient. */
  static void axpyAndClear(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    if (simd() && AXPY_AND_CLEAR.warm()) {
      VectorGemm.axpyAndClear(n, alpha, x, xOff, y, yOff);
    } else if (simd()) {
      AXPY_AND_CLEAR.run(n, () -> VectorGemm.axpyAndClear(n, alpha, x, xOff, y, yOff),
          () -> scalarAxpyAndClear(0, n, alpha, x, xOff, y, yOff));
    } else {
      scalarAxpyAndClear(0, n, alpha, x, xOff, y, yOff);
    }
  }

  /** {@link #axpyAndClear} on elements {@code from..n}, one at a time. */
  static void scalarAxpyAndClear(int from, int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    for (int j = from; j < n; j++) {
      y[yOff + j] += alpha * x[xOff + j];
      x[xOff + j] = 0f;
    }
  }

  /** {@code out[cols x rows] = in[rows x cols]^T}. */
  static void transpose(float[] in, int rows, int cols, float[] out) {
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = in[base + c];
      }
    }
  }

  /**
   * {@code out[c, r] += in[r, c]} for the rows {@code r} listed in {@code listed[0..count)} of
   * {@code in[rows x cols]}; {@code out} is [cols x rows].
   */
  static void addTransposedRows(float[] in, int rows, int cols, int[] listed, int count, float[] out) {
    for (int t = 0; t < count; t++) {
      int r = listed[t];
      int base = r * cols;
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] += in[base + c];
      }
    }
  }

  /**
   * {@code out[c, r] = in[r, c]} for the columns {@code c} listed in {@code listed[0..count)} of
   * {@code in[rows x cols]}: rows c of {@code out[cols x rows]}; its other rows are left as they
   * were.
   */
  static void transposeColumns(float[] in, int rows, int cols, int[] listed, int count, float[] out) {
    for (int t = 0; t < count; t++) {
      int c = listed[t];
      int base = c * rows;
      for (int r = 0; r < rows; r++) {
        out[base + r] = in[r * cols + c];
      }
    }
  }

  /**
   * The relative cost of {@code mulAdd} with a transposed A of {@code nonZeros} non-zeros, in units
   * of one multiply-add of the zero-skipping kernel: the scalar kernel and the SIMD one on sparse A
   * do one per non-zero and column of B; the SIMD one on dense A does all m x n x k, cheaper each.
   */
  static long transposedProductCost(int m, int n, int k, long nonZeros) {
    return simd() ? VectorGemm.transposedCost(m, n, k, nonZeros) : nonZeros * n;
  }

  /** How many of {@code x[0..n)} are not zero. */
  static long countNonZeros(float[] x, int n) {
    if (simd()) {
      return VectorGemm.countNonZeros(x, n);
    }
    long count = 0;
    for (int i = 0; i < n; i++) {
      count += x[i] != 0f ? 1 : 0;
    }
    return count;
  }

  /**
   * {@code bits[c]} = the OR over the rows of {@code x[rows x cols]} of column c's bits without the
   * sign: zero exactly when the column holds only zeros (0 or -0), which is how a dense layer finds
   * its units with a gradient.
   */
  static void orColumnMagnitudes(float[] x, int rows, int cols, int[] bits) {
    if (simd()) {
      VectorGemm.orColumnMagnitudes(x, rows, cols, bits);
    } else {
      scalarOrColumnMagnitudes(0, x, rows, cols, bits);
    }
  }

  /** {@link #orColumnMagnitudes} for the columns from {@code from} on. */
  static void scalarOrColumnMagnitudes(int from, float[] x, int rows, int cols, int[] bits) {
    java.util.Arrays.fill(bits, from, cols, 0);
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      for (int c = from; c < cols; c++) {
        bits[c] |= Float.floatToRawIntBits(x[base + c]) & Integer.MAX_VALUE;
      }
    }
  }

  /** Adds {@code bias[n]} to each of the {@code m} rows of {@code c}. */
  static void addRowVector(float[] c, int cOff, int m, float[] bias) {
    int n = bias.length;
    for (int i = 0; i < m; i++) {
      axpy(n, 1f, bias, 0, c, cOff + i * n);
    }
  }

  /** {@code acc[n] += column sums of g[m x n]}. */
  static void addColumnSums(float[] g, int gOff, int m, float[] acc) {
    int n = acc.length;
    for (int i = 0; i < m; i++) {
      axpy(n, 1f, g, gOff + i * n, acc, 0);
    }
  }
}
