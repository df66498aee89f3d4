package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.Checkpoints;
import io.csfl.checkpoint.SafeTensors;
import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.Payload;
import io.csfl.metrics.RoundMetrics;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A server restored from its exported state goes on exactly as the one that exported it. */
class ServerStateTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("k", 20, 30), TensorSpec.bias("b", 30)));

  private static Model random(Random rng, float scale) {
    float[][] t = new float[SPEC.tensorCount()][];
    for (int i = 0; i < t.length; i++) {
      t[i] = new float[SPEC.tensor(i).size()];
      for (int j = 0; j < t[i].length; j++) {
        t[i][j] = scale * (float) rng.nextGaussian();
      }
    }
    return Model.copyOf(SPEC, t);
  }

  /** One round: two clients' STC updates from the server's downlink, folded and committed. */
  private static void round(ServerAlgorithm server, List<ClientAlgorithm> clients, int r, long seed) throws InvalidUpdateException {
    Random rng = new Random(seed);
    Payload down = server.downlink(r);
    for (ClientAlgorithm c : clients) {
      Model start = c.startingModel(r, down, SPEC);
      Payload up = c.uplink(down, start, Payloads.plus(start, Payloads.dense(random(rng, 0.1f))));
      server.accumulate(r, up, 10);
    }
    server.close(r);
    server.commit(r, Optional.empty());
  }

  @Test
  void stcRestoredFromItsStateMatchesTheOriginalToTheBit() throws InvalidUpdateException {
    SparseTernaryCompression stc = new SparseTernaryCompression(0.1);
    Model initial = random(new Random(1), 1f);
    ServerAlgorithm original = stc.newServer(initial, 10);
    List<ClientAlgorithm> clients = List.of(stc.newClient(), stc.newClient());
    for (int r = 1; r <= 4; r++) {
      round(original, clients, r, r);
    }
    // Through the bytes of a checkpoint, as a resumed run reads them.
    TensorFile state = SafeTensors.fromBytes(SafeTensors.toBytes(original.exportState()), "state");
    ServerAlgorithm restored = stc.newServer(initial, 10);
    restored.restore(4, original.globalModel(), state);
    ServerAlgorithm modelOnly = stc.newServer(initial, 10);
    modelOnly.restore(4, original.globalModel());
    assertEquals(original.downlinkFrom(5, 2), restored.downlinkFrom(5, 2), "the history of updates came back");

    // The same updates into all three: the residual decides what the ternary update keeps.
    List<ClientAlgorithm> a = List.of(stc.newClient(), stc.newClient());
    List<ClientAlgorithm> b = List.of(stc.newClient(), stc.newClient());
    List<ClientAlgorithm> c = List.of(stc.newClient(), stc.newClient());
    for (int r = 5; r <= 7; r++) {
      round(original, a, r, 100 + r);
      round(restored, b, r, 100 + r);
      round(modelOnly, c, r, 100 + r);
    }
    assertEquals(original.globalModel(), restored.globalModel());
    assertNotEquals(original.globalModel(), modelOnly.globalModel(), "without the state, the server residual is lost");
  }

  @Test
  void csKeepsItsMasksEvenWhereAKeptWeightIsZero() throws InvalidUpdateException {
    ComplementSparsification cs = new ComplementSparsification(new CsOptions(0.5, 0.5, 1.5, 0, 0));
    ServerAlgorithm server = cs.newServer(random(new Random(3), 1f), 10);
    Model start = random(new Random(4), 1f);
    server.accumulate(1, Payloads.dense(start), 10);
    var prune = server.close(1).orElseThrow();
    // A kept position whose weight is exactly zero: the model's zeros alone would call it pruned.
    var masks = new MagnitudePruner().masks(prune.candidate(), prune.sparsity());
    int keptAt = masks.mask(0).orElseThrow().positions()[0];
    float[][] arrays = prune.candidate().toArrays();
    arrays[0][keptAt] = 0f;
    ServerAlgorithm original = cs.newServer(random(new Random(3), 1f), 10);
    original.restore(1, Model.copyOf(SPEC, arrays), TensorFile.EMPTY);
    // The model-only restore lost the position; one given the masks keeps it.
    ServerAlgorithm withMasks = cs.newServer(random(new Random(3), 1f), 10);
    TensorFile state = TensorFile.EMPTY;
    byte[] kept = new byte[SPEC.tensor(0).size()];
    for (int p : masks.mask(0).orElseThrow().positions()) {
      kept[p] = 1;
    }
    state = state.withBytes("mask/k", kept);
    withMasks.restore(1, Model.copyOf(SPEC, arrays), state);
    assertEquals(state, SafeTensors.fromBytes(SafeTensors.toBytes(withMasks.exportState()), "state"));
    assertNotEquals(state, original.exportState());
  }

  /** One CS round: two fresh clients train random models from the downlink; pruned by magnitude. */
  private static void csRound(FederatedStrategy cs, ServerAlgorithm server, int r) throws InvalidUpdateException {
    Random rng = new Random(1000 + r);
    Payload down = server.downlink(r);
    for (int c = 0; c < 2; c++) {
      ClientAlgorithm client = cs.newClient();
      Model start = client.startingModel(r, down, SPEC);
      server.accumulate(r, client.uplink(down, start, random(rng, 1f)), 10 + c);
    }
    Optional<PruneRequest> prune = server.close(r);
    server.commit(r, prune.map(p -> new MagnitudePruner().masks(p.candidate(), p.sparsity())));
  }

  /** A checkpoint of {@code server} after {@code round}, written and read back as a resumed run reads it. */
  private static Checkpoint throughAFile(Path dir, String name, int round, Map<String, Integer> held, ServerAlgorithm server) {
    List<RoundMetrics> rows = new ArrayList<>();
    for (int r = 1; r <= round; r++) {
      rows.add(new RoundMetrics(name, r, 0.5, 1.0, 10, 20, 2, 2, 1, 1, 1, 1));
    }
    Checkpoints store = new Checkpoints(dir, 1);
    try {
      store.save(new Checkpoint(name, round, rows, held, server.globalModel(), server.exportState()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return store.latest(name, SPEC, w -> { throw new AssertionError(w); }).orElseThrow();
  }

  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"cs", "cs-fp16"})
  void csRestoredFromACheckpointPatchesTheModelsClientsHoldAsTheOriginal(String name) throws InvalidUpdateException {
    // One warm-up round (round 1's model is dense), then half the kernel pruned; a history of 7 rounds.
    FederatedStrategy cs = Strategies.byName(name, new StrategyParams(new CsOptions(0.5, 0.5, 1.5, 1, 7), 0.25, 0.25));
    Model initial = random(new Random(5), 1f);
    ServerAlgorithm original = cs.newServer(initial, 20);
    for (int r = 1; r <= 7; r++) {
      csRound(cs, original, r);
    }
    // Round 0 is out of the window; nobody holds round 5.
    Map<String, Integer> held = Map.of("a", 0, "b", 1, "c", 4, "d", 6);
    Checkpoint c = throughAFile(dir, name, 7, held, original);
    assertTrue(c.strategyState().tensors().keySet().stream().anyMatch(n -> n.startsWith(Checkpoint.heldState(4))));
    assertTrue(c.strategyState().tensors().keySet().stream().noneMatch(n -> n.startsWith(Checkpoint.heldState(5))),
        "what no client holds is not saved");
    ServerAlgorithm restored = cs.newServer(initial, 20);
    restored.restore(7, c.global(), c.strategyState());
    ServerAlgorithm oldFormat = cs.newServer(initial, 20);
    oldFormat.restore(7, c.global(), c.strategyState().without(n -> n.startsWith(Checkpoint.HELD_STATE)));

    assertEquals(original.downlink(8), restored.downlink(8));
    for (int k : List.of(0, 1, 4, 6)) {
      assertEquals(original.downlinkFrom(8, k), restored.downlinkFrom(8, k), "held round " + k);
      assertEquals(original.heldDownlink(k), restored.heldDownlink(k), "held round " + k);
    }
    assertTrue(restored.downlinkFrom(8, 4).isPresent() && restored.downlinkFrom(8, 6).isPresent(), "patches, not the whole model");
    assertTrue(original.downlinkFrom(8, 5).isPresent() && restored.downlinkFrom(8, 5).isEmpty());
    assertTrue(oldFormat.downlinkFrom(8, 6).isEmpty(), "a checkpoint without history: the whole sparse model");
    assertEquals(original.downlink(8), oldFormat.downlink(8));

    for (int r = 8; r <= 11; r++) {
      csRound(cs, original, r);
      csRound(cs, restored, r);
    }
    assertEquals(original.globalModel(), restored.globalModel());
    assertEquals(original.downlinkFrom(12, 6), restored.downlinkFrom(12, 6));
    assertTrue(restored.downlinkFrom(12, 6).isPresent());
    // Both forget round 4 when it leaves the window of 7 rounds.
    assertTrue(original.downlinkFrom(12, 4).isEmpty() && restored.downlinkFrom(12, 4).isEmpty());
  }

  @Test
  void aCsHistoryEntryThatDoesNotFitIsRefused() throws InvalidUpdateException {
    FederatedStrategy cs = Strategies.byName("cs", new StrategyParams(new CsOptions(0.5, 0.5, 1.5, 0, 7), 0.25, 0.25));
    ServerAlgorithm server = cs.newServer(random(new Random(5), 1f), 20);
    for (int r = 1; r <= 3; r++) {
      csRound(cs, server, r);
    }
    TensorFile state = server.exportState();
    String values = Checkpoint.heldState(2) + "values/k";
    TensorFile shortValues = state.without(values::equals).withF32(values, new long[] {1}, new float[1]);
    TensorFile future = state.withF32(Checkpoint.heldState(3) + "values/b", new long[] {30}, new float[30]);
    TensorFile stray = state.withF32(Checkpoint.heldState(2) + "values/x", new long[] {1}, new float[1]);
    for (TensorFile bad : List.of(shortValues, future, stray)) {
      ServerAlgorithm fresh = cs.newServer(random(new Random(5), 1f), 20);
      assertThrows(IllegalArgumentException.class, () -> fresh.restore(3, server.globalModel(), bad));
    }
  }

  @Test
  void aStateOfAnotherModelIsRefused() {
    SparseTernaryCompression stc = new SparseTernaryCompression(0.1);
    ServerAlgorithm server = stc.newServer(random(new Random(1), 1f), 10);
    TensorFile wrong = TensorFile.EMPTY.withF32("residual/k", new long[] {3}, new float[3]);
    assertThrows(IllegalArgumentException.class, () -> server.restore(2, random(new Random(2), 1f), wrong));
  }

  /**
   * What the aggregator sends with each round's result: of CS's earlier models only the one new
   * since the round before; merged into what the server kept, it gives back the whole state, in
   * and out of the window, and cut to the rounds clients hold.
   */
  @Test
  void csSendsEachEarlierModelOnceAndTheMergedStateIsTheWholeOne() throws InvalidUpdateException {
    FederatedStrategy cs = Strategies.byName("cs", new StrategyParams(new CsOptions(0.5, 0.5, 1.5, 1, 4), 0.25, 0.25));
    ServerAlgorithm server = cs.newServer(random(new Random(5), 1f), 20);
    List<Integer> all = new ArrayList<>();
    TensorFile kept = TensorFile.EMPTY;
    TensorFile keptOdd = TensorFile.EMPTY;
    for (int r = 1; r <= 10; r++) {
      csRound(cs, server, r);
      all.add(r - 1);
      TensorFile update = server.exportNewState(r);
      List<Integer> sent = heldRounds(update);
      assertEquals(List.of(r - 1), sent, "round " + r + " sends only the model of the round before");
      assertEquals(Checkpoint.withoutHeldBefore(server.exportState(), r - 1), update, "the default split, built directly");
      kept = Checkpoint.mergeState(kept, update, all);
      assertEquals(server.exportState(), kept, "round " + r);
      List<Integer> odd = all.stream().filter(k -> k % 2 == 1).toList();
      keptOdd = Checkpoint.mergeState(keptOdd, update, odd);
      assertEquals(server.exportState().without(n -> n.startsWith(Checkpoint.HELD_STATE) && Checkpoint.heldRound(n) % 2 == 0), keptOdd);
    }
    // A window of 4: after round 10, rounds 7 to 9.
    assertEquals(List.of(7, 8, 9), heldRounds(kept));
  }

  @Test
  void aStateUpdateThatNamesNoRoundIsRefused() {
    TensorFile badName = TensorFile.EMPTY.withBytes(Checkpoint.HELD_STATE + "x1/kept/k", new byte[] {1});
    TensorFile badOldest = TensorFile.EMPTY.withMeta(Checkpoint.HELD_OLDEST, "-3");
    for (TensorFile bad : List.of(badName, badOldest)) {
      assertThrows(IllegalArgumentException.class, () -> Checkpoint.mergeState(TensorFile.EMPTY, bad, List.of(1)));
    }
  }

  private static List<Integer> heldRounds(TensorFile state) {
    return state.tensors().keySet().stream().filter(n -> n.startsWith(Checkpoint.HELD_STATE)).map(Checkpoint::heldRound)
        .distinct().sorted().toList();
  }
}
