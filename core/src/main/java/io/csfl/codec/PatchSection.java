package io.csfl.codec;

import io.csfl.tensor.Mask;
import io.csfl.tensor.Values;
import java.util.Objects;

/**
 * What changed in one tensor of a sparse model since a model the receiver holds (a difference
 * downlink, CS's for a returning client). The kept positions change where {@code flips} is set;
 * {@code rewritten} has one bit per kept position of the new model, ascending, and {@code values}
 * the new value of each position marked there. Every other kept position keeps the value the
 * receiver holds, and a position that stops being kept becomes zero. A dense tensor is one whose
 * every position is kept.
 *
 * <p>Only the receiver can check that {@code rewritten} has one bit per kept position: the count
 * depends on the model it holds.
 *
 * @param tensor index of the tensor in the model spec, not negative
 * @param flips over the tensor's positions: where kept and pruned trade places
 * @param rewritten over the kept positions of the new model: which ones get a new value
 * @param values the new values, one per set bit of {@code rewritten}, ascending
 */
public record PatchSection(int tensor, Mask flips, Mask rewritten, Values values) implements Section {
  /**
   * Throws IllegalArgumentException for a negative tensor index or a value count other than the
   * cardinality of {@code rewritten}.
   */
  public PatchSection {
    Sections.requireIndex(tensor);
    Objects.requireNonNull(flips, "flips");
    Objects.requireNonNull(rewritten, "rewritten");
    Objects.requireNonNull(values, "values");
    if (values.length() != rewritten.cardinality()) {
      throw new IllegalArgumentException("tensor " + tensor + ": " + values.length() + " values for " + rewritten.cardinality() + " rewritten positions");
    }
  }

  @Override
  public int valueCount() {
    return values.length();
  }
}
