package io.csfl.strategy;

import io.csfl.tensor.Model;
import java.util.Objects;

/**
 * Asks the pruning actor for masks of {@code candidate} at {@code sparsity}.
 *
 * @param candidate the model the round's folding produced, before pruning
 * @param sparsity the fraction of the prunable values to prune, in [0, 1): per tensor or over all,
 *     as the {@link Pruner} does
 */
public record PruneRequest(Model candidate, double sparsity) {
  /**
   * Throws NullPointerException without a candidate and IllegalArgumentException unless
   * {@code sparsity} is in [0, 1).
   */
  public PruneRequest {
    Objects.requireNonNull(candidate, "candidate");
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
    }
  }
}
