package io.csfl.internal.data;

import java.util.Random;

/** Fisher-Yates shuffling of index arrays, the one used for partitions and for local epochs. */
public final class Shuffle {
  private Shuffle() {}

  /**
   * Shuffles {@code a} in place, uniformly; the order depends only on the array and the state of {@code rng},
   * which it advances.
   */
  public static void inPlace(int[] a, Random rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** 0 .. n-1 in random order. */
  public static int[] range(int n, Random rng) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    inPlace(a, rng);
    return a;
  }
}
