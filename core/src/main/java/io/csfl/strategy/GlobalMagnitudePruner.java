package io.csfl.strategy;

import io.csfl.tensor.MagnitudePruning;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.List;

/**
 * Global magnitude pruning: one threshold across all prunable tensors, keeping the largest
 * (1 - s) fraction of all their |values| together. Unlike {@link MagnitudePruner}, which prunes
 * every layer to the same sparsity, it lets a layer of large weights keep more and a layer of
 * small ones keep less. Dense tensors get no mask. Ties at the threshold go to earlier tensors
 * first, then to lower positions.
 */
public final class GlobalMagnitudePruner implements Pruner {
  @Override
  public MaskSet masks(Model model, double sparsity) {
    ModelSpec spec = model.spec();
    List<Integer> prunable = new ArrayList<>();
    List<Values> values = new ArrayList<>();
    for (int t = 0; t < spec.tensorCount(); t++) {
      if (spec.tensor(t).prunable()) {
        prunable.add(t);
        values.add(model.tensor(t));
      }
    }
    int keep = MagnitudePruning.keptCount(Math.toIntExact(spec.prunableCount()), sparsity);
    Mask[] kept = MagnitudePruning.topMagnitude(values, keep);
    Mask[] masks = new Mask[spec.tensorCount()];
    for (int i = 0; i < kept.length; i++) {
      masks[prunable.get(i)] = kept[i];
    }
    return MaskSet.of(spec, masks);
  }
}
