package io.csfl.tensor;

import java.util.Arrays;

/**
 * The sort-based selection that {@link MagnitudePruning}'s radix select replaced: the oracle of its
 * tie rule in tests, and the baseline of the pruning benchmark.
 */
final class SortedMagnitudePruning {
  private SortedMagnitudePruning() {}

  static Mask topMagnitude(float[] values, int keep) {
    int n = values.length;
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
}
