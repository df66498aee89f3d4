package io.csfl.strategy;

import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;

/** Computes the masks of a model at a sparsity; what the pruning actor runs. Must be stateless or thread-confined. */
public interface Pruner {
  MaskSet masks(Model model, double sparsity);
}
