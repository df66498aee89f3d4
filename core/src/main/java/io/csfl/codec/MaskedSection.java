package io.csfl.codec;

import io.csfl.tensor.Mask;
import io.csfl.tensor.Values;
import java.util.Objects;

/**
 * The values at the kept positions of {@code mask}, ascending; the mask travels with them.
 *
 * @param tensor index of the tensor in the model spec, not negative
 * @param mask the positions the values belong to; its length is the tensor's size
 * @param values one value per kept position of {@code mask}, ascending
 */
public record MaskedSection(int tensor, Mask mask, Values values) implements Section {
  /**
   * Throws IllegalArgumentException for a negative tensor index or a value count other than the
   * mask's cardinality.
   */
  public MaskedSection {
    Sections.requireIndex(tensor);
    Objects.requireNonNull(mask, "mask");
    Objects.requireNonNull(values, "values");
    if (values.length() != mask.cardinality()) {
      throw new IllegalArgumentException("tensor " + tensor + ": " + values.length() + " values for a mask that keeps " + mask.cardinality());
    }
  }

  @Override
  public int valueCount() {
    return values.length();
  }
}
