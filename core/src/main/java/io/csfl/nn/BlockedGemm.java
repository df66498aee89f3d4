package io.csfl.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dense form of {@link Gemm#mulAdd}: a register-blocked micro-kernel, for products whose A has
 * few zeros to skip. B is packed one panel of {@link #NR} columns at a time into contiguous rows,
 * zero-padded past n, and each panel serves every block of rows. Each call of {@link #kernel}
 * keeps an MR x NR block of C in 16 vector registers for the whole k loop: per p, two loads of B
 * and eight broadcasts of A feed sixteen independent fused multiply-adds, where the zero-skipping
 * kernel spends a load of B on every one.
 *
 * <p>A is read in place through its strides, row-major or transposed alike; only its last rows,
 * when m is not a multiple of MR, are copied into a zero-padded panel. Packing every panel of A
 * (MR values per p side by side) did not pay: timed in-process, alternating with this version on
 * the mlp's and cnn's products, it was level on row-major A with 64 rows and 5-35% slower on the
 * transposed A of the weight gradients and on the second convolution.
 *
 * <p>Every output is one chain of fused multiply-adds onto C in ascending order of p, as in
 * {@link Gemm#scalarMulAdd}; zero entries of A are not skipped but multiplied, and
 * {@code fma(0, b, c)} is {@code c} for finite b except that {@code c = -0} may become +0. Each
 * lane is one output, so the vector width does not change results (the code is written for any
 * width; it runs at VectorGemm's). Blocks at the bottom and right edges run on a copy of C's block
 * padded to MR x NR; the padding lanes compute on zeros and are thrown away. When the last columns
 * fit in one vector, their panel is one vector wide and runs on {@link #narrowKernel}, the same
 * chains with one load of B per p.
 */
final class BlockedGemm {
  /** VectorGemm's species, not the CPU's preferred: see {@link VectorGemm#describe}. */
  private static final VectorSpecies<Float> S = VectorGemm.S;
  private static final int L = S.length();
  /**
   * Rows of C per block: 8 x 2 vectors is 16 accumulators plus 2 of B and a broadcast, within the
   * 32 vector registers of AVX-512 (an AVX2-only CPU has 16, and spills a few; results are the
   * same). Eight rows also divide the batch of 64 and most of the layers' sizes, so few blocks are
   * edges.
   */
  static final int MR = 8;
  /** Columns of C per block: two vectors, 32 floats at 512 bits and 16 at 256 (padding fills the last block). */
  static final int NR = 2 * L;
  /** Per thread: A's last rows packed, one packed panel of B, and the edge block. */
  private static final ScratchFloats PACKED_A = new ScratchFloats();
  private static final ScratchFloats PACKED_B = new ScratchFloats();
  private static final ScratchFloats EDGE = new ScratchFloats();

  private BlockedGemm() {}

  /** Same contract as {@link Gemm#mulAdd}. */
  static void mulAdd(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, float[] c, int cOff) {
    if (m == 0 || n == 0 || k == 0) {
      return;
    }
    int fullRows = m / MR * MR;
    float[] lastPanel = PACKED_A.atLeast(Math.multiplyExact(MR, k));
    if (fullRows < m) {
      packRows(m - fullRows, k, a, aOff + fullRows * ars, ars, acs, lastPanel);
    }
    float[] pb = PACKED_B.atLeast(Math.multiplyExact(k, NR));
    float[] edge = EDGE.atLeast(MR * NR);
    for (int j = 0; j < n; j += NR) {
      int cols = Math.min(NR, n - j);
      // A last panel that fits in one vector is one vector wide, so less of its work is padding:
      // the ten classes of a last layer, or the eight columns past 192 of 200 at 512 bits.
      int width = cols <= L ? L : NR;
      packB(k, n, cols, width, b, bOff + j, pb);
      for (int i = 0; i < fullRows; i += MR) {
        int cAt = cOff + i * n + j;
        if (cols == width) {
          kernel(width, k, a, aOff + i * ars, ars, acs, pb, c, cAt, n);
        } else {
          copyBlock(MR, cols, c, cAt, n, edge, 0, width);
          kernel(width, k, a, aOff + i * ars, ars, acs, pb, edge, 0, width);
          copyBlock(MR, cols, edge, 0, width, c, cAt, n);
        }
      }
      if (fullRows < m) {
        int cAt = cOff + fullRows * n + j;
        copyBlock(m - fullRows, cols, c, cAt, n, edge, 0, width);
        kernel(width, k, lastPanel, 0, 1, MR, pb, edge, 0, width);
        copyBlock(m - fullRows, cols, edge, 0, width, c, cAt, n);
      }
    }
  }

  /** {@link #kernel} on a panel {@code width} wide, NR or one vector ({@link #narrowKernel}). */
  private static void kernel(int width, int k, float[] a, int aAt, int ars, int acs, float[] pb, float[] c, int cAt, int ldc) {
    if (width == NR) {
      kernel(k, a, aAt, ars, acs, pb, c, cAt, ldc);
    } else {
      narrowKernel(k, a, aAt, ars, acs, pb, c, cAt, ldc);
    }
  }

  /**
   * The last {@code rows < MR} rows of A, padded with zero rows to MR, as an MR x k matrix stored
   * transposed ({@code pa[p * MR + r]}), so that the kernel reads it like any other A.
   */
  private static void packRows(int rows, int k, float[] a, int aOff, int ars, int acs, float[] pa) {
    java.util.Arrays.fill(pa, 0, MR * k, 0f);
    for (int r = 0; r < rows; r++) {
      for (int p = 0; p < k; p++) {
        pa[p * MR + r] = a[aOff + r * ars + p * acs];
      }
    }
  }

  /** {@code pb[p * width + col] = B[p, col]} for {@code col < cols}, zero after. */
  private static void packB(int k, int n, int cols, int width, float[] b, int bAt, float[] pb) {
    if (cols < width) {
      // One fill of the whole panel: a call per row for a few padding floats cost more than the copy.
      java.util.Arrays.fill(pb, 0, k * width, 0f);
    }
    for (int p = 0; p < k; p++) {
      System.arraycopy(b, bAt + p * n, pb, p * width, cols);
    }
  }

  private static void copyBlock(int rows, int cols, float[] from, int fromAt, int fromStride, float[] to, int toAt, int toStride) {
    for (int r = 0; r < rows; r++) {
      System.arraycopy(from, fromAt + r * fromStride, to, toAt + r * toStride, cols);
    }
  }

  /**
   * {@code C[0..MR, 0..NR) += A[0..MR, 0..k) * B panel}, A's entries at {@code aAt + r * ars + p * acs}
   * and C's rows {@code ldc} apart. Unrolled by hand: C2 keeps named locals in registers, not
   * arrays of vectors.
   */
  private static void kernel(int k, float[] a, int aAt, int ars, int acs, float[] pb, float[] c, int cAt, int ldc) {
    int a1 = ars;
    int a2 = 2 * ars;
    int a3 = 3 * ars;
    int a4 = 4 * ars;
    int a5 = 5 * ars;
    int a6 = 6 * ars;
    int a7 = 7 * ars;
    int r1 = cAt + ldc;
    int r2 = r1 + ldc;
    int r3 = r2 + ldc;
    int r4 = r3 + ldc;
    int r5 = r4 + ldc;
    int r6 = r5 + ldc;
    int r7 = r6 + ldc;
    FloatVector c00 = FloatVector.fromArray(S, c, cAt);
    FloatVector c01 = FloatVector.fromArray(S, c, cAt + L);
    FloatVector c10 = FloatVector.fromArray(S, c, r1);
    FloatVector c11 = FloatVector.fromArray(S, c, r1 + L);
    FloatVector c20 = FloatVector.fromArray(S, c, r2);
    FloatVector c21 = FloatVector.fromArray(S, c, r2 + L);
    FloatVector c30 = FloatVector.fromArray(S, c, r3);
    FloatVector c31 = FloatVector.fromArray(S, c, r3 + L);
    FloatVector c40 = FloatVector.fromArray(S, c, r4);
    FloatVector c41 = FloatVector.fromArray(S, c, r4 + L);
    FloatVector c50 = FloatVector.fromArray(S, c, r5);
    FloatVector c51 = FloatVector.fromArray(S, c, r5 + L);
    FloatVector c60 = FloatVector.fromArray(S, c, r6);
    FloatVector c61 = FloatVector.fromArray(S, c, r6 + L);
    FloatVector c70 = FloatVector.fromArray(S, c, r7);
    FloatVector c71 = FloatVector.fromArray(S, c, r7 + L);
    for (int p = 0, at = aAt, bAt = 0; p < k; p++, at += acs, bAt += NR) {
      FloatVector b0 = FloatVector.fromArray(S, pb, bAt);
      FloatVector b1 = FloatVector.fromArray(S, pb, bAt + L);
      FloatVector av = FloatVector.broadcast(S, a[at]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      av = FloatVector.broadcast(S, a[at + a1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      av = FloatVector.broadcast(S, a[at + a2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      av = FloatVector.broadcast(S, a[at + a3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      av = FloatVector.broadcast(S, a[at + a4]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      av = FloatVector.broadcast(S, a[at + a5]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
      av = FloatVector.broadcast(S, a[at + a6]);
      c60 = b0.fma(av, c60);
      c61 = b1.fma(av, c61);
      av = FloatVector.broadcast(S, a[at + a7]);
      c70 = b0.fma(av, c70);
      c71 = b1.fma(av, c71);
    }
    c00.intoArray(c, cAt);
    c01.intoArray(c, cAt + L);
    c10.intoArray(c, r1);
    c11.intoArray(c, r1 + L);
    c20.intoArray(c, r2);
    c21.intoArray(c, r2 + L);
    c30.intoArray(c, r3);
    c31.intoArray(c, r3 + L);
    c40.intoArray(c, r4);
    c41.intoArray(c, r4 + L);
    c50.intoArray(c, r5);
    c51.intoArray(c, r5 + L);
    c60.intoArray(c, r6);
    c61.intoArray(c, r6 + L);
    c70.intoArray(c, r7);
    c71.intoArray(c, r7 + L);
  }

  /** {@link #kernel} on one vector of columns: eight accumulators, one load of B per p. */
  private static void narrowKernel(int k, float[] a, int aAt, int ars, int acs, float[] pb, float[] c, int cAt, int ldc) {
    FloatVector c0 = FloatVector.fromArray(S, c, cAt);
    FloatVector c1 = FloatVector.fromArray(S, c, cAt + ldc);
    FloatVector c2 = FloatVector.fromArray(S, c, cAt + 2 * ldc);
    FloatVector c3 = FloatVector.fromArray(S, c, cAt + 3 * ldc);
    FloatVector c4 = FloatVector.fromArray(S, c, cAt + 4 * ldc);
    FloatVector c5 = FloatVector.fromArray(S, c, cAt + 5 * ldc);
    FloatVector c6 = FloatVector.fromArray(S, c, cAt + 6 * ldc);
    FloatVector c7 = FloatVector.fromArray(S, c, cAt + 7 * ldc);
    for (int p = 0, at = aAt, bAt = 0; p < k; p++, at += acs, bAt += L) {
      FloatVector b0 = FloatVector.fromArray(S, pb, bAt);
      c0 = b0.fma(FloatVector.broadcast(S, a[at]), c0);
      c1 = b0.fma(FloatVector.broadcast(S, a[at + ars]), c1);
      c2 = b0.fma(FloatVector.broadcast(S, a[at + 2 * ars]), c2);
      c3 = b0.fma(FloatVector.broadcast(S, a[at + 3 * ars]), c3);
      c4 = b0.fma(FloatVector.broadcast(S, a[at + 4 * ars]), c4);
      c5 = b0.fma(FloatVector.broadcast(S, a[at + 5 * ars]), c5);
      c6 = b0.fma(FloatVector.broadcast(S, a[at + 6 * ars]), c6);
      c7 = b0.fma(FloatVector.broadcast(S, a[at + 7 * ars]), c7);
    }
    c0.intoArray(c, cAt);
    c1.intoArray(c, cAt + ldc);
    c2.intoArray(c, cAt + 2 * ldc);
    c3.intoArray(c, cAt + 3 * ldc);
    c4.intoArray(c, cAt + 4 * ldc);
    c5.intoArray(c, cAt + 5 * ldc);
    c6.intoArray(c, cAt + 6 * ldc);
    c7.intoArray(c, cAt + 7 * ldc);
  }
}
