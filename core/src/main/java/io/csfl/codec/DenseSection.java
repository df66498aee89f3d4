package io.csfl.codec;

import io.csfl.tensor.Values;
import java.util.Objects;

/** Every value of a tensor. */
public record DenseSection(int tensor, Values values) implements Section {
  public DenseSection {
    Sections.requireIndex(tensor);
    Objects.requireNonNull(values, "values");
  }

  @Override
  public int valueCount() {
    return values.length();
  }
}
