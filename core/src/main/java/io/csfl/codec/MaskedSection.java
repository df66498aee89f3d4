package io.csfl.codec;

import io.csfl.tensor.Mask;
import io.csfl.tensor.Values;
import java.util.Objects;

/** The values at the kept positions of {@code mask}, ascending; the mask travels with them. */
public record MaskedSection(int tensor, Mask mask, Values values) implements Section {
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
