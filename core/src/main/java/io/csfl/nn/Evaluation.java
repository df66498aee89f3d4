package io.csfl.nn;

/** Accuracy (a fraction in [0, 1]) and mean cross-entropy loss of a model on a test set. */
public record Evaluation(double accuracy, double loss, int examples) {}
