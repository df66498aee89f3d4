package io.csfl.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Server;
import io.csfl.examples.OwnPrunerFederation.UnitBalancedPruner;
import io.csfl.data.SyntheticFederated;
import io.csfl.nn.Architecture;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Pruner;
import io.csfl.tensor.MagnitudePruning;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class OwnPrunerFederationTest {
  /** One call of the pruner: what it was asked and what it answered. */
  private record Pruned(Model model, double sparsity, MaskSet masks) {}

  /** Asserts that every output unit of every prunable tensor keeps exactly its share of its incoming weights. */
  private static void assertEveryUnitKeepsItsShare(ModelSpec spec, double sparsity, MaskSet masks) {
    for (int t = 0; t < spec.tensorCount(); t++) {
      TensorSpec tensor = spec.tensor(t);
      if (!tensor.prunable()) {
        assertTrue(masks.mask(t).isEmpty(), tensor.name() + " is dense and gets no mask");
        continue;
      }
      Mask mask = masks.mask(t).orElseThrow();
      int units = tensor.dim(tensor.rank() - 1);
      int fanIn = tensor.size() / units;
      for (int u = 0; u < units; u++) {
        int kept = 0;
        for (int i = 0; i < fanIn; i++) {
          kept += mask.get(i * units + u) ? 1 : 0;
        }
        assertEquals(MagnitudePruning.keptCount(fanIn, sparsity), kept, tensor.name() + " unit " + u);
      }
    }
  }

  @Test
  void csTrainsWithTheApplicationsPrunerAndEveryMaskIsBalanced() throws Exception {
    List<Pruned> calls = new CopyOnWriteArrayList<>();
    Pruner own = new UnitBalancedPruner();
    Pruner recording = (model, sparsity) -> {
      MaskSet masks = own.masks(model, sparsity);
      calls.add(new Pruned(model, sparsity, masks));
      return masks;
    };

    Server.Finished finished = assertInstanceOf(Server.Finished.class, OwnPrunerFederation.run(recording, 6,
        OwnTrainerFederation.DEFAULT_SEED,
        ConfigFactory.parseString("akka.actor.serialize-messages = on").withFallback(ConfigFactory.load())));

    assertEquals(6, finished.rounds().size());
    assertTrue(finished.rounds().stream().allMatch(r -> r.clientsCompleted() > 0), "clients trained every round");
    double majority = OwnTrainerFederationTest.majorityShare(SyntheticFederated.generate(1, 1, OwnTrainerFederation.DEFAULT_SEED).test());
    double last = finished.rounds().get(5).accuracy();
    assertTrue(last > majority, "accuracy " + last + " after 6 rounds, not above always answering one class: " + majority);
    assertFalse(calls.isEmpty(), "the server never pruned with the application's pruner");
    for (Pruned call : calls) {
      assertTrue(call.sparsity() > 0, "a pruning that prunes: " + call.sparsity());
      assertEveryUnitKeepsItsShare(call.model().spec(), call.sparsity(), call.masks());
    }
  }

  @Test
  void aUnitOfSmallWeightsKeepsItsShareWherePerTensorPruningCutsItOff() {
    ModelSpec spec = ModelSpec.of(List.of(TensorSpec.kernel("kernel", 4, 2), TensorSpec.bias("bias", 2)));
    // Unit 0's incoming weights (positions 0, 2, 4, 6) are all smaller than unit 1's.
    Model model = Model.copyOf(spec, new float[][] {{0.1f, 5, -0.2f, 6, 0.3f, -7, 0.01f, 8}, {1, 1}});

    MaskSet balanced = new UnitBalancedPruner().masks(model, 0.5);
    MaskSet perTensor = new MagnitudePruner().masks(model, 0.5);

    assertEveryUnitKeepsItsShare(spec, 0.5, balanced);
    // Unit 0 keeps its two largest, 0.3 and -0.2; unit 1 its two largest, 8 and -7.
    assertEquals(Mask.fromPositions(8, new int[] {2, 4, 5, 7}), balanced.mask(0).orElseThrow());
    assertEquals(Mask.fromPositions(8, new int[] {1, 3, 5, 7}), perTensor.mask(0).orElseThrow());
  }

  @Test
  void theBuiltInNetworksMasksAreBalancedAtAnySparsity() {
    Model model = Architecture.mlp(60, 10).initialModel(3);
    for (double s : new double[] {0, 0.3, 0.5, 0.9}) {
      assertEveryUnitKeepsItsShare(model.spec(), s, new UnitBalancedPruner().masks(model, s));
    }
  }
}
