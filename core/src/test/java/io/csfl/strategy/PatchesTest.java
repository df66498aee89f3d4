package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.PatchSection;
import io.csfl.codec.Payload;
import io.csfl.internal.wire.PayloadCodec;
import io.csfl.internal.wire.WireReader;
import io.csfl.internal.wire.WireWriter;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * CS's patch downlink is wire coding only: a client fed patches starts every round from the same
 * model, to the bit, and sends the same update as one fed the whole sparse model each time.
 */
class PatchesTest {
  private static final ModelSpec WIDE = ModelSpec.of(List.of(TensorSpec.kernel("k", 40, 50), TensorSpec.bias("b", 50)));
  private static final StrategyParams PARAMS = new StrategyParams(CsOptions.defaults(), 0.1, 0.25);
  /** The rounds in which the returning client is selected: gaps of 1, 3 and 4 rounds. */
  private static final List<Integer> RETURNS = List.of(1, 2, 3, 6, 10);

  private static Model randomModel(Random rng, float scale, Model around) {
    float[][] tensors = new float[WIDE.tensorCount()][];
    for (int t = 0; t < tensors.length; t++) {
      tensors[t] = around == null ? new float[WIDE.tensor(t).size()] : around.tensor(t).toArray();
      for (int i = 0; i < tensors[t].length; i++) {
        tensors[t][i] += scale * (float) rng.nextGaussian();
      }
    }
    return Model.copyOf(WIDE, tensors);
  }

  /** What the client receives: the payload after a trip through the codec. */
  private static Payload wire(Payload p) {
    WireWriter out = new WireWriter(1024);
    PayloadCodec.encode(p, out);
    return PayloadCodec.decode(new WireReader(out.toByteArray()));
  }

  private static void endRound(ServerAlgorithm server, int round) {
    Optional<PruneRequest> request = server.close(round);
    server.commit(round, request.map(r -> new MagnitudePruner().masks(r.candidate(), r.sparsity())));
  }

  @ParameterizedTest
  @ValueSource(strings = {"cs", "cs-1bit", "cs-fp16", "cs-topk", "cs-1bit-topk"})
  void aClientFedPatchesStartsAndAnswersExactlyLikeOneFedWholeModels(String name) throws InvalidUpdateException {
    FederatedStrategy cs = Strategies.byName(name, PARAMS);
    Random rng = new Random(11);
    ServerAlgorithm server = cs.newServer(randomModel(rng, 0.3f, null), 20);
    ClientAlgorithm patched = cs.newClient();
    ClientAlgorithm twin = cs.newClient();
    ClientAlgorithm regular = cs.newClient();
    int held = Payload.ABSOLUTE;
    int patches = 0;
    for (int round = 1; round <= 10; round++) {
      Payload whole = server.downlink(round);
      if (RETURNS.contains(round)) {
        Optional<Payload> patch = server.downlinkFrom(round, held);
        Payload down = wire(patch.orElse(whole));
        if (patch.isPresent()) {
          patches++;
          assertTrue(PayloadCodec.encodedSize(patch.get()) < PayloadCodec.encodedSize(whole), "a patch is only sent when smaller");
          assertEquals(held, down.base());
        }
        Model start = patched.startingModel(round, down, WIDE);
        Model twinStart = twin.startingModel(round, wire(whole), WIDE);
        assertEquals(twinStart, start, name + " round " + round + ": the same starting model");
        Model trained = randomModel(new Random(round), 0.05f, start);
        Payload update = patched.uplink(down, start, trained);
        assertEquals(twin.uplink(wire(whole), twinStart, trained), update, name + " round " + round + ": the same update");
        server.accumulate(round, update, 5);
        held = round - 1;
      }
      Payload regularDown = wire(whole);
      Model regularStart = regular.startingModel(round, regularDown, WIDE);
      server.accumulate(round, regular.uplink(regularDown, regularStart, randomModel(new Random(100 + round), 0.05f, regularStart)), 7);
      endRound(server, round);
    }
    assertTrue(patches >= 3, name + ": patches sent in " + patches + " of the returns after round 2");
  }

  @Test
  void thePaperCsPatchCarriesOnlyWhatPruningMoved() throws InvalidUpdateException {
    FederatedStrategy cs = Strategies.byName("cs", PARAMS);
    ServerAlgorithm server = cs.newServer(randomModel(new Random(3), 0.3f, null), 20);
    ClientAlgorithm client = cs.newClient();
    for (int round = 1; round <= 3; round++) {
      Payload down = wire(server.downlink(round));
      Model start = client.startingModel(round, down, WIDE);
      // Small complement updates: few of them outgrow the kept weights they would replace.
      server.accumulate(round, client.uplink(down, start, randomModel(new Random(round), 0.01f, start)), 1);
      endRound(server, round);
    }
    Payload patch = server.downlinkFrom(4, 2).orElseThrow();
    PatchSection kernel = (PatchSection) patch.sections().get(0);
    PatchSection bias = (PatchSection) patch.sections().get(1);
    int moved = kernel.flips().cardinality() / 2;
    assertEquals(moved, kernel.values().length(), "kept weights are frozen in CS: only those swapped in travel");
    assertTrue(moved < 2000 / 10, moved + " of 1000 kept weights swapped in one round");
    assertEquals(50, bias.values().length(), "the averaged biases all change");
    assertTrue(PayloadCodec.encodedSize(patch) * 4 < PayloadCodec.encodedSize(server.downlink(4)));
  }

  @Test
  void noHistoryMeansEveryClientGetsTheWholeSparseModel() throws InvalidUpdateException {
    CsOptions none = new CsOptions(0.5, 0.5, 1.5, 0, 0);
    ServerAlgorithm server = new ComplementSparsification(none).newServer(randomModel(new Random(3), 0.3f, null), 20);
    ClientAlgorithm client = new ComplementSparsification(none).newClient();
    Payload down = server.downlink(1);
    server.accumulate(1, client.uplink(down, client.startingModel(1, down, WIDE), randomModel(new Random(4), 0.3f, null)), 1);
    endRound(server, 1);
    assertFalse(server.downlinkFrom(2, 0).isPresent());
    assertFalse(server.downlinkFrom(2, 1).isPresent());
  }

  @Test
  void theFirstPruningIsNoPatchAndAWrongBaseIsRefused() throws InvalidUpdateException {
    FederatedStrategy cs = Strategies.byName("cs", PARAMS);
    ServerAlgorithm server = cs.newServer(randomModel(new Random(3), 0.3f, null), 20);
    ClientAlgorithm client = cs.newClient();
    Payload down = server.downlink(1);
    server.accumulate(1, client.uplink(down, client.startingModel(1, down, WIDE), randomModel(new Random(4), 0.3f, null)), 1);
    endRound(server, 1);
    assertFalse(server.downlinkFrom(2, 0).isPresent(), "from the dense initial model to the first sparse one");
    Payload second = server.downlink(2);
    server.accumulate(2, client.uplink(second, client.startingModel(2, second, WIDE), randomModel(new Random(5), 0.3f, null)), 1);
    endRound(server, 2);
    Payload patch = server.downlinkFrom(3, 1).orElseThrow();

    ClientAlgorithm stranger = cs.newClient();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> stranger.startingModel(3, patch, WIDE));
    assertTrue(e.getMessage().contains("difference from the model of round 1") && e.getMessage().contains("holds none"), e.getMessage());
    ClientAlgorithm dense = cs.newClient();
    dense.startingModel(1, Payloads.dense(randomModel(new Random(6), 0.3f, null)), WIDE);
    Payload fromDense = new Payload(patch.sections(), patch.precision(), 0);
    IllegalArgumentException moved = assertThrows(IllegalArgumentException.class, () -> dense.startingModel(3, fromDense, WIDE));
    assertTrue(moved.getMessage().contains("which is dense"), moved.getMessage());
    assertEquals(server.globalModel(), client.startingModel(3, patch, WIDE), "the client that holds round 1 rebuilds the global model");
  }
}
