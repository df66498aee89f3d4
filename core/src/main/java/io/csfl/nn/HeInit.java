package io.csfl.nn;

import java.util.Random;

/** He (Kaiming) normal initialisation: N(0, 2 / fanIn), suited to ReLU layers. */
final class HeInit {
  private HeInit() {}

  static void fill(float[] w, int fanIn, Random rng) {
    double std = Math.sqrt(2.0 / fanIn);
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (rng.nextGaussian() * std);
    }
  }
}
