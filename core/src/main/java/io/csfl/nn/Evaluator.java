package io.csfl.nn;

import io.csfl.data.Dataset;
import io.csfl.tensor.Model;

/** Central evaluation of the model the server ships, on a held-out test set. */
public final class Evaluator {
  private static final int BATCH = 256;
  private final Network network;
  private final Dataset testSet;
  private final int[] all;

  public Evaluator(Architecture architecture, Dataset testSet) {
    this.network = architecture.newNetwork(BATCH);
    this.testSet = testSet;
    this.all = new int[testSet.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
  }

  /** Not thread-safe: one evaluator per actor. */
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
