package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Clients that hold the same global model hold one copy of it, however it reached them (the whole
 * sparse model or a patch of an earlier one), and the copy goes when the last of them moves on.
 */
class HeldModelsTest {
  private static final ModelSpec WIDE = ModelSpec.of(List.of(TensorSpec.kernel("k", 40, 50), TensorSpec.bias("b", 50)));
  private final HeldModels cache = new HeldModels();
  private ServerAlgorithm server;
  private ClientAlgorithm trainer;

  @BeforeEach
  void startServer() {
    server = new ComplementSparsification(CsOptions.defaults()).newServer(randomModel(new Random(3), 0.3f, null), 20);
    trainer = new ComplementSparsification(CsOptions.defaults()).newClient();
  }

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

  /** Each client decodes its own copy of the bytes, as a client on a node does. */
  private static Payload wire(Payload p) {
    WireWriter out = new WireWriter(1024);
    PayloadCodec.encode(p, out);
    return PayloadCodec.decode(new WireReader(out.toByteArray()));
  }

  /** One client trains on round {@code round}'s model, and the server moves on to the next. */
  private void finishRound(int round) throws InvalidUpdateException {
    Payload down = wire(server.downlink(round));
    Model start = trainer.startingModel(round, down, WIDE);
    server.accumulate(round, trainer.uplink(down, start, randomModel(new Random(round), 0.05f, start)), 5);
    Optional<PruneRequest> request = server.close(round);
    server.commit(round, request.map(r -> new MagnitudePruner().masks(r.candidate(), r.sparsity())));
  }

  private HeldModel client() {
    return new HeldModel(ComplementSparsification.NAME, cache);
  }

  @Test
  void clientsSentTheSameModelShareOneCopyWhetherWholeOrPatched() throws InvalidUpdateException {
    HeldModel a = client();
    HeldModel b = client();
    Model a1 = a.receive(1, wire(server.downlink(1)), WIDE);
    assertSame(a1, b.receive(1, wire(server.downlink(1)), WIDE), "round 1: both decoded the same dense model");
    assertEquals(1, cache.size());
    finishRound(1);
    Model a2 = a.receive(2, wire(server.downlink(2)), WIDE);
    assertEquals(2, cache.size(), "b still holds the initial model");
    assertSame(a2, b.receive(2, wire(server.downlink(2)), WIDE));
    assertEquals(1, cache.size(), "nobody holds the initial model any more");
    finishRound(2);
    Model a3 = a.receive(3, wire(server.downlink(3)), WIDE);
    Payload patch = server.downlinkFrom(3, 1).orElseThrow();
    assertTrue(patch.isDelta());
    Model b3 = b.receive(3, wire(patch), WIDE);
    assertSame(a3, b3, "the patched model is the whole one, to the bit, so it is the same copy");
    assertEquals(a.mask(0), b.mask(0));
    assertEquals(1, cache.size());
  }

  @Test
  void aRetriedRoundKeepsTheCopyAndAnotherFederationsModelIsNotMixedIn() throws InvalidUpdateException {
    HeldModel a = client();
    Model first = a.receive(1, wire(server.downlink(1)), WIDE);
    assertSame(first, a.receive(1, wire(server.downlink(1)), WIDE), "a retried attempt sends the same model again");
    assertEquals(1, cache.size());
    ServerAlgorithm other = new ComplementSparsification(CsOptions.defaults()).newServer(randomModel(new Random(4), 0.3f, null), 20);
    HeldModel stranger = client();
    Model theirs = stranger.receive(1, wire(other.downlink(1)), WIDE);
    assertNotSame(first, theirs);
    assertTrue(!first.equals(theirs));
    assertEquals(2, cache.size(), "same algorithm and round, other content: two models");
  }

  @Test
  void aModelWhoseHoldersAreGoneIsDroppedEvenIfTheyNeverSaidSo() throws InterruptedException {
    HeldModel a = client();
    a.receive(1, wire(server.downlink(1)), WIDE);
    a = null;
    // Only the stopped client's algorithm referred to the model; a collection clears it.
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (cache.size() > 0 && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(50);
    }
    assertEquals(0, cache.size());
  }

  @Test
  void withSharingOffEveryClientKeepsItsOwnCopy() {
    cache.sharing(false);
    HeldModel a = client();
    HeldModel b = client();
    Model a1 = a.receive(1, wire(server.downlink(1)), WIDE);
    Model b1 = b.receive(1, wire(server.downlink(1)), WIDE);
    assertNotSame(a1, b1);
    assertEquals(a1, b1);
    assertEquals(0, cache.size());
  }
}
