package io.csfl.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD form of {@link Gemm#mulAdd}. Each row of A is first compressed to its non-zero entries;
 * then, for one 32-column block of B at a time (small enough to stay in L2 across all rows), each
 * row of C keeps its 32 outputs in four vector registers while the non-zero A entries stream by.
 * Loaded only when the JVM has the incubator module.
 */
final class VectorGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
  private static final int W = 8;
  private static final int BLOCK = 4 * W;
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private VectorGemm() {}

  /** Per-thread buffers for the compressed rows of A, grown on demand. */
  private static final class Scratch {
    int[] index = new int[0];
    float[] value = new float[0];
    int[] rowStart = new int[0];

    void ensure(int m, int k) {
      long entries = (long) m * k;
      if (index.length < entries) {
        index = new int[(int) entries];
        value = new float[(int) entries];
      }
      if (rowStart.length < m + 1) {
        rowStart = new int[m + 1];
      }
    }
  }

  static void mulAdd(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, float[] c, int cOff) {
    Scratch s = SCRATCH.get();
    s.ensure(m, k);
    int[] index = s.index;
    float[] value = s.value;
    int[] rowStart = s.rowStart;
    int count = 0;
    for (int i = 0; i < m; i++) {
      rowStart[i] = count;
      int base = aOff + i * ars;
      for (int p = 0; p < k; p++) {
        float v = a[base + p * acs];
        if (v != 0f) {
          index[count] = bOff + p * n;
          value[count++] = v;
        }
      }
    }
    rowStart[m] = count;
    int j = 0;
    for (; j + BLOCK <= n; j += BLOCK) {
      for (int i = 0; i < m; i++) {
        block32(j, rowStart[i], rowStart[i + 1], index, value, b, c, cOff + i * n + j);
      }
    }
    for (; j + W <= n; j += W) {
      for (int i = 0; i < m; i++) {
        int cAt = cOff + i * n + j;
        FloatVector acc = FloatVector.fromArray(S, c, cAt);
        for (int q = rowStart[i]; q < rowStart[i + 1]; q++) {
          acc = FloatVector.fromArray(S, b, index[q] + j).fma(FloatVector.broadcast(S, value[q]), acc);
        }
        acc.intoArray(c, cAt);
      }
    }
    for (; j < n; j++) {
      for (int i = 0; i < m; i++) {
        float sum = 0f;
        for (int q = rowStart[i]; q < rowStart[i + 1]; q++) {
          sum += value[q] * b[index[q] + j];
        }
        c[cOff + i * n + j] += sum;
      }
    }
  }

  private static void block32(int j, int from, int to, int[] index, float[] value, float[] b, float[] c, int cAt) {
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
