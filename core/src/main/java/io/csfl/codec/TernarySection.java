package io.csfl.codec;

import io.csfl.tensor.Mask;
import java.util.Objects;

/**
 * A ternary tensor (Sparse Ternary Compression): {@code +magnitude} or {@code -magnitude} at the
 * kept positions of {@code support}, zero elsewhere. {@code positive} has one bit per kept
 * position, ascending. On the wire: the mask, one float and one bit per kept position.
 *
 * @param tensor index of the tensor in the model spec, not negative
 * @param support the non-zero positions; its length is the tensor's size
 * @param positive one bit per kept position of {@code support}, set where the value is
 *     {@code +magnitude}
 * @param magnitude the magnitude of every non-zero value; finite and not negative
 */
public record TernarySection(int tensor, Mask support, Mask positive, float magnitude) implements Section {
  /**
   * Throws IllegalArgumentException for a negative tensor index, a sign count other than the
   * support's cardinality, or a magnitude that is negative or not finite.
   */
  public TernarySection {
    Sections.requireIndex(tensor);
    Objects.requireNonNull(support, "support");
    Objects.requireNonNull(positive, "positive");
    if (positive.length() != support.cardinality()) {
      throw new IllegalArgumentException("tensor " + tensor + ": " + positive.length() + " signs for a support of " + support.cardinality());
    }
    if (!Float.isFinite(magnitude) || magnitude < 0) {
      throw new IllegalArgumentException("ternary magnitude must be finite and non-negative, got " + magnitude);
    }
  }

  @Override
  public int valueCount() {
    return support.cardinality();
  }

  /** The value at the {@code j}-th kept position. */
  public float value(int j) {
    return positive.get(j) ? magnitude : -magnitude;
  }
}
