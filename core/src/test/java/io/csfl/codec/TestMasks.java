package io.csfl.codec;

import io.csfl.tensor.Mask;
import java.util.Random;

/** Random masks for tests and benchmarks: each position kept with probability {@code density}. */
public final class TestMasks {
  private TestMasks() {}

  public static Mask random(int n, double density, long seed) {
    Random rng = new Random(seed);
    long[] words = new long[(n + 63) >>> 6];
    for (int i = 0; i < n; i++) {
      if (rng.nextDouble() < density) {
        words[i >>> 6] |= 1L << i;
      }
    }
    return Mask.fromWords(n, words);
  }
}
