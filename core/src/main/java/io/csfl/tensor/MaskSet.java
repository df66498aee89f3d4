package io.csfl.tensor;

import java.util.Arrays;
import java.util.Optional;

/** One optional {@link Mask} per tensor of a model; dense tensors have none. Immutable. */
public final class MaskSet {
  private final Mask[] masks;

  private MaskSet(Mask[] masks) {
    this.masks = masks;
  }

  /** {@code masks[i]} is null for a tensor that is not masked; lengths must match the spec. */
  public static MaskSet of(ModelSpec spec, Mask[] masks) {
    if (masks.length != spec.tensorCount()) {
      throw new IllegalArgumentException("mask set has " + masks.length + " entries, model has " + spec.tensorCount() + " tensors");
    }
    for (int i = 0; i < masks.length; i++) {
      if (masks[i] != null && masks[i].length() != spec.tensor(i).size()) {
        throw new IllegalArgumentException("mask for " + spec.tensor(i).name() + " has length " + masks[i].length() + ", tensor has " + spec.tensor(i).size());
      }
    }
    return new MaskSet(masks.clone());
  }

  /** Without a spec to check against: the receiver checks with {@link #requireFits}. */
  public static MaskSet of(Mask[] masks) {
    return new MaskSet(masks.clone());
  }

  /** Throws unless this set has one entry per tensor of {@code spec} with matching lengths. */
  public MaskSet requireFits(ModelSpec spec) {
    return of(spec, masks);
  }

  /** Number of entries, masked or not: the tensor count of the model it fits. */
  public int size() {
    return masks.length;
  }

  /** The mask of tensor {@code tensor}, or empty if that tensor is not masked (sent dense). */
  public Optional<Mask> mask(int tensor) {
    return Optional.ofNullable(masks[tensor]);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MaskSet m && Arrays.equals(m.masks, masks);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(masks);
  }

  @Override
  public String toString() {
    return "MaskSet" + Arrays.toString(masks);
  }
}
