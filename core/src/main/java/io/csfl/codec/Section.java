package io.csfl.codec;

/**
 * One tensor's part of a {@link Payload}. Which positions the values belong to is given by the
 * section's kind: all of them, the kept positions of a mask sent along, or positions both sides
 * already know (the CS uplink: the complement of the mask the server sent).
 */
public sealed interface Section permits DenseSection, MaskedSection, ValuesSection, SignSection, TernarySection, PatchSection {
  /** Index of the tensor in the model spec. */
  int tensor();

  /** Number of float values carried. */
  int valueCount();
}
