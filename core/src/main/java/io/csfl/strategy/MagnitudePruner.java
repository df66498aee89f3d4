package io.csfl.strategy;

import io.csfl.tensor.MagnitudePruning;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;

/**
 * The CS paper's pruning: per prunable tensor, keep the largest (1 - s) fraction of |values|;
 * dense tensors get no mask. Needs no server-side data.
 */
public final class MagnitudePruner implements Pruner {
  @Override
  public MaskSet masks(Model model, double sparsity) {
    ModelSpec spec = model.spec();
    Mask[] masks = new Mask[spec.tensorCount()];
    for (int t = 0; t < masks.length; t++) {
      if (spec.tensor(t).prunable()) {
        int keep = MagnitudePruning.keptCount(spec.tensor(t).size(), sparsity);
        masks[t] = MagnitudePruning.topMagnitude(model.tensor(t), keep);
      }
    }
    return MaskSet.of(spec, masks);
  }
}
