package io.csfl.strategy;

import io.csfl.codec.DenseSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Section;
import io.csfl.codec.ValuesSection;
import io.csfl.tensor.Mask;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorOps;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * The running sum of n_k-weighted client updates: memory O(model), however many clients report.
 * Each tensor is expected either dense or as values at known positions (for CS, the complement of
 * the mask the server sent); an update is checked whole before any of it is added.
 */
final class WeightedSum {
  private final ModelSpec spec;
  private final ModelBuffer sum;
  private long examples;

  WeightedSum(ModelSpec spec) {
    this.spec = spec;
    this.sum = ModelBuffer.zeros(spec);
  }

  /**
   * @param positions for each tensor, the positions its values stand for, or empty for dense
   */
  void add(Payload update, int examplesOfClient, IntFunction<Optional<Mask>> positions) throws InvalidUpdateException {
    if (examplesOfClient <= 0) {
      throw new InvalidUpdateException("example count must be positive, got " + examplesOfClient);
    }
    if (update.sections().size() != spec.tensorCount()) {
      throw new InvalidUpdateException("update has " + update.sections().size() + " sections, expected one per tensor (" + spec.tensorCount() + ")");
    }
    for (Section s : update.sections()) {
      check(s, positions.apply(s.tensor()));
    }
    float weight = examplesOfClient;
    for (Section s : update.sections()) {
      Optional<Mask> at = positions.apply(s.tensor());
      if (at.isPresent()) {
        TensorOps.scatterAdd(sum.tensor(s.tensor()), at.get(), ((ValuesSection) s).values(), weight);
      } else {
        TensorOps.addScaled(sum.tensor(s.tensor()), ((DenseSection) s).values(), weight);
      }
    }
    examples += examplesOfClient;
  }

  private void check(Section s, Optional<Mask> positions) throws InvalidUpdateException {
    String name = spec.tensor(s.tensor()).name();
    if (positions.isPresent()) {
      if (!(s instanceof ValuesSection v) || v.values().length() != positions.get().cardinality()) {
        throw new InvalidUpdateException(name + ": expected " + positions.get().cardinality() + " values at the pruned positions, got " + describe(s));
      }
    } else if (!(s instanceof DenseSection d) || d.values().length() != spec.tensor(s.tensor()).size()) {
      throw new InvalidUpdateException(name + ": expected " + spec.tensor(s.tensor()).size() + " dense values, got " + describe(s));
    }
  }

  private static String describe(Section s) {
    return s.getClass().getSimpleName() + " with " + s.valueCount() + " values";
  }

  long examples() {
    return examples;
  }

  /** sum / examples for one tensor, as a fresh array. */
  float[] mean(int tensor) {
    float[] out = sum.tensor(tensor).clone();
    if (examples > 0) {
      float inv = (float) (1.0 / examples);
      for (int i = 0; i < out.length; i++) {
        out[i] *= inv;
      }
    }
    return out;
  }

  void reset() {
    sum.fill(0f);
    examples = 0;
  }
}
