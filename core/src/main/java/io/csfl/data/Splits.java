package io.csfl.data;

import java.util.Objects;

/**
 * A training set and a test set of the same shape and classes, and where they came from (a
 * directory, a file, a generator's parameters) for messages.
 *
 * @param train  the training set
 * @param test   the test set: the training set's shape, labels below its class count
 * @param source where the sets came from, for messages
 */
public record Splits(Dataset train, Dataset test, String source) {
  /** Checks that the test set fits the training set: same shape, no more classes. */
  public Splits {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
    Objects.requireNonNull(source, "source");
    if (!java.util.Arrays.equals(train.shape(), test.shape())) {
      throw new DataFileException(source + ": the test set's shape " + java.util.Arrays.toString(test.shape())
          + " differs from the training set's " + java.util.Arrays.toString(train.shape()));
    }
    if (test.classes() > train.classes()) {
      throw new DataFileException(source + ": the test set has labels up to " + (test.classes() - 1)
          + ", the training set's classes are 0 to " + (train.classes() - 1));
    }
  }
}
