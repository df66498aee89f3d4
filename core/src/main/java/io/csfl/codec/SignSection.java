package io.csfl.codec;

import io.csfl.tensor.Mask;
import java.util.Objects;

/**
 * One bit per position the receiver already knows (for cs-1bit: the kept positions, ascending):
 * the value there is {@code +scale} where {@code positive} is set and {@code -scale} elsewhere.
 *
 * @param tensor index of the tensor in the model spec, not negative
 * @param positive one bit per position the receiver knows, set where the value is {@code +scale}
 * @param scale the magnitude of every value; finite and not negative
 */
public record SignSection(int tensor, Mask positive, float scale) implements Section {
  /**
   * Throws IllegalArgumentException for a negative tensor index or a scale that is negative or not
   * finite.
   */
  public SignSection {
    Sections.requireIndex(tensor);
    Objects.requireNonNull(positive, "positive");
    if (!Float.isFinite(scale) || scale < 0) {
      throw new IllegalArgumentException("sign scale must be finite and non-negative, got " + scale);
    }
  }

  @Override
  public int valueCount() {
    return positive.length();
  }
}
