package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.csfl.codec.Payload;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.NonFiniteValueException;
import io.csfl.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Updates that are each finite can add up to a global model (or, for STC, an update plus the
 * server's residual) that is not. A server then refuses the round in {@code close} with a
 * {@link NonFiniteValueException} (the aggregator discards such a round and the server retries
 * it) and, once the round is abandoned, is exactly as it was.
 */
class NonFiniteRoundTest {
  private static final ModelSpec TINY = ModelSpec.of(List.of(TensorSpec.kernel("k", 2, 3), TensorSpec.bias("b", 3)));

  private static Model tiny(float[] kernel, float[] bias) {
    return Model.copyOf(TINY, new float[][] {kernel, bias});
  }

  /**
   * Round 1 and round 2 each get the updates of clients that trained a zero model into
   * {@code kernels}, one each; round 2's must be refused and leave no trace.
   */
  private static void theSecondRoundIsRefused(FederatedStrategy strategy, float[]... kernels) throws InvalidUpdateException {
    Model initial = tiny(new float[6], new float[3]);
    ServerAlgorithm server = strategy.newServer(initial, 5);
    ServerAlgorithm untouched = strategy.newServer(initial, 5);
    Payload down = server.downlink(1);
    Model start = strategy.newClient().startingModel(1, down, TINY);
    List<Payload> updates = new ArrayList<>();
    for (float[] kernel : kernels) {
      updates.add(strategy.newClient().uplink(down, start, tiny(kernel, new float[3])));
    }
    for (ServerAlgorithm s : List.of(server, untouched)) {
      for (Payload u : updates) {
        s.accumulate(1, u, 1);
      }
      s.close(1);
      s.commit(1, Optional.empty());
    }

    for (Payload u : updates) {
      server.accumulate(2, u, 1);
    }
    assertThrows(NonFiniteValueException.class, () -> server.close(2), strategy.name());
    server.abandon(2);
    assertEquals(untouched.globalModel(), server.globalModel(), strategy.name());
    assertEquals(untouched.exportState(), server.exportState(), strategy.name() + ": its state (STC: residual and history) as before");

    // The retry of the round aggregates as if the refused attempt had never been.
    Payload small = strategy.newClient().uplink(down, start, tiny(new float[] {1, 0, 0, 0, 0, 2}, new float[] {0, 0, 3}));
    for (ServerAlgorithm s : List.of(server, untouched)) {
      s.accumulate(2, small, 1);
      s.close(2);
      s.commit(2, Optional.empty());
    }
    assertEquals(untouched.globalModel(), server.globalModel(), strategy.name());
    assertEquals(untouched.exportState(), server.exportState(), strategy.name());
  }

  /** Two weights near the float range: round 1 moves them there, round 2 would take them to twice that. */
  private static final float[] NEAR_THE_RANGE = {3e38f, 3e38f, 0, 0, 0, 0};

  @Test
  void topKRefusesARoundThatTakesTheModelPastTheFloatRange() throws InvalidUpdateException {
    theSecondRoundIsRefused(new TopKSparsification(1.0 / 3), NEAR_THE_RANGE);
  }

  @Test
  void stcRefusesARoundThatTakesTheModelPastTheFloatRange() throws InvalidUpdateException {
    theSecondRoundIsRefused(new SparseTernaryCompression(1.0 / 3), NEAR_THE_RANGE);
  }

  @Test
  void stcRefusesARoundWhoseUpdatePlusResidualIsNotFinite() throws InvalidUpdateException {
    // v at positions {0, 1} from one client and {1, 2} from the other: the mean is {v/2, v, v/2},
    // the server sends 0 and 1 as 3v/4 and keeps {-v/4, v/4, v/2} as its residual; in round 2,
    // v plus the residual's v/4 at position 1 passes the float range.
    float v = 3.3e38f;
    theSecondRoundIsRefused(new SparseTernaryCompression(1.0 / 3), new float[] {v, v, 0, 0, 0, 0}, new float[] {0, v, v, 0, 0, 0});
  }
}
