package io.csfl.nn;

/** How a client trains locally each round. The defaults are the CS paper's: 5 epochs, batch 64, Adam 0.01. */
public record TrainingConfig(int epochs, int batchSize, OptimizerConfig optimizer) {
  public TrainingConfig {
    if (epochs <= 0) {
      throw new IllegalArgumentException("local epochs must be positive, got " + epochs);
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
  }

  public static TrainingConfig paperDefaults() {
    return new TrainingConfig(5, 64, OptimizerConfig.adam(0.01));
  }
}
