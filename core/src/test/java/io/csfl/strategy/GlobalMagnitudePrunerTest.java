package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.nn.Architecture;
import io.csfl.tensor.MagnitudePruning;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import org.junit.jupiter.api.Test;

class GlobalMagnitudePrunerTest {
  @Test
  void oneThresholdSeparatesEveryKeptWeightFromEveryPrunedOneAcrossTheCnn() {
    Model cnn = Architecture.cnn().initialModel(4);
    ModelSpec spec = cnn.spec();
    MaskSet global = new GlobalMagnitudePruner().masks(cnn, 0.9);
    MaskSet perTensor = new MagnitudePruner().masks(cnn, 0.9);
    float smallestKept = Float.POSITIVE_INFINITY;
    float largestPruned = 0f;
    long kept = 0;
    boolean sparsitiesDiffer = false;
    for (int t = 0; t < spec.tensorCount(); t++) {
      if (!spec.tensor(t).prunable()) {
        assertTrue(global.mask(t).isEmpty(), spec.tensor(t).name() + " is dense");
        continue;
      }
      Mask m = global.mask(t).orElseThrow();
      float[] w = cnn.tensor(t).toArray();
      for (int i = 0; i < w.length; i++) {
        if (m.get(i)) {
          smallestKept = Math.min(smallestKept, Math.abs(w[i]));
        } else {
          largestPruned = Math.max(largestPruned, Math.abs(w[i]));
        }
      }
      kept += m.cardinality();
      sparsitiesDiffer |= m.cardinality() != perTensor.mask(t).orElseThrow().cardinality();
    }
    assertEquals(MagnitudePruning.keptCount((int) spec.prunableCount(), 0.9), kept);
    assertTrue(smallestKept >= largestPruned, smallestKept + " kept, " + largestPruned + " pruned");
    // He initialisation scales each layer by its fan-in, so one threshold prunes layers unequally.
    assertTrue(sparsitiesDiffer, "global pruning kept each layer's per-tensor share");
  }

  @Test
  void aStrategyKeepsItsPrunerWhicheverWrapperComesFirst() {
    StrategyParams params = new StrategyParams(CsOptions.defaults(), 0.1, 0.1);
    RobustAggregation median = RobustAggregation.parse("median", Double.POSITIVE_INFINITY);
    Pruner global = new GlobalMagnitudePruner();
    assertInstanceOf(MagnitudePruner.class, Strategies.byName("cs", params).pruner());
    assertEquals(global, Strategies.byName("cs", params).withAggregation(median).withPruner(global).pruner());
    assertEquals(global, Strategies.byName("cs", params).withPruner(global).withAggregation(median).pruner());
    assertEquals("cs", Strategies.byName("cs", params).withPruner(global).withAggregation(median).name());
  }
}
