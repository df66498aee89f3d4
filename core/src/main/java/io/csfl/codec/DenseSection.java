package io.csfl.codec;

import io.csfl.tensor.Values;
import java.util.Objects;

/**
 * Every value of a tensor.
 *
 * @param tensor index of the tensor in the model spec, not negative
 * @param values all of the tensor's values, in position order
 */
public record DenseSection(int tensor, Values values) implements Section {
  /**
   * Throws IllegalArgumentException for a negative tensor index; only the receiver, which knows
   * the tensor's size, can check the value count.
   */
  public DenseSection {
    Sections.requireIndex(tensor);
    Objects.requireNonNull(values, "values");
  }

  @Override
  public int valueCount() {
    return values.length();
  }
}
