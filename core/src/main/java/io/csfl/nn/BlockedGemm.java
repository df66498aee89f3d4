package io.csfl.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dense form of {@link Gemm#mulAdd}: a register-blocked micro-kernel, for products whose A has
 * few zeros to skip. B is taken one panel of {@link #NR} columns at a time, and each panel serves
 * every block of rows. A product with many blocks of rows packs each panel into contiguous rows
 * first (zero-padded past n); one with few reads a whole panel of B where it lies
 * ({@link #IN_PLACE_ROWS}). Each call of {@link #kernel}
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
 * padded to MR x NR; the padding lanes compute on zeros and are thrown away. When all columns fit
 * in one vector, their panel is one vector wide and runs on {@link #narrowKernel}, the same chains
 * with one load of B per p; when the columns past the last whole panel do, they join it in a
 * panel three vectors wide ({@link #widePanel}).
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
  /** The width of the last panel when the columns past the whole panels fit in one vector: {@link #widePanel}. */
  private static final int WIDE = 3 * L;
  /**
   * Products with at most this many rows of C read B's whole panels in place, rows {@code n} apart,
   * instead of packing them: the copy costs about as much as a few blocks of rows' work on the
   * panel, and only many blocks repay it. Timed in-process on the mlp's products at batch 64,
   * alternating with packing: the forward products (64 x 784 x 200, 64 x 200 x 200) ran about
   * 10% faster in place; the weight gradient's (784 x 200 x 64), whose panel serves 98 blocks of
   * rows, ran no faster, so it stays packed, as do the convolutions' many rows.
   */
  static final int IN_PLACE_ROWS = 8 * MR;
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
    // Columns past the last whole panel that fit in one vector join that panel, three vectors
    // wide (the eight past 192 of a 200-unit layer at 512 bits); see widePanel.
    int rest = n % NR;
    int wideFrom = n > NR && rest > 0 && rest <= L ? n - NR - rest : n;
    for (int j = 0; j < wideFrom; j += NR) {
      int cols = Math.min(NR, n - j);
      // A last panel that fits in one vector is one vector wide, so less of its work is padding:
      // the ten classes of a last layer.
      int width = cols <= L ? L : NR;
      boolean inPlace = cols == NR && m <= IN_PLACE_ROWS;
      if (!inPlace) {
        packB(k, n, cols, width, b, bOff + j, pb);
      }
      for (int i = 0; i < fullRows; i += MR) {
        int cAt = cOff + i * n + j;
        if (inPlace) {
          kernel(k, a, aOff + i * ars, ars, acs, b, bOff + j, n, c, cAt, n);
        } else if (cols == width) {
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
        if (inPlace) {
          kernel(k, lastPanel, 0, 1, MR, b, bOff + j, n, edge, 0, width);
        } else {
          kernel(width, k, lastPanel, 0, 1, MR, pb, edge, 0, width);
        }
        copyBlock(m - fullRows, cols, edge, 0, width, c, cAt, n);
      }
    }
    if (wideFrom < n) {
      widePanel(m, n, k, a, aOff, ars, acs, lastPanel, b, bOff + wideFrom, c, cOff + wideFrom);
    }
  }

  /**
   * The last {@code NR + rest} columns of C, {@code rest} at most one vector, as one panel three
   * vectors wide ({@link #wideKernel}). A one-vector panel of its own would cost the {@code rest}
   * columns as much as a whole two-vector panel: the kernel's eight broadcasts of A per step would
   * serve one vector instead of two (timed on the mlp's 64 x 784 x 200 product: 13-15% over 192
   * columns' time with it, 8-10% with this panel). B is read in place: each row's three vectors
   * from the panel's first column, so the third runs past the row's end into the next row's first
   * columns, whose products land in C's padding lanes and are thrown away. Only B's last row has no
   * next row; it alone is copied, padded with zeros, and taken as a last step of each block's sum,
   * which keeps every output's terms in ascending order of p. C's block is copied to and from an
   * edge buffer, as its padding lanes are not C's.
   */
  private static void widePanel(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] lastPanel,
                                float[] b, int bAt, float[] c, int cAt) {
    int cols = n % NR + NR;
    float[] lastRow = PACKED_B.atLeast(WIDE);
    java.util.Arrays.fill(lastRow, 0, WIDE, 0f);
    System.arraycopy(b, bAt + (k - 1) * n, lastRow, 0, cols);
    float[] edge = EDGE.atLeast(MR * WIDE);
    for (int i = 0; i < m; i += MR) {
      int rows = Math.min(MR, m - i);
      boolean full = rows == MR;
      // The last rows, when m is not a multiple of MR, come from A's padded panel (packRows).
      float[] blockA = full ? a : lastPanel;
      int aAt = full ? aOff + i * ars : 0;
      int rowStride = full ? ars : 1;
      int colStride = full ? acs : MR;
      // Zeros in the padding lanes, so that they do not carry one block's sums into the next.
      java.util.Arrays.fill(edge, 0, MR * WIDE, 0f);
      copyBlock(rows, cols, c, cAt + i * n, n, edge, 0, WIDE);
      wideKernel(k - 1, blockA, aAt, rowStride, colStride, b, bAt, n, edge);
      wideKernel(1, blockA, aAt + (k - 1) * colStride, rowStride, colStride, lastRow, 0, WIDE, edge);
      copyBlock(rows, cols, edge, 0, WIDE, c, cAt + i * n, n);
    }
  }

  /** {@link #kernel} on a panel {@code width} wide, NR or one vector ({@link #narrowKernel}). */
  private static void kernel(int width, int k, float[] a, int aAt, int ars, int acs, float[] pb, float[] c, int cAt, int ldc) {
    if (width == NR) {
      kernel(k, a, aAt, ars, acs, pb, 0, NR, c, cAt, ldc);
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
   * {@code C[0..MR, 0..NR) += A[0..MR, 0..k) * B panel}, A's entries at {@code aAt + r * ars + p * acs},
   * the panel's rows at {@code bAt + p * ldb} of {@code b} (a packed panel, or B itself) and C's
   * rows {@code ldc} apart. Unrolled by hand: C2 keeps named locals in registers, not arrays of
   * vectors.
   */
  private static void kernel(int k, float[] a, int aAt, int ars, int acs, float[] b, int bAt, int ldb, float[] c, int cAt, int ldc) {
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
    for (int p = 0, at = aAt, bRow = bAt; p < k; p++, at += acs, bRow += ldb) {
      FloatVector b0 = FloatVector.fromArray(S, b, bRow);
      FloatVector b1 = FloatVector.fromArray(S, b, bRow + L);
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

  /**
   * {@link #kernel} on a panel three vectors wide, into {@code c}'s first MR rows of WIDE floats:
   * 24 accumulators, three loads of B and eight broadcasts of A per step, within AVX-512's 32
   * vector registers.
   */
  private static void wideKernel(int k, float[] a, int aAt, int ars, int acs, float[] b, int bAt, int ldb, float[] c) {
    int a1 = ars;
    int a2 = 2 * ars;
    int a3 = 3 * ars;
    int a4 = 4 * ars;
    int a5 = 5 * ars;
    int a6 = 6 * ars;
    int a7 = 7 * ars;
    FloatVector c00 = FloatVector.fromArray(S, c, 0);
    FloatVector c01 = FloatVector.fromArray(S, c, L);
    FloatVector c02 = FloatVector.fromArray(S, c, 2 * L);
    FloatVector c10 = FloatVector.fromArray(S, c, WIDE);
    FloatVector c11 = FloatVector.fromArray(S, c, WIDE + L);
    FloatVector c12 = FloatVector.fromArray(S, c, WIDE + 2 * L);
    FloatVector c20 = FloatVector.fromArray(S, c, 2 * WIDE);
    FloatVector c21 = FloatVector.fromArray(S, c, 2 * WIDE + L);
    FloatVector c22 = FloatVector.fromArray(S, c, 2 * WIDE + 2 * L);
    FloatVector c30 = FloatVector.fromArray(S, c, 3 * WIDE);
    FloatVector c31 = FloatVector.fromArray(S, c, 3 * WIDE + L);
    FloatVector c32 = FloatVector.fromArray(S, c, 3 * WIDE + 2 * L);
    FloatVector c40 = FloatVector.fromArray(S, c, 4 * WIDE);
    FloatVector c41 = FloatVector.fromArray(S, c, 4 * WIDE + L);
    FloatVector c42 = FloatVector.fromArray(S, c, 4 * WIDE + 2 * L);
    FloatVector c50 = FloatVector.fromArray(S, c, 5 * WIDE);
    FloatVector c51 = FloatVector.fromArray(S, c, 5 * WIDE + L);
    FloatVector c52 = FloatVector.fromArray(S, c, 5 * WIDE + 2 * L);
    FloatVector c60 = FloatVector.fromArray(S, c, 6 * WIDE);
    FloatVector c61 = FloatVector.fromArray(S, c, 6 * WIDE + L);
    FloatVector c62 = FloatVector.fromArray(S, c, 6 * WIDE + 2 * L);
    FloatVector c70 = FloatVector.fromArray(S, c, 7 * WIDE);
    FloatVector c71 = FloatVector.fromArray(S, c, 7 * WIDE + L);
    FloatVector c72 = FloatVector.fromArray(S, c, 7 * WIDE + 2 * L);
    for (int p = 0, at = aAt, bRow = bAt; p < k; p++, at += acs, bRow += ldb) {
      FloatVector b0 = FloatVector.fromArray(S, b, bRow);
      FloatVector b1 = FloatVector.fromArray(S, b, bRow + L);
      FloatVector b2 = FloatVector.fromArray(S, b, bRow + 2 * L);
      FloatVector av = FloatVector.broadcast(S, a[at]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      c02 = b2.fma(av, c02);
      av = FloatVector.broadcast(S, a[at + a1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      c12 = b2.fma(av, c12);
      av = FloatVector.broadcast(S, a[at + a2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      c22 = b2.fma(av, c22);
      av = FloatVector.broadcast(S, a[at + a3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      c32 = b2.fma(av, c32);
      av = FloatVector.broadcast(S, a[at + a4]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      c42 = b2.fma(av, c42);
      av = FloatVector.broadcast(S, a[at + a5]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
      c52 = b2.fma(av, c52);
      av = FloatVector.broadcast(S, a[at + a6]);
      c60 = b0.fma(av, c60);
      c61 = b1.fma(av, c61);
      c62 = b2.fma(av, c62);
      av = FloatVector.broadcast(S, a[at + a7]);
      c70 = b0.fma(av, c70);
      c71 = b1.fma(av, c71);
      c72 = b2.fma(av, c72);
    }
    c00.intoArray(c, 0);
    c01.intoArray(c, L);
    c02.intoArray(c, 2 * L);
    c10.intoArray(c, WIDE);
    c11.intoArray(c, WIDE + L);
    c12.intoArray(c, WIDE + 2 * L);
    c20.intoArray(c, 2 * WIDE);
    c21.intoArray(c, 2 * WIDE + L);
    c22.intoArray(c, 2 * WIDE + 2 * L);
    c30.intoArray(c, 3 * WIDE);
    c31.intoArray(c, 3 * WIDE + L);
    c32.intoArray(c, 3 * WIDE + 2 * L);
    c40.intoArray(c, 4 * WIDE);
    c41.intoArray(c, 4 * WIDE + L);
    c42.intoArray(c, 4 * WIDE + 2 * L);
    c50.intoArray(c, 5 * WIDE);
    c51.intoArray(c, 5 * WIDE + L);
    c52.intoArray(c, 5 * WIDE + 2 * L);
    c60.intoArray(c, 6 * WIDE);
    c61.intoArray(c, 6 * WIDE + L);
    c62.intoArray(c, 6 * WIDE + 2 * L);
    c70.intoArray(c, 7 * WIDE);
    c71.intoArray(c, 7 * WIDE + L);
    c72.intoArray(c, 7 * WIDE + 2 * L);
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
