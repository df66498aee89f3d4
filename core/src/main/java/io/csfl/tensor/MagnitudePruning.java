package io.csfl.tensor;

import java.util.Arrays;

/**
 * Keeps the largest-magnitude entries of a tensor. The kept count is exact: ties at the threshold
 * are broken by lower position first, so the result is deterministic.
 */
public final class MagnitudePruning {
  private MagnitudePruning() {}

  /** How many of {@code size} entries survive pruning at {@code sparsity}. */
  public static int keptCount(int size, double sparsity) {
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
    }
    return size - (int) Math.round(sparsity * size);
  }

  /** The mask of the {@code keep} largest |values|. */
  public static Mask topMagnitude(float[] values, int keep) {
    int n = values.length;
    if (keep < 0 || keep > n) {
      throw new IllegalArgumentException("cannot keep " + keep + " of " + n);
    }
    long[] words = new long[Mask.wordCount(n)];
    if (keep == 0) {
      return Mask.adopt(n, words);
    }
    float[] magnitudes = new float[n];
    for (int i = 0; i < n; i++) {
      magnitudes[i] = Math.abs(values[i]);
    }
    float[] sorted = magnitudes.clone();
    Arrays.sort(sorted);
    float threshold = sorted[n - keep];
    int above = 0;
    for (int i = 0; i < n; i++) {
      if (magnitudes[i] > threshold) {
        words[i >>> 6] |= 1L << i;
        above++;
      }
    }
    int ties = keep - above;
    for (int i = 0; i < n && ties > 0; i++) {
      if (magnitudes[i] == threshold) {
        words[i >>> 6] |= 1L << i;
        ties--;
      }
    }
    return Mask.adopt(n, words);
  }

  public static Mask topMagnitude(Values values, int keep) {
    return topMagnitude(values.raw(), keep);
  }
}
