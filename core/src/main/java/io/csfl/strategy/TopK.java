package io.csfl.strategy;

import io.csfl.tensor.MagnitudePruning;
import io.csfl.tensor.Mask;

/** Top-k selection with error feedback: what is not sent now is added to what is sent next time. */
final class TopK {
  private TopK() {}

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
}
