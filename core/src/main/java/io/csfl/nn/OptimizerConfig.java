package io.csfl.nn;

import java.util.Locale;

/** Which optimiser local training uses, and its hyper-parameters. */
public record OptimizerConfig(Kind kind, double learningRate, double momentum) {
  public enum Kind { SGD, ADAM }

  public OptimizerConfig {
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    }
  }

  public static OptimizerConfig adam(double lr) {
    return new OptimizerConfig(Kind.ADAM, lr, 0);
  }

  public static OptimizerConfig sgd(double lr, double momentum) {
    return new OptimizerConfig(Kind.SGD, lr, momentum);
  }

  public static Kind parseKind(String name) {
    try {
      return Kind.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown optimizer '" + name + "' (expected sgd or adam)");
    }
  }

  /** A fresh optimiser with empty state. */
  public Optimizer create() {
    return kind == Kind.ADAM ? new Adam(learningRate) : new Sgd(learningRate, momentum);
  }
}
