package io.csfl.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * Name, shape and role of one tensor of a model. Prunable tensors are weight kernels, which
 * Complement Sparsification prunes; the others (biases) are never pruned, and CS sends them dense.
 */
public final class TensorSpec {
  private final String name;
  private final int[] shape;
  private final boolean prunable;
  private final int size;

  private TensorSpec(String name, int[] shape, boolean prunable) {
    this.name = name;
    this.shape = shape;
    this.prunable = prunable;
    long product = 1;
    for (int d : shape) {
      product *= d;
    }
    this.size = (int) product;
  }

  /**
   * A tensor named {@code name} (not blank) of the given shape (at least one dimension, all
   * positive, at most about {@code Integer.MAX_VALUE} values in all); throws
   * IllegalArgumentException otherwise. The shape is copied.
   */
  public static TensorSpec of(String name, boolean prunable, int... shape) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("tensor name is blank");
    }
    if (shape.length == 0) {
      throw new IllegalArgumentException("tensor " + name + " has no dimensions");
    }
    long product = 1;
    for (int d : shape) {
      if (d <= 0) {
        throw new IllegalArgumentException("tensor " + name + " has a non-positive dimension: " + Arrays.toString(shape));
      }
      product *= d;
      if (product > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("tensor " + name + " is larger than a Java array: " + Arrays.toString(shape));
      }
    }
    return new TensorSpec(name, shape.clone(), prunable);
  }

  /** A prunable weight tensor. */
  public static TensorSpec kernel(String name, int... shape) {
    return of(name, true, shape);
  }

  /** A one-dimensional tensor that pruning never masks. */
  public static TensorSpec bias(String name, int length) {
    return of(name, false, length);
  }

  /** The tensor's name, unique within a {@link ModelSpec}; its key in safetensors files. */
  public String name() {
    return name;
  }

  /** A copy of the dimensions, outermost first. */
  public int[] shape() {
    return shape.clone();
  }

  /** The size of dimension {@code axis}, counted from 0 at the outermost. */
  public int dim(int axis) {
    return shape[axis];
  }

  /** Number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /**
   * Whether the tensor is a weight kernel, which pruners mask (CS's server, FL-PQSU's clients);
   * the others are never pruned.
   */
  public boolean prunable() {
    return prunable;
  }

  /** Number of scalar values. */
  public int size() {
    return size;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t && t.prunable == prunable && t.name.equals(name) && Arrays.equals(t.shape, shape);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + Arrays.hashCode(shape)) + Boolean.hashCode(prunable);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape) + (prunable ? "" : " dense");
  }
}
