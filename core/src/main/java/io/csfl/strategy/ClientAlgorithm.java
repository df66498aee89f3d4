package io.csfl.strategy;

import io.csfl.codec.Payload;
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

  /** What to send back after training {@code start} into {@code trained}. */
  Payload uplink(Payload downlink, Model start, Model trained);
}
