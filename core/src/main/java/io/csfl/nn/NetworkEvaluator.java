package io.csfl.nn;

import io.csfl.data.Dataset;
import io.csfl.tensor.Model;
import java.util.Arrays;

/** {@link Evaluator} of a built-in {@link Architecture}: batches of the test set through one reused network. */
final class NetworkEvaluator implements Evaluator {
  private static final int BATCH = 256;
  private final Network network;
  private final Dataset testSet;
  private final int[] all;

  NetworkEvaluator(Architecture architecture, Dataset testSet) {
    this.network = architecture.newNetwork(BATCH);
    requireFits(architecture, network, testSet);
    this.testSet = testSet;
    this.all = new int[testSet.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
  }

  /**
   * Refuses data the network cannot read: a feature count other than its input size would fill its
   * input buffer wrongly (or overflow it), a class count other than its outputs would index labels
   * out of range or never predict some classes.
   */
  static void requireFits(Architecture architecture, Network network, Dataset data) {
    if (data.features() != network.inputSize() || data.classes() != network.classes()) {
      throw new IllegalArgumentException("dataset " + data.name() + " has " + data.features() + " features (shape "
          + Arrays.toString(data.shape()) + ") and " + data.classes() + " classes, but model " + architecture
          + " reads " + network.inputSize() + " features and predicts " + network.classes() + " classes"
          + (data.classes() < network.classes() ? " (a dataset counts its classes from its largest label; Dataset.Builder.classes sets them)" : ""));
    }
  }

  /** Not thread-safe: one evaluator per actor. */
  @Override
  public Evaluation evaluate(Model model) {
    network.load(model);
    int[] hits = new int[1];
    long correct = 0;
    double loss = 0;
    for (int from = 0; from < all.length; from += BATCH) {
      int batch = Math.min(BATCH, all.length - from);
      testSet.fill(all, from, batch, network.inputBuffer(), network.labelBuffer());
      loss += network.evaluateBatch(batch, hits);
      correct += hits[0];
    }
    return new Evaluation((double) correct / all.length, loss / all.length, all.length);
  }
}
