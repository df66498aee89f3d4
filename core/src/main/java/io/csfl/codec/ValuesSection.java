package io.csfl.codec;

import io.csfl.tensor.Values;
import java.util.Objects;

/**
 * Values at positions the receiver already knows, in ascending position order. The CS uplink uses
 * it: the server knows the mask it sent, so the complement values need no index or mask.
 *
 * @param tensor index of the tensor in the model spec, not negative
 * @param values one value per position the receiver knows, ascending
 */
public record ValuesSection(int tensor, Values values) implements Section {
  /**
   * Throws IllegalArgumentException for a negative tensor index; only the receiver knows how many
   * values to expect.
   */
  public ValuesSection {
    Sections.requireIndex(tensor);
    Objects.requireNonNull(values, "values");
  }

  @Override
  public int valueCount() {
    return values.length();
  }
}
