package io.csfl.nn;

import io.csfl.data.Dataset;
import io.csfl.tensor.Model;

/**
 * Central evaluation of the model the server holds after each round. The server federates
 * whatever model the user's {@link LocalTrainer} trains, so it cannot assume one of the built-in
 * networks: it asks this interface, and a user who brings a trainer of another model family
 * brings the evaluator that goes with it. {@link #of} is the one for the built-in networks.
 *
 * <p>The server calls {@link #evaluate} from its own actor, one call at a time, so an
 * implementation need not be thread-safe and may reuse its buffers from call to call. It blocks
 * the server while it runs: a large test set is better cut down (as {@code --eval-examples} does).
 */
@FunctionalInterface
public interface Evaluator {
  /** Accuracy and loss of {@code model} on this evaluator's test examples. */
  Evaluation evaluate(Model model);

  /**
   * Evaluates models of {@code architecture} on every example of {@code testSet}.
   *
   * @throws IllegalArgumentException if the data's features or classes do not match the network's
   */
  static Evaluator of(Architecture architecture, Dataset testSet) {
    return new NetworkEvaluator(architecture, testSet);
  }
}
