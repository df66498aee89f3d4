package io.csfl.strategy;

import io.csfl.tensor.Model;
import java.util.Objects;

/** Asks the pruning actor for masks of {@code candidate} at {@code sparsity}. */
public record PruneRequest(Model candidate, double sparsity) {
  public PruneRequest {
    Objects.requireNonNull(candidate, "candidate");
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
    }
  }
}
