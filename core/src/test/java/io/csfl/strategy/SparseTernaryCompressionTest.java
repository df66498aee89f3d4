package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.DenseSection;
import io.csfl.codec.Payload;
import io.csfl.codec.TernarySection;
import io.csfl.internal.wire.PayloadCodec;
import io.csfl.internal.wire.WireReader;
import io.csfl.internal.wire.WireWriter;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** STC's math (Sattler et al. 2019): ternary top-k with error feedback both ways, and the difference downlink. */
class SparseTernaryCompressionTest {
  private static final ModelSpec TINY = ModelSpec.of(List.of(TensorSpec.kernel("k", 2, 3), TensorSpec.bias("b", 3)));
  private static final ModelSpec WIDE = ModelSpec.of(List.of(TensorSpec.kernel("k", 40, 50), TensorSpec.bias("b", 50)));

  private static Model tiny(float[] kernel, float[] bias) {
    return Model.copyOf(TINY, new float[][] {kernel, bias});
  }

  private static Model randomModel(ModelSpec spec, Random rng) {
    float[][] tensors = new float[spec.tensorCount()][];
    for (int t = 0; t < tensors.length; t++) {
      tensors[t] = new float[spec.tensor(t).size()];
      for (int i = 0; i < tensors[t].length; i++) {
        tensors[t][i] = (float) rng.nextGaussian();
      }
    }
    return Model.copyOf(spec, tensors);
  }

  @Test
  void clientsAndServerSendTernaryTopKAndKeepTheRestAsResidual() throws InvalidUpdateException {
    FederatedStrategy stc = new SparseTernaryCompression(1.0 / 3);
    ServerAlgorithm server = stc.newServer(tiny(new float[] {1, 1, 1, 1, 1, 1}, new float[3]), 5);
    Payload down = server.downlink(1);
    assertInstanceOf(DenseSection.class, down.sections().get(0), "a client the server knows nothing of gets the dense model");
    ClientAlgorithm client = stc.newClient();
    Model start = client.startingModel(1, down, TINY);
    // Kernel update {0, 3, -1, 0, 0, 5}: the top 2 of 6 are 3 and 5, both sent as +4 (their mean magnitude).
    Payload up = client.uplink(down, start, tiny(new float[] {1, 4, 0, 1, 1, 6}, new float[] {1, 0, 0}));
    TernarySection kernel = assertInstanceOf(TernarySection.class, up.sections().get(0));
    assertArrayEquals(new int[] {1, 5}, kernel.support().positions());
    assertEquals(4f, kernel.magnitude());
    assertArrayEquals(new int[] {0, 1}, kernel.positive().positions(), "both kept values are positive");

    server.accumulate(1, up, 2);
    server.close(1);
    server.commit(1, Optional.empty());
    // The server's mean is that ternary update; re-ternarized it is unchanged.
    assertArrayEquals(new float[] {1, 5, 1, 1, 1, 5}, server.globalModel().tensor(0).toArray());
    assertArrayEquals(new float[] {1, 0, 0}, server.globalModel().tensor(1).toArray());

    // Left behind: {0, -1, -1, 0, 0, 1}. With no new change, the two largest (ties: lower index) go: -1, -1.
    TernarySection carried = (TernarySection) client.uplink(down, start, start).sections().get(0);
    assertArrayEquals(new int[] {1, 2}, carried.support().positions());
    assertEquals(1f, carried.magnitude());
    assertEquals(0, carried.positive().cardinality(), "both carried values are negative");
  }

  @Test
  void theServerKeepsWhatItsTernaryUpdateDidNotSay() throws InvalidUpdateException {
    FederatedStrategy stc = new SparseTernaryCompression(1.0 / 3);
    ServerAlgorithm server = stc.newServer(tiny(new float[6], new float[3]), 5);
    Payload down = server.downlink(1);
    ClientAlgorithm a = stc.newClient();
    ClientAlgorithm b = stc.newClient();
    // a sends +2 at 0 and 1; b sends -6 at 1 and 2 with three times the weight: mean {0.5, -4, -4.5, 0, 0, 0}.
    server.accumulate(1, a.uplink(down, a.startingModel(1, down, TINY), tiny(new float[] {2, 2, 0, 0, 0, 0}, new float[3])), 1);
    server.accumulate(1, b.uplink(down, b.startingModel(1, down, TINY), tiny(new float[] {0, -6, -6, 0, 0, 0}, new float[3])), 3);
    server.close(1);
    server.commit(1, Optional.empty());
    // Top 2: -4 and -4.5, both -4.25; residual {0.5, 0.25, -0.25, 0, 0, 0}.
    assertArrayEquals(new float[] {0, -4.25f, -4.25f, 0, 0, 0}, server.globalModel().tensor(0).toArray(), 1e-6f);
    // A round without updates ships the residual's top 2: 0.5 and 0.25 (ties broken low), mean 0.375.
    server.close(2);
    server.commit(2, Optional.empty());
    assertArrayEquals(new float[] {0.375f, -3.875f, -4.25f, 0, 0, 0}, server.globalModel().tensor(0).toArray(), 1e-6f);
  }

  @Test
  void aReturningClientGetsTheMissedUpdatesAndRebuildsTheGlobalModelToTheBit() throws InvalidUpdateException {
    FederatedStrategy stc = new SparseTernaryCompression(0.05);
    Random rng = new Random(5);
    ServerAlgorithm server = stc.newServer(randomModel(WIDE, rng), 10);
    ClientAlgorithm returning = stc.newClient();
    ClientAlgorithm regular = stc.newClient();
    int returningHeld = -1;
    int regularHeld = -1;
    for (int round = 1; round <= 5; round++) {
      boolean returns = round == 1 || round == 5;
      ClientAlgorithm client = returns ? returning : regular;
      int held = returns ? returningHeld : regularHeld;
      Payload down = server.downlinkFrom(round, held).orElse(server.downlink(round));
      if (held >= 0) {
        assertTrue(down.isDelta(), "round " + round + ": a client holding round " + held + " gets a difference");
        assertEquals(held, down.base());
        int rounds = round - 1 - held;
        assertEquals(WIDE.tensorCount() * rounds, down.sections().size(), "one ternary update per missed round and tensor");
        assertTrue(encodedSize(down) < encodedSize(server.downlink(round)) / 4, "the difference is far smaller than the model");
      }
      Model start = client.startingModel(round, down, WIDE);
      assertEquals(server.globalModel(), start, "round " + round + ": the client starts from the global model");
      server.accumulate(round, client.uplink(down, start, randomModel(WIDE, rng)), 10);
      server.close(round);
      server.commit(round, Optional.empty());
      if (returns) {
        returningHeld = round - 1;
      } else {
        regularHeld = round - 1;
      }
    }
  }

  @Test
  void aClientRefusesADifferenceFromAModelItDoesNotHold() throws InvalidUpdateException {
    FederatedStrategy stc = new SparseTernaryCompression(0.05);
    ServerAlgorithm server = stc.newServer(randomModel(WIDE, new Random(1)), 10);
    ClientAlgorithm client = stc.newClient();
    Payload dense = server.downlink(1);
    server.accumulate(1, client.uplink(dense, client.startingModel(1, dense, WIDE), randomModel(WIDE, new Random(2))), 1);
    server.close(1);
    server.commit(1, Optional.empty());
    ClientAlgorithm stranger = stc.newClient();
    Payload difference = server.downlinkFrom(2, 0).orElseThrow();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> stranger.startingModel(2, difference, WIDE));
    assertTrue(e.getMessage().contains("difference from the model of round 0") && e.getMessage().contains("holds none"), e.getMessage());
    assertEquals(server.globalModel(), client.startingModel(2, difference, WIDE), "the client that holds round 0 accepts it");
  }

  @Test
  void theDenseModelIsSentWhenTheDifferenceWouldBeLargerOrIsUnknown() throws InvalidUpdateException {
    FederatedStrategy stc = new SparseTernaryCompression(1.0 / 3);
    ServerAlgorithm server = stc.newServer(tiny(new float[6], new float[3]), 10);
    ClientAlgorithm client = stc.newClient();
    for (int round = 1; round <= 3; round++) {
      Payload down = server.downlink(round);
      server.accumulate(round, client.uplink(down, client.startingModel(round, down, TINY),
          tiny(new float[] {round, -round, 1, 2, 3, 4}, new float[] {1, 2, 3})), 1);
      server.close(round);
      server.commit(round, Optional.empty());
    }
    // Nine weights are 36 bytes dense; three rounds of ternary sections with their framing are more.
    assertFalse(server.downlinkFrom(4, 0).isPresent());
    assertTrue(server.downlinkFrom(4, 2).isPresent(), "one round's update is smaller");
    assertFalse(server.downlinkFrom(4, -1).isPresent(), "unknown: the dense model");
    server.restore(3, server.globalModel());
    assertFalse(server.downlinkFrom(4, 2).isPresent(), "a restored server has no history: the dense model");
  }

  @Test
  void theDifferenceRoundTripsThroughTheCodec() throws InvalidUpdateException {
    FederatedStrategy stc = new SparseTernaryCompression(0.05);
    ServerAlgorithm server = stc.newServer(randomModel(WIDE, new Random(3)), 10);
    ClientAlgorithm client = stc.newClient();
    for (int round = 1; round <= 3; round++) {
      Payload down = server.downlink(round);
      server.accumulate(round, client.uplink(down, client.startingModel(round, down, WIDE), randomModel(WIDE, new Random(round))), 1);
      server.close(round);
      server.commit(round, Optional.empty());
    }
    Payload difference = server.downlinkFrom(4, 1).orElseThrow();
    WireWriter out = new WireWriter(1024);
    PayloadCodec.encode(difference, out);
    assertEquals(difference, PayloadCodec.decode(new WireReader(out.toByteArray())));
  }

  private static long encodedSize(Payload payload) {
    return PayloadCodec.encodedSize(payload);
  }
}
