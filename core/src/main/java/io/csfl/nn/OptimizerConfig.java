package io.csfl.nn;

import java.util.Locale;

/**
 * Which optimiser local training uses, and its hyper-parameters. Immutable; {@link #create()} makes a fresh
 * optimiser from it for each training run.
 *
 * @param kind         SGD or Adam
 * @param learningRate the step size, finite and above 0
 * @param momentum     SGD's heavy-ball momentum in [0, 1); 0 for Adam, which keeps its own moments
 */
public record OptimizerConfig(Kind kind, double learningRate, double momentum) {
  /** The optimisers there are. */
  public enum Kind { /** Stochastic gradient descent, with optional heavy-ball momentum. */ SGD, /** Adam, whose {@link OptimizerConfig#momentum()} is 0. */ ADAM }

  /**
   * Checks the values: the learning rate must be finite and above 0 and the momentum in [0, 1), and
   * 0 for Adam (a momentum that would be silently ignored is refused), else {@link IllegalArgumentException}.
   */
  public OptimizerConfig {
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    }
    if (kind == Kind.ADAM && momentum != 0) {
      throw new IllegalArgumentException("momentum is for SGD only; Adam keeps its own moments, got momentum " + momentum);
    }
  }

  /** Adam with learning rate {@code lr} and Keras' defaults for the rest. */
  public static OptimizerConfig adam(double lr) {
    return new OptimizerConfig(Kind.ADAM, lr, 0);
  }

  /** SGD with learning rate {@code lr} and heavy-ball {@code momentum} (0 for plain SGD). */
  public static OptimizerConfig sgd(double lr, double momentum) {
    return new OptimizerConfig(Kind.SGD, lr, momentum);
  }

  /**
   * The kind named {@code name}, case-insensitively and ignoring surrounding blanks: {@code sgd} or {@code adam}.
   *
   * @throws IllegalArgumentException for any other name, with a message listing the valid ones
   */
  public static Kind parseKind(String name) {
    try {
      return Kind.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown optimizer '" + name + "' (expected sgd or adam)");
    }
  }

  /** A fresh optimiser with empty state, for one local training run. */
  public Optimizer create() {
    return kind == Kind.ADAM ? new Adam(learningRate) : new Sgd(learningRate, momentum);
  }
}
