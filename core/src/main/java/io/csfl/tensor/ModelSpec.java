package io.csfl.tensor;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The ordered list of tensors that makes up a model. Immutable. */
public final class ModelSpec {
  private final List<TensorSpec> tensors;
  private final long parameterCount;

  private ModelSpec(List<TensorSpec> tensors) {
    this.tensors = tensors;
    this.parameterCount = tensors.stream().mapToLong(TensorSpec::size).sum();
  }

  /**
   * A spec of {@code tensors} in the given order (the list is copied); throws
   * IllegalArgumentException if it is empty or two tensors share a name.
   */
  public static ModelSpec of(List<TensorSpec> tensors) {
    if (tensors.isEmpty()) {
      throw new IllegalArgumentException("a model needs at least one tensor");
    }
    Set<String> names = new HashSet<>();
    for (TensorSpec t : tensors) {
      if (!names.add(t.name())) {
        throw new IllegalArgumentException("duplicate tensor name: " + t.name());
      }
    }
    return new ModelSpec(List.copyOf(tensors));
  }

  /** The tensors in model order, as an unmodifiable list. */
  public List<TensorSpec> tensors() {
    return tensors;
  }

  /** The tensor at {@code index} in model order. */
  public TensorSpec tensor(int index) {
    return tensors.get(index);
  }

  /** Number of tensors. */
  public int tensorCount() {
    return tensors.size();
  }

  /** Number of scalar values over all tensors, prunable or not. */
  public long parameterCount() {
    return parameterCount;
  }

  /**
   * Number of scalar values in the prunable tensors (the kernels), the ones that sparsification and
   * pruning act on.
   */
  public long prunableCount() {
    return tensors.stream().filter(TensorSpec::prunable).mapToLong(TensorSpec::size).sum();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec m && m.tensors.equals(tensors);
  }

  @Override
  public int hashCode() {
    return tensors.hashCode();
  }

  @Override
  public String toString() {
    return "ModelSpec" + tensors + " (" + parameterCount + " parameters)";
  }
}
