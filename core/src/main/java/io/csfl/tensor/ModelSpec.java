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

  public List<TensorSpec> tensors() {
    return tensors;
  }

  public TensorSpec tensor(int index) {
    return tensors.get(index);
  }

  public int tensorCount() {
    return tensors.size();
  }

  public long parameterCount() {
    return parameterCount;
  }

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
