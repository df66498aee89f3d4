package io.csfl.data;

import java.util.Random;

/** Test data that needs no files: random 28x28 images with random labels of 10 classes. */
public final class RandomImages {
  private RandomImages() {}

  public static Dataset of(int count, long seed) {
    Random rng = new Random(seed);
    byte[] pixels = new byte[count * 784];
    rng.nextBytes(pixels);
    byte[] labels = new byte[count];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = (byte) rng.nextInt(10);
    }
    return Dataset.of("random", 28, 28, 10, pixels, labels);
  }
}
