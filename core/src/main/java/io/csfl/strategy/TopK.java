package io.csfl.strategy;

import io.csfl.codec.TernarySection;
import io.csfl.tensor.MagnitudePruning;
import io.csfl.tensor.Mask;

/** Top-k selection with error feedback: what is not sent now is added to what is sent next time. */
final class TopK {
  private TopK() {}

  /** Checks a density flag: a fraction in (0, 1]. */
  static double requireDensity(String algorithm, double density) {
    if (!(density > 0 && density <= 1)) {
      throw new IllegalArgumentException(algorithm + " density must be in (0, 1], got " + density);
    }
    return density;
  }

  /** A zero residual for each tensor of {@code spec}. */
  static float[][] zeros(io.csfl.tensor.ModelSpec spec) {
    float[][] out = new float[spec.tensorCount()][];
    for (int t = 0; t < out.length; t++) {
      out[t] = new float[spec.tensor(t).size()];
    }
    return out;
  }

  /** How many of {@code n} values a density keeps: at least one, so every tensor moves. */
  static int count(int n, double density) {
    return Math.max(Math.min(n, 1), (int) Math.round(density * n));
  }

  /**
   * Adds {@code residual} to {@code update}, keeps the {@code k} largest magnitudes, and leaves in
   * {@code residual} what was not kept. Returns the kept positions; {@code update} is overwritten
   * with the compensated values.
   */
  static Mask selectWithFeedback(float[] update, float[] residual, int k) {
    for (int i = 0; i < update.length; i++) {
      update[i] += residual[i];
    }
    Mask kept = MagnitudePruning.topMagnitude(update, k);
    for (int i = 0; i < update.length; i++) {
      residual[i] = kept.get(i) ? 0f : update[i];
    }
    return kept;
  }

  /**
   * Sparse ternary compression of one tensor (Sattler et al. 2019): adds {@code residual} to
   * {@code update}, keeps the {@code k} largest magnitudes, and replaces each kept value by its
   * sign times the mean kept magnitude. What the ternary tensor does not say, including the
   * rounding of the kept values, is left in {@code residual}.
   */
  static TernarySection ternarizeWithFeedback(int tensor, float[] update, float[] residual, int k) {
    for (int i = 0; i < update.length; i++) {
      update[i] += residual[i];
    }
    Mask kept = MagnitudePruning.topMagnitude(update, k);
    int[] positions = kept.positions();
    double magnitudes = 0;
    for (int p : positions) {
      magnitudes += Math.abs(update[p]);
    }
    float mu = positions.length == 0 ? 0f : (float) (magnitudes / positions.length);
    System.arraycopy(update, 0, residual, 0, update.length);
    long[] positive = new long[(positions.length + 63) >>> 6];
    for (int j = 0; j < positions.length; j++) {
      int p = positions[j];
      boolean up = update[p] >= 0;
      if (up) {
        positive[j >>> 6] |= 1L << j;
      }
      residual[p] = update[p] - (up ? mu : -mu);
    }
    return new TernarySection(tensor, kept, Mask.fromWords(positions.length, positive), mu);
  }
}
