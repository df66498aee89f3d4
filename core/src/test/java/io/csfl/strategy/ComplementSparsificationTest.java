package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.ValuesSection;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The CS formulas of the spec on a model of one 2x3 kernel and one bias of 3. */
class ComplementSparsificationTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("k", 2, 3), TensorSpec.bias("b", 3)));
  private static final CsOptions OPTIONS = CsOptions.defaults();
  private final ComplementSparsification cs = new ComplementSparsification(OPTIONS);
  private final MagnitudePruner pruner = new MagnitudePruner();

  private static Model model(float[] kernel, float[] bias) {
    return Model.copyOf(SPEC, new float[][] {kernel, bias});
  }

  private static float[] values(Model m, int t) {
    return m.tensor(t).toArray();
  }

  /** Round 1 with two clients (n = 1 and n = 3), then pruning at s = 0.5. */
  private ServerAlgorithm afterRoundOne() throws InvalidUpdateException {
    ServerAlgorithm server = cs.newServer(model(new float[6], new float[3]), 10);
    Payload down = server.downlink(1);
    assertTrue(down.sections().stream().allMatch(s -> s instanceof DenseSection), "round 1 is dense");
    ClientAlgorithm client = cs.newClient();
    Model a = model(new float[] {4, -1, 0, 2, 8, -3}, new float[] {1, 1, 1});
    Model b = model(new float[] {0, -5, 4, 2, 0, 1}, new float[] {5, 1, -3});
    server.accumulate(1, client.uplink(down, client.startingModel(down, SPEC), a), 1);
    server.accumulate(1, client.uplink(down, client.startingModel(down, SPEC), b), 3);
    PruneRequest request = server.close(1).orElseThrow();
    // Round 1 is plain FedAvg: (1 * a + 3 * b) / 4
    assertArrayEquals(new float[] {1, -4, 3, 2, 2, 0}, values(request.candidate(), 0), 1e-6f);
    assertArrayEquals(new float[] {4, 1, -2}, values(request.candidate(), 1), 1e-6f);
    assertEquals(0.5, request.sparsity());
    server.commit(1, Optional.of(pruner.masks(request.candidate(), request.sparsity())));
    return server;
  }

  @Test
  void aModelWithoutKernelsIsRefused() {
    Model biasesOnly = Model.zeros(ModelSpec.of(List.of(TensorSpec.bias("b", 3))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cs.newServer(biasesOnly, 10));
    assertTrue(e.getMessage().startsWith("cs prunes a model's kernels, and this model has none"), e.getMessage());
  }

  @Test
  void roundOneIsDenseFedAvgThenMagnitudePruning() throws InvalidUpdateException {
    ServerAlgorithm server = afterRoundOne();
    // Keep the 3 largest |values| of {1, -4, 3, 2, 2, 0}: -4, 3 and the first 2 (ties by position).
    assertArrayEquals(new float[] {0, -4, 3, 2, 0, 0}, values(server.globalModel(), 0));
    assertArrayEquals(new float[] {4, 1, -2}, values(server.globalModel(), 1), "biases are never pruned");
  }

  @Test
  void roundTwoShipsMaskAndKeptValuesAndClientsReturnTheDisjointComplement() throws InvalidUpdateException {
    ServerAlgorithm server = afterRoundOne();
    Payload down = server.downlink(2);
    MaskedSection kernel = assertInstanceOf(MaskedSection.class, down.sections().get(0));
    assertInstanceOf(DenseSection.class, down.sections().get(1), "biases travel dense");
    assertArrayEquals(new int[] {1, 2, 3}, kernel.mask().positions());
    assertArrayEquals(new float[] {-4, 3, 2}, kernel.values().toArray());

    ClientAlgorithm client = cs.newClient();
    Model start = client.startingModel(down, SPEC);
    assertArrayEquals(new float[] {0, -4, 3, 2, 0, 0}, values(start, 0), "pruned positions start at zero");
    Model trained = model(new float[] {10, 20, 30, 40, 50, 60}, new float[] {7, 8, 9});
    Payload up = client.uplink(down, start, trained);
    ValuesSection complement = assertInstanceOf(ValuesSection.class, up.sections().get(0));
    assertArrayEquals(new float[] {10, 50, 60}, complement.values().toArray(), "values at positions 0, 4, 5 only");
    Mask m = kernel.mask();
    for (int p : m.complement().positions()) {
      assertFalse(m.get(p), "complement is disjoint from the mask");
    }
    assertEquals(6, m.cardinality() + m.complement().cardinality());
  }

  @Test
  void aggregationIsServerModelPlusEtaTimesWeightedComplementMean() throws InvalidUpdateException {
    ServerAlgorithm server = afterRoundOne();
    Payload down = server.downlink(2);
    ClientAlgorithm client = cs.newClient();
    Model start = client.startingModel(down, SPEC);
    // Client x (n = 2) and client y (n = 6): complement values at positions 0, 4, 5.
    server.accumulate(2, client.uplink(down, start, model(new float[] {4, 9, 9, 9, 8, -4}, new float[] {2, 2, 2})), 2);
    server.accumulate(2, client.uplink(down, start, model(new float[] {0, 9, 9, 9, 4, 4}, new float[] {6, 2, -2})), 6);
    PruneRequest request = server.close(2).orElseThrow();
    // A = (2 * x + 6 * y) / 8 on the complement = {1, 5, 2}; D = S + 1.5 * A.
    float[] expected = {1.5f * 1, -4, 3, 2, 1.5f * 5, 1.5f * 2};
    assertArrayEquals(expected, values(request.candidate(), 0), 1e-6f);
    assertArrayEquals(new float[] {5, 2, -1}, values(request.candidate(), 1), 1e-6f, "biases: weighted mean");
    server.commit(2, Optional.of(pruner.masks(request.candidate(), 0.5)));
    // |D| = {1.5, 4, 3, 2, 7.5, 3}: the kept set moves to {-4, 7.5} and the first 3 by position.
    assertArrayEquals(new float[] {0, -4, 3, 0, 7.5f, 0}, values(server.globalModel(), 0), 1e-6f);
  }

  @Test
  void exactKeptCountPerTensorEvenWithTies() {
    Model tied = model(new float[] {1, 1, 1, 1, 1, 1}, new float[] {0, 0, 0});
    MaskSet masks = pruner.masks(tied, 0.5);
    assertEquals(3, masks.mask(0).orElseThrow().cardinality());
    assertTrue(masks.mask(1).isEmpty(), "dense tensors get no mask");
    assertEquals(2, pruner.masks(tied, 0.7).mask(0).orElseThrow().cardinality(), "6 - round(4.2) = 2 kept");
  }

  @Test
  void invalidUpdatesAreRejectedAndChangeNothing() throws InvalidUpdateException {
    ServerAlgorithm server = afterRoundOne();
    Payload down = server.downlink(2);
    Payload denseInsteadOfComplement = Payloads.dense(model(new float[] {9, 9, 9, 9, 9, 9}, new float[] {9, 9, 9}));
    assertThrows(InvalidUpdateException.class, () -> server.accumulate(2, denseInsteadOfComplement, 5));
    Payload tooFew = new Payload(List.of(new ValuesSection(0, Values.copyOf(new float[] {1, 2})),
        new DenseSection(1, Values.copyOf(new float[] {1, 1, 1}))));
    InvalidUpdateException e = assertThrows(InvalidUpdateException.class, () -> server.accumulate(2, tooFew, 5));
    assertTrue(e.getMessage().contains("expected 3 values"), e.getMessage());
    assertThrows(InvalidUpdateException.class, () -> server.accumulate(2, down, 0), "zero examples");
    // Nothing was folded: closing now keeps S (no client values) and averages no biases.
    PruneRequest request = server.close(2).orElseThrow();
    assertEquals(server.globalModel(), request.candidate());
  }

  @Test
  void warmupRoundsStayDenseAndSkipPruning() throws InvalidUpdateException {
    ServerAlgorithm server = new ComplementSparsification(new CsOptions(0.5, 0.5, 1.5, 2, 0)).newServer(model(new float[6], new float[3]), 10);
    Payload down = server.downlink(1);
    server.accumulate(1, down, 1);
    assertTrue(server.close(1).isEmpty(), "round 1 of 2 warm-up rounds: no pruning");
    server.commit(1, Optional.empty());
    assertTrue(server.downlink(2).sections().stream().allMatch(s -> s instanceof DenseSection));
    server.accumulate(2, server.downlink(2), 1);
    assertTrue(server.close(2).isEmpty());
    server.commit(2, Optional.empty());
    server.accumulate(3, server.downlink(3), 1);
    assertTrue(server.close(3).isPresent(), "first pruning after the warm-up");
  }

  @Test
  void linearSparsityScheduleFromStartToEnd() {
    CsOptions schedule = new CsOptions(0.3, 0.9, 1.5, 0, 0);
    assertEquals(0.3, schedule.sparsityFor(2, 8), 1e-12, "the first mask");
    assertEquals(0.9, schedule.sparsityFor(8, 8), 1e-12, "the last round");
    assertEquals(0.6, schedule.sparsityFor(5, 8), 1e-12);
  }

  @Test
  void fedAvgIsTheExampleWeightedMean() throws InvalidUpdateException {
    ServerAlgorithm server = new FedAvg().newServer(model(new float[6], new float[3]), 3);
    server.accumulate(1, Payloads.dense(model(new float[] {1, 1, 1, 1, 1, 1}, new float[] {0, 0, 0})), 1);
    server.accumulate(1, Payloads.dense(model(new float[] {5, 5, 5, 5, 5, 5}, new float[] {4, 4, 4})), 3);
    assertTrue(server.close(1).isEmpty());
    server.commit(1, Optional.empty());
    assertArrayEquals(new float[] {4, 4, 4, 4, 4, 4}, values(server.globalModel(), 0));
    assertArrayEquals(new float[] {3, 3, 3}, values(server.globalModel(), 1));
  }
}
