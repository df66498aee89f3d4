package io.csfl.data;

/** The check of a number of classes that a loader is given: 0 (from the labels) or 2 to {@link Dataset#MAX_CLASSES}. */
final class ClassCount {
  private ClassCount() {}

  /**
   * @throws IllegalArgumentException if {@code classes} is neither 0 nor between 2 and {@link Dataset#MAX_CLASSES}
   */
  static void require(int classes) {
    if (classes != 0 && (classes < 2 || classes > Dataset.MAX_CLASSES)) {
      throw new IllegalArgumentException("the number of classes must be between 2 and " + Dataset.MAX_CLASSES + ", got " + classes);
    }
  }
}
