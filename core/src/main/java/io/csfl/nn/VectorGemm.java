package io.csfl.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD form of {@link Gemm#mulAdd}: dense products go to the register-blocked
 * {@link BlockedGemm}, sparse ones to the zero-skipping kernel here, chosen per product from A's
 * density ({@link #denseWins}). In the sparse kernel each row of A is first compressed to its
 * non-zero entries (a vector's lanes tested at a time; a transposed A is compressed along its
 * contiguous rows and regrouped); then, for one block of eight vectors' columns of B at a time,
 * taken in tiles of rows that fit in L1 (see {@link #columnBlock}), each row of C keeps that
 * block's outputs in eight vector registers while the non-zero A entries stream by; narrower
 * blocks take the remaining columns, the last few as one padded vector ({@link #paddedTail}).
 * Loaded only when
 * the JVM has the incubator module.
 *
 * <p>Each vector lane is one output of C, summed in the same order as {@link Gemm#scalarMulAdd}, so
 * the vector width does not change results: a CPU with wider or narrower vectors computes the
 * same bits.
 */
final class VectorGemm {
  /** The one float species of CSFL's SIMD kernels, the CPU's preferred: see {@link #describe}. */
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Ints of S's shape, for counting non-zeros: as many lanes as S. */
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
  /** Lanes per vector: 16 at 512 bits, 8 at 256. The blocks below are counted in vectors, so any width works. */
  private static final int W = S.length();
  private static final int BLOCK = 4 * W;
  /**
   * Eight accumulators: an FMA's result is needed by the next FMA on the same accumulator four or
   * so cycles later, so four chains leave the FMA units idle half the time; eight keep them busy.
   */
  private static final int WIDE_BLOCK = 8 * W;
  /** Rows of B per tile of a wide block: 64 rows of 8 vectors, 16 KB at 256 bits and 32 KB at 512, within L1. */
  private static final int TILE_ROWS = 64;
  /** The density of A, in percent, from which {@link #denseWins} picks the blocked kernel. */
  private static final int DENSE_PERCENT = 17;
  /** The same for transposed A and for narrow products wider than a vector. */
  private static final int DENSE_PERCENT_EASY = 15;
  /** Products with at most this many columns are narrow. */
  private static final int NARROW = 32;
  /** The same for products of one vector's columns or fewer (a last layer's classes). */
  private static final int DENSE_PERCENT_ONE_VECTOR = 2;
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
  /** Per thread: the tail's panels of B and of C. */
  private static final ScratchFloats PANEL = new ScratchFloats();
  private static final ScratchFloats TAIL = new ScratchFloats();

  private VectorGemm() {}

  /** Compressed rows (per row, its non-zero columns and values), grown on demand. */
  private static final class SparseRows {
    int[] column = new int[0];
    float[] value = new float[0];
    int[] rowStart = new int[0];

    /** Entry arrays get one spare slot: the branch-free compressor writes one past the last kept. */
    SparseRows ensure(int rows, int cols) {
      int entries = Math.multiplyExact(rows, cols) + 1;
      if (column.length < entries) {
        column = new int[entries];
        value = new float[entries];
      }
      if (rowStart.length < rows + 1) {
        rowStart = new int[rows + 1];
      }
      return this;
    }
  }

  /** Per-thread buffers: A's compressed rows, A^T's when A is stored transposed, row cursors. */
  private static final class Scratch {
    final SparseRows rows = new SparseRows();
    final SparseRows transposed = new SparseRows();
    int[] cursor = new int[0];

    int[] cursor(int rows) {
      if (cursor.length < rows) {
        cursor = new int[rows];
      }
      return cursor;
    }
  }

  /**
   * The kernels and their vector width, for start-up lines. The width is the CPU's preferred one
   * (512 bits with AVX-512), and every SIMD kernel of CSFL uses that one float species
   * (VectorAdam, VectorRelu and the aggregator's fold take {@link #S} or the same preferred
   * species), because on JDK 17 a second float species sharing the Vector API's call sites made C2
   * box the vectors of whichever kernel it compiled second (timed in-process: with the blocked
   * kernel at 512 bits beside the sparse one at 256, whichever was compiled second ran more than ten
   * times slower; with this package's kernels at 512 bits beside Adam's and ReLU's at 256, the mlp
   * trained ten times slower). For the same reason two builds of different widths cannot be timed
   * against each other in one JVM. Results do not depend on the width, since each lane is one
   * output: every test of these kernels gives the scalar kernel's bits at 256 and at 512 bits.
   */
  static String describe() {
    int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
    String kernel = "SIMD, " + S.vectorBitSize() + "-bit float vectors (Vector API), a register-blocked "
        + BlockedGemm.MR + " x " + BlockedGemm.NR + " kernel for dense products and a zero-skipping one for sparse;"
        + " results do not depend on the width";
    return preferred < S.vectorBitSize()
        ? kernel + "; emulated: this CPU's vectors have " + preferred + " bits" : kernel;
  }

  /**
   * Counts A's non-zeros (one lanewise pass, a small fraction of the product's work), then runs
   * the blocked kernel or the zero-skipping one, whichever {@link #denseWins} expects to be faster.
   * Both give the same bits, but for the sign of a zero output (see {@link BlockedGemm}).
   */
  static void mulAdd(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, float[] c, int cOff) {
    mulAdd(m, n, k, a, aOff, ars, acs, b, bOff, c, cOff, -1);
  }

  /** {@link #mulAdd} with A's non-zeros already counted by the caller ({@code aNonZeros}), or -1 to count them here. */
  static void mulAdd(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, float[] c, int cOff, long aNonZeros) {
    long nonZeros = aNonZeros >= 0 ? aNonZeros : countNonZeros(m, k, a, aOff, ars, acs);
    if (denseWins(m, n, k, nonZeros, acs != 1)) {
      BlockedGemm.mulAdd(m, n, k, a, aOff, ars, acs, b, bOff, c, cOff);
    } else {
      sparseMulAdd(m, n, k, a, aOff, ars, acs, b, bOff, c, cOff);
    }
  }

  /** The zero-skipping kernel alone, whatever A's density: for tests and benchmarks. */
  static void sparseMulAdd(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, float[] c, int cOff) {
    Scratch s = SCRATCH.get();
    SparseRows rows = s.rows.ensure(m, k);
    if (acs == 1) {
      compressRows(m, k, a, aOff, ars, rows);
    } else {
      // A is stored transposed (a weight gradient's x^T): scanning its rows column by column would
      // touch a new cache line per element, so compress A^T's contiguous rows, then regroup.
      SparseRows transposed = s.transposed.ensure(k, m);
      compressRows(k, m, a, aOff, acs, transposed);
      transposeSparse(k, m, transposed, rows);
    }
    int[] index = rows.column;
    float[] value = rows.value;
    int[] rowStart = rows.rowStart;
    int wholeVectors = n - n % W;
    if (wholeVectors < n) {
      paddedTail(wholeVectors, m, k, n, rows, b, bOff, c, cOff);
    }
    // From here on an entry's "column" is where its row of B starts.
    for (int q = 0, count = rowStart[m]; q < count; q++) {
      index[q] = bOff + index[q] * n;
    }
    int[] cursor = s.cursor(m);
    int j = 0;
    for (; j + WIDE_BLOCK <= n; j += WIDE_BLOCK) {
      columnBlock(true, j, m, k, n, bOff, rows, cursor, b, c, cOff);
    }
    for (; j + BLOCK <= n; j += BLOCK) {
      columnBlock(false, j, m, k, n, bOff, rows, cursor, b, c, cOff);
    }
    for (; j < wholeVectors; j += W) {
      for (int i = 0; i < m; i++) {
        int cAt = cOff + i * n + j;
        FloatVector acc = FloatVector.fromArray(S, c, cAt);
        for (int q = rowStart[i]; q < rowStart[i + 1]; q++) {
          acc = FloatVector.fromArray(S, b, index[q] + j).fma(FloatVector.broadcast(S, value[q]), acc);
        }
        acc.intoArray(c, cAt);
      }
    }
  }

  /**
   * The last {@code n - j < W} columns of C, as whole vectors: B's columns are copied into a panel
   * of W columns padded with zeros, and C's into another, whose padding lanes are computed and
   * thrown away. Each real lane is the same chain of fused multiply-adds, in the same order, as the
   * whole vectors' lanes, so a product's bits do not depend on where its columns fall (nor on which
   * factor is A: Dense's two routes to a weight gradient agree to the bit). Narrow products (the
   * last layer's ten classes) are all tail; done one column at a time, they cost a load and an FMA
   * per non-zero and column instead of per non-zero. Entries' columns are still A's here.
   */
  private static void paddedTail(int j, int m, int k, int n, SparseRows rows, float[] b, int bOff,
                                 float[] c, int cOff) {
    int cols = n - j;
    float[] pb = PANEL.atLeast(Math.multiplyExact(k, W));
    float[] pc = TAIL.atLeast(Math.multiplyExact(m, W));
    // Zero padding, so that no stale value can become a subnormal or infinite one in the lanes thrown away.
    java.util.Arrays.fill(pb, 0, k * W, 0f);
    java.util.Arrays.fill(pc, 0, m * W, 0f);
    for (int p = 0; p < k; p++) {
      System.arraycopy(b, bOff + p * n + j, pb, p * W, cols);
    }
    for (int i = 0; i < m; i++) {
      System.arraycopy(c, cOff + i * n + j, pc, i * W, cols);
    }
    int[] column = rows.column;
    float[] value = rows.value;
    int[] rowStart = rows.rowStart;
    for (int i = 0; i < m; i++) {
      FloatVector acc = FloatVector.fromArray(S, pc, i * W);
      for (int q = rowStart[i]; q < rowStart[i + 1]; q++) {
        acc = FloatVector.fromArray(S, pb, column[q] * W).fma(FloatVector.broadcast(S, value[q]), acc);
      }
      acc.intoArray(pc, i * W);
    }
    for (int i = 0; i < m; i++) {
      System.arraycopy(pc, i * W, c, cOff + i * n + j, cols);
    }
  }

  /**
   * Whether the blocked kernel beats skipping zeros for a product whose A has {@code nonZeros}
   * non-zeros. The blocked kernel does every multiply-add of its padded grid of blocks; the sparse
   * one only those of the non-zeros, but at several times the cost each (a load of B per FMA, the
   * compression, and for a transposed A the regrouping). Timed in-process, alternating the two
   * kernels on the mlp's products at batch 64 and densities from 1% to 50%, the blocked kernel won
   * on row-major A with 200 or more columns from a density of about 17%, and on transposed A (the
   * weight gradients' x^T) from about 15%, the threshold also kept for 32 columns or fewer (the
   * cnn's first layer). With one vector's columns or fewer (the last layer's 10 classes) both
   * kernels pad each row to a vector, and the blocked one won from 2%.
   */
  static boolean denseWins(int m, int n, int k, long nonZeros, boolean aTransposed) {
    int percent = n <= W ? DENSE_PERCENT_ONE_VECTOR : aTransposed || n <= NARROW ? DENSE_PERCENT_EASY : DENSE_PERCENT;
    return 100 * nonZeros * n > percent * blockedMultiplyAdds(m, n, k);
  }

  /** The multiply-adds the blocked kernel does: m and n rounded up to whole blocks (a last block of one vector or two). */
  private static long blockedMultiplyAdds(int m, int n, int k) {
    long mPadded = (m + BlockedGemm.MR - 1) / BlockedGemm.MR * (long) BlockedGemm.MR;
    int last = n % BlockedGemm.NR;
    long nPadded = n - last + (last == 0 ? 0 : last <= W ? W : BlockedGemm.NR);
    return mPadded * nPadded * k;
  }

  /**
   * The cost of a product with a transposed A of {@code nonZeros} non-zeros on the faster kernel,
   * in multiply-adds of the zero-skipping kernel: the unit of {@link Dense}'s route choice.
   */
  static long transposedCost(int m, int n, int k, long nonZeros) {
    return Math.min(nonZeros * n, DENSE_PERCENT_EASY * blockedMultiplyAdds(m, n, k) / 100);
  }

  /** How many entries of the m x k matrix A are not zero, reading along A's contiguous direction. */
  static long countNonZeros(int m, int k, float[] a, int aOff, int ars, int acs) {
    long count = 0;
    if (acs == 1) {
      for (int i = 0; i < m; i++) {
        count += countNonZeros(a, aOff + i * ars, k);
      }
    } else if (ars == 1) {
      for (int p = 0; p < k; p++) {
        count += countNonZeros(a, aOff + p * acs, m);
      }
    } else {
      for (int i = 0; i < m; i++) {
        for (int p = 0; p < k; p++) {
          count += a[aOff + i * ars + p * acs] != 0f ? 1 : 0;
        }
      }
    }
    return count;
  }

  /**
   * {@link Gemm#axpy} lanewise: a multiply and an add, not a fused multiply-add, so each element is
   * rounded twice, as the scalar loop's is, and the bits are the same. C2 does not vectorise that
   * loop itself, as it cannot rule out that x and y overlap.
   */
  static void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    int j = 0;
    for (int upper = S.loopBound(n); j < upper; j += W) {
      FloatVector.fromArray(S, x, xOff + j).mul(alpha).add(FloatVector.fromArray(S, y, yOff + j)).intoArray(y, yOff + j);
    }
    Gemm.scalarAxpy(j, n, alpha, x, xOff, y, yOff);
  }

  /** {@link #axpy}, storing zeros over each vector of x once it is read ({@link Gemm#axpyAndClear}). */
  static void axpyAndClear(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    FloatVector zero = FloatVector.zero(S);
    int j = 0;
    for (int upper = S.loopBound(n); j < upper; j += W) {
      FloatVector xj = FloatVector.fromArray(S, x, xOff + j);
      xj.mul(alpha).add(FloatVector.fromArray(S, y, yOff + j)).intoArray(y, yOff + j);
      zero.intoArray(x, xOff + j);
    }
    Gemm.scalarAxpyAndClear(j, n, alpha, x, xOff, y, yOff);
  }

  /** {@link Gemm#orColumnMagnitudes} a vector of columns at a time. */
  static void orColumnMagnitudes(float[] x, int rows, int cols, int[] bits) {
    int c = 0;
    for (int upper = I.loopBound(cols); c < upper; c += W) {
      IntVector acc = IntVector.zero(I);
      for (int r = 0; r < rows; r++) {
        acc = acc.or(FloatVector.fromArray(S, x, r * cols + c).reinterpretAsInts());
      }
      acc.and(Integer.MAX_VALUE).intoArray(bits, c);
    }
    Gemm.scalarOrColumnMagnitudes(c, x, rows, cols, bits);
  }

  /** How many of {@code x[0..n)} are not zero. */
  static long countNonZeros(float[] x, int n) {
    return countNonZeros(x, 0, n);
  }

  /**
   * Lanewise arithmetic only: |bits| clamped to 1 is 1 exactly for a non-zero float (either zero
   * counts as zero). JDK 17 compiles mask reductions (trueCount) far worse than this.
   */
  static long countNonZeros(float[] x, int from, int n) {
    IntVector counts = IntVector.zero(I);
    int i = from;
    int end = from + n;
    for (; i + W <= end; i += W) {
      IntVector bits = FloatVector.fromArray(S, x, i).reinterpretAsInts();
      counts = counts.add(bits.and(Integer.MAX_VALUE).min(1));
    }
    long count = counts.reduceLanes(VectorOperators.ADD);
    for (; i < end; i++) {
      count += x[i] != 0f ? 1 : 0;
    }
    return count;
  }

  /**
   * Lists the non-zero entries of {@code rows} rows of {@code len} contiguous floats in
   * {@code out}.
   * A vector's lanes are tested for zero at once, so the long zero runs of images and ReLU outputs
   * cost one compare per vector of entries instead of a branch per entry.
   */
  private static void compressRows(int rows, int len, float[] a, int aOff, int rowStride, SparseRows out) {
    int[] column = out.column;
    float[] value = out.value;
    int[] rowStart = out.rowStart;
    int count = 0;
    for (int r = 0; r < rows; r++) {
      rowStart[r] = count;
      int base = aOff + r * rowStride;
      int p = 0;
      for (; p + W <= len; p += W) {
        if (FloatVector.fromArray(S, a, base + p).compare(VectorOperators.NE, 0f).anyTrue()) {
          for (int q = p; q < p + W; q++) {
            float v = a[base + q];
            column[count] = q;
            value[count] = v;
            count += v != 0f ? 1 : 0;
          }
        }
      }
      for (; p < len; p++) {
        float v = a[base + p];
        column[count] = p;
        value[count] = v;
        count += v != 0f ? 1 : 0;
      }
    }
    rowStart[rows] = count;
  }

  /** Regroups a compressed [rows x cols] matrix into its transpose's rows (a counting sort). */
  private static void transposeSparse(int rows, int cols, SparseRows in, SparseRows out) {
    int[] column = in.column;
    float[] value = in.value;
    int[] rowStart = in.rowStart;
    int[] outColumn = out.column;
    float[] outValue = out.value;
    int[] outRowStart = out.rowStart;
    java.util.Arrays.fill(outRowStart, 0, cols + 1, 0);
    int count = rowStart[rows];
    for (int q = 0; q < count; q++) {
      outRowStart[column[q] + 1]++;
    }
    for (int c = 0; c < cols; c++) {
      outRowStart[c + 1] += outRowStart[c];
    }
    for (int r = 0; r < rows; r++) {
      for (int q = rowStart[r]; q < rowStart[r + 1]; q++) {
        int at = outRowStart[column[q]]++;
        outColumn[at] = r;
        outValue[at] = value[q];
      }
    }
    // Each row's cursor has advanced to the next row's start: shift back.
    System.arraycopy(outRowStart, 0, outRowStart, 1, cols);
    outRowStart[0] = 0;
  }

  /**
   * Columns {@code j..j+WIDE_BLOCK} ({@code wide}) or {@code j..j+BLOCK} of C, for every row, in
   * tiles of B's rows that fit in L1: each row of C takes its non-zeros that fall in the tile, then
   * the next row does, all reading the same tile of B. Without tiling the slice of B (784 rows of
   * the first layer's kernel) streams from L2 once per row of C; with it, that product ran 10-20%
   * faster in-process (GemmBenchmark times the kernel alone). Every output still sums its terms in
   * ascending order of p, so results are unchanged to the bit.
   */
  private static void columnBlock(boolean wide, int j, int m, int k, int n, int bOff, SparseRows rows, int[] cursor,
                                  float[] b, float[] c, int cOff) {
    int[] index = rows.column;
    float[] value = rows.value;
    int[] rowStart = rows.rowStart;
    int tile = wide ? TILE_ROWS : 2 * TILE_ROWS;
    System.arraycopy(rowStart, 0, cursor, 0, m);
    for (int p0 = 0; p0 < k; p0 += tile) {
      // Entries hold where B's row starts (bOff + p * n), ascending within a row of A.
      long limit = bOff + (long) Math.min(k, p0 + tile) * n;
      for (int i = 0; i < m; i++) {
        int from = cursor[i];
        int to = from;
        for (int end = rowStart[i + 1]; to < end && index[to] < limit; ) {
          to++;
        }
        if (to > from) {
          if (wide) {
            block64(j, from, to, index, value, b, c, cOff + i * n + j);
          } else {
            block32(j, from, to, index, value, b, c, cOff + i * n + j);
          }
        }
        cursor[i] = to;
      }
    }
  }

  /**
   * Adds into eight vectors of columns of one row of C (WIDE_BLOCK: 64 at 256 bits, 128 at 512) the
   * non-zero entries of A's row ({@code from..to}) times B's rows. {@link #block32} is the same loop
   * on four vectors. They are two methods on purpose: as one method with a width flag, C2 compiled a
   * loop that ran the cnn, which uses both widths, at half speed (PairedSteps --model cnn); the mlp,
   * which uses only the wide one, did not notice.
   */
  private static void block64(int j, int from, int to, int[] index, float[] value, float[] b, float[] c, int cAt) {
    FloatVector c0 = FloatVector.fromArray(S, c, cAt);
    FloatVector c1 = FloatVector.fromArray(S, c, cAt + W);
    FloatVector c2 = FloatVector.fromArray(S, c, cAt + 2 * W);
    FloatVector c3 = FloatVector.fromArray(S, c, cAt + 3 * W);
    FloatVector c4 = FloatVector.fromArray(S, c, cAt + 4 * W);
    FloatVector c5 = FloatVector.fromArray(S, c, cAt + 5 * W);
    FloatVector c6 = FloatVector.fromArray(S, c, cAt + 6 * W);
    FloatVector c7 = FloatVector.fromArray(S, c, cAt + 7 * W);
    for (int q = from; q < to; q++) {
      FloatVector av = FloatVector.broadcast(S, value[q]);
      int row = index[q] + j;
      c0 = FloatVector.fromArray(S, b, row).fma(av, c0);
      c1 = FloatVector.fromArray(S, b, row + W).fma(av, c1);
      c2 = FloatVector.fromArray(S, b, row + 2 * W).fma(av, c2);
      c3 = FloatVector.fromArray(S, b, row + 3 * W).fma(av, c3);
      c4 = FloatVector.fromArray(S, b, row + 4 * W).fma(av, c4);
      c5 = FloatVector.fromArray(S, b, row + 5 * W).fma(av, c5);
      c6 = FloatVector.fromArray(S, b, row + 6 * W).fma(av, c6);
      c7 = FloatVector.fromArray(S, b, row + 7 * W).fma(av, c7);
    }
    c0.intoArray(c, cAt);
    c1.intoArray(c, cAt + W);
    c2.intoArray(c, cAt + 2 * W);
    c3.intoArray(c, cAt + 3 * W);
    c4.intoArray(c, cAt + 4 * W);
    c5.intoArray(c, cAt + 5 * W);
    c6.intoArray(c, cAt + 6 * W);
    c7.intoArray(c, cAt + 7 * W);
  }

  static void block32(int j, int from, int to, int[] index, float[] value, float[] b, float[] c, int cAt) {
    FloatVector c0 = FloatVector.fromArray(S, c, cAt);
    FloatVector c1 = FloatVector.fromArray(S, c, cAt + W);
    FloatVector c2 = FloatVector.fromArray(S, c, cAt + 2 * W);
    FloatVector c3 = FloatVector.fromArray(S, c, cAt + 3 * W);
    for (int q = from; q < to; q++) {
      FloatVector av = FloatVector.broadcast(S, value[q]);
      int row = index[q] + j;
      c0 = FloatVector.fromArray(S, b, row).fma(av, c0);
      c1 = FloatVector.fromArray(S, b, row + W).fma(av, c1);
      c2 = FloatVector.fromArray(S, b, row + 2 * W).fma(av, c2);
      c3 = FloatVector.fromArray(S, b, row + 3 * W).fma(av, c3);
    }
    c0.intoArray(c, cAt);
    c1.intoArray(c, cAt + W);
    c2.intoArray(c, cAt + 2 * W);
    c3.intoArray(c, cAt + 3 * W);
  }
}
