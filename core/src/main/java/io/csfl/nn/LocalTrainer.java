package io.csfl.nn;

import io.csfl.data.Dataset;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;

/**
 * Trains a model on a client's examples. The built-in implementation is {@link NetworkTrainer};
 * a user may bring another one (a native library, another model family) as long as it consumes
 * and produces models of {@link #spec()}. Implementations must be safe to call from several
 * client actors at once.
 */
public interface LocalTrainer {
  ModelSpec spec();

  /**
   * @param examples indices into {@code data} of this client's examples
   * @param seed     seeds the shuffling, so a run is reproducible
   */
  TrainingResult train(Model start, Dataset data, int[] examples, long seed);

  /**
   * Like {@link #train}, with every weight outside {@code keep} held at zero throughout (pruned
   * training, which FL-PQSU's clients do after pruning). A trainer that cannot hold weights at
   * zero keeps this default, and a strategy that needs it fails with this message.
   */
  default TrainingResult trainPruned(Model start, MaskSet keep, Dataset data, int[] examples, long seed) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot train with pruned weights held at zero");
  }
}
