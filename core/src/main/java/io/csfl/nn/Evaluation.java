package io.csfl.nn;

/**
 * Accuracy (a fraction in [0, 1]) and mean cross-entropy loss of a model on a test set.
 *
 * @param accuracy the fraction of examples whose highest-scoring class is the label, in [0, 1]
 * @param loss     the mean cross-entropy per example
 * @param examples how many test examples were evaluated
 */
public record Evaluation(double accuracy, double loss, int examples) {}
