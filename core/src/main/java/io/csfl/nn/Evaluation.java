package io.csfl.nn;

/**
 * Accuracy (a fraction in [0, 1]) and mean cross-entropy loss of a model on a test set.
 *
 * <p>Checked when made: an accuracy outside [0, 1] (NaN, or a percentage) would be published as a
 * round's result and then make that round's checkpoint unreadable, so a resume would quietly
 * start again from round 1. The loss is not checked: a diverged model's is infinite or NaN.
 *
 * @param accuracy the fraction of examples whose highest-scoring class is the label, in [0, 1]
 * @param loss     the mean cross-entropy per example
 * @param examples how many test examples were evaluated, not negative
 */
public record Evaluation(double accuracy, double loss, int examples) {
  /** @throws IllegalArgumentException if accuracy is not in [0, 1] or examples is negative */
  public Evaluation {
    if (!(accuracy >= 0 && accuracy <= 1)) {
      throw new IllegalArgumentException("an evaluation's accuracy must be a fraction in [0, 1], got " + accuracy);
    }
    if (examples < 0) {
      throw new IllegalArgumentException("an evaluation's example count must not be negative, got " + examples);
    }
  }
}
