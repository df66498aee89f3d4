package io.csfl.strategy;

import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;

/** Computes the masks of a model at a sparsity; what the pruning actor runs. Must be stateless or thread-confined. */
public interface Pruner {
  /**
   * The masks of {@code model}, fitting its spec, that prune a fraction {@code sparsity} in [0, 1)
   * of its prunable values; dense tensors get none. The server installs the candidate model pruned
   * with them as the next global model.
   */
  MaskSet masks(Model model, double sparsity);
}
