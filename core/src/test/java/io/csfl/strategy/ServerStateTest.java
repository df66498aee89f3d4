package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.csfl.checkpoint.SafeTensors;
import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.Payload;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

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

  @Test
  void aStateOfAnotherModelIsRefused() {
    SparseTernaryCompression stc = new SparseTernaryCompression(0.1);
    ServerAlgorithm server = stc.newServer(random(new Random(1), 1f), 10);
    TensorFile wrong = TensorFile.EMPTY.withF32("residual/k", new long[] {3}, new float[3]);
    assertThrows(IllegalArgumentException.class, () -> server.restore(2, random(new Random(2), 1f), wrong));
  }
}
