package io.csfl.nn;

/** The built-in engine: {@link NetworkTrainer}, which needs nothing beyond the JDK. */
final class JavaEngine implements TrainingEngine {
  @Override
  public String name() {
    return JAVA;
  }

  @Override
  public LocalTrainer trainer(Architecture architecture, int[] shape, int classes, TrainingConfig config) {
    return new NetworkTrainer(architecture, config);
  }
}
