package io.csfl.strategy;

import io.csfl.codec.Payload;
import io.csfl.data.Dataset;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;

/** The client's half of a strategy; confined to one client actor. */
public interface ClientAlgorithm {
  /**
   * The model to start local training from, rebuilt from what the server sent: dense sections as
   * they are, masked ones with zeros at the pruned positions.
   */
  default Model startingModel(Payload downlink, ModelSpec spec) {
    return Payloads.toModel(downlink, spec);
  }

  /**
   * As above, for the downlink of {@code round}: the model the client then holds is the global
   * model of round {@code round - 1}. A strategy whose downlink may be a difference from an earlier
   * model (STC) keeps that model here, and throws {@link IllegalStateException} when a difference
   * comes from a base it does not hold.
   */
  default Model startingModel(int round, Payload downlink, ModelSpec spec) {
    return startingModel(downlink, spec);
  }

  /**
   * Local training from {@code start}. Most algorithms train once, as here; one that trains
   * differently (FL-PQSU trains, prunes and trains again) overrides this.
   */
  default TrainingResult train(LocalTrainer trainer, Model start, Dataset data, int[] examples, long seed) {
    return trainer.train(start, data, examples, seed);
  }

  /** What to send back after training {@code start} into {@code trained}. */
  Payload uplink(Payload downlink, Model start, Model trained);
}
