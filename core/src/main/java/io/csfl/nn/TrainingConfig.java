package io.csfl.nn;

import java.time.Duration;
import java.util.Objects;

/**
 * How a client trains locally each round. The defaults are the CS paper's: 5 epochs, batch 64, Adam 0.01.
 *
 * @param epochs    passes over the client's examples per round, at least 1
 * @param batchSize examples per optimiser step, at least 1 (an epoch's last batch may be smaller)
 * @param optimizer the optimiser, created afresh for every round
 * @param timeLimit the longest one call may train, {@link Duration#ZERO} for no limit: training
 *                  past its round's deadline is work nobody takes, which holds a training thread
 *                  that the next round's clients wait for. The built-in trainers stop between
 *                  steps with a {@link TrainingTimeLimitException} once it has passed
 *                  ({@link #checkTime}); {@code csfl simulate} and {@code csfl node} set it to the
 *                  round timeout
 */
public record TrainingConfig(int epochs, int batchSize, OptimizerConfig optimizer, Duration timeLimit) {
  /**
   * Checks that epochs and batch size are positive and the time limit is between zero and 292
   * years (what {@link System#nanoTime()} can count), else {@link IllegalArgumentException}; the
   * optimiser is not checked.
   */
  public TrainingConfig {
    if (epochs <= 0) {
      throw new IllegalArgumentException("local epochs must be positive, got " + epochs);
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    Objects.requireNonNull(timeLimit, "timeLimit");
    if (timeLimit.isNegative() || timeLimit.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L) {
      // (System.nanoTime() counts 292 years at most.)
      throw new IllegalArgumentException("the time limit must be between zero (none) and 292 years, got " + timeLimit);
    }
  }

  /** Training without a time limit. */
  public TrainingConfig(int epochs, int batchSize, OptimizerConfig optimizer) {
    this(epochs, batchSize, optimizer, Duration.ZERO);
  }

  /** The CS paper's setting: 5 local epochs, batches of 64, Adam with learning rate 0.01. */
  public static TrainingConfig paperDefaults() {
    return new TrainingConfig(5, 64, OptimizerConfig.adam(0.01));
  }

  /** This configuration with another time limit ({@link Duration#ZERO} for none). */
  public TrainingConfig withTimeLimit(Duration limit) {
    return new TrainingConfig(epochs, batchSize, optimizer, limit);
  }

  /**
   * What a trainer calls between steps of a call that started at {@code startNanos} (of
   * {@link System#nanoTime()}), in epoch {@code epoch} (from 0).
   *
   * @throws TrainingTimeLimitException if the call has trained longer than {@link #timeLimit()}
   */
  public void checkTime(long startNanos, int epoch) {
    if (!timeLimit.isZero() && System.nanoTime() - startNanos > timeLimit.toNanos()) {
      throw new TrainingTimeLimitException(timeLimit, epoch, epochs);
    }
  }
}
