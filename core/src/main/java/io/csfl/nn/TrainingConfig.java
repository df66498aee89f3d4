package io.csfl.nn;

/**
 * How a client trains locally each round. The defaults are the CS paper's: 5 epochs, batch 64, Adam 0.01.
 *
 * @param epochs    passes over the client's examples per round, at least 1
 * @param batchSize examples per optimiser step, at least 1 (an epoch's last batch may be smaller)
 * @param optimizer the optimiser, created afresh for every round
 */
public record TrainingConfig(int epochs, int batchSize, OptimizerConfig optimizer) {
  /**
   * Checks that epochs and batch size are positive, else {@link IllegalArgumentException}; the optimiser is not
   * checked.
   */
  public TrainingConfig {
    if (epochs <= 0) {
      throw new IllegalArgumentException("local epochs must be positive, got " + epochs);
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
  }

  /** The CS paper's setting: 5 local epochs, batches of 64, Adam with learning rate 0.01. */
  public static TrainingConfig paperDefaults() {
    return new TrainingConfig(5, 64, OptimizerConfig.adam(0.01));
  }
}
