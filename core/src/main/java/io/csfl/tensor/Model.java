package io.csfl.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** An immutable model: one {@link Values} per tensor of its {@link ModelSpec}. */
public final class Model {
  private final ModelSpec spec;
  private final List<Values> tensors;

  private Model(ModelSpec spec, List<Values> tensors) {
    this.spec = spec;
    this.tensors = tensors;
  }

  /**
   * A model from one {@link Values} per tensor in spec order; throws IllegalArgumentException if
   * the count or any length does not match {@code spec}. The list is copied.
   */
  public static Model of(ModelSpec spec, List<Values> tensors) {
    Objects.requireNonNull(spec, "spec");
    requireTensorCount(spec, tensors.size());
    for (int i = 0; i < tensors.size(); i++) {
      requireLength(spec.tensor(i), tensors.get(i).length());
    }
    return new Model(spec, List.copyOf(tensors));
  }

  /**
   * Copies and validates arrays given in spec order; a NaN or infinity is refused with a
   * {@link NonFiniteValueException} that names its tensor.
   */
  public static Model copyOf(ModelSpec spec, float[][] arrays) {
    requireTensorCount(spec, arrays.length);
    for (int i = 0; i < arrays.length; i++) {
      requireLength(spec.tensor(i), arrays[i].length);
    }
    List<Values> list = new ArrayList<>(arrays.length);
    for (int i = 0; i < arrays.length; i++) {
      list.add(Values.copyOfTensor(spec.tensor(i).name(), arrays[i]));
    }
    return of(spec, list);
  }

  private static void requireLength(TensorSpec t, int length) {
    if (length != t.size()) {
      throw new IllegalArgumentException("tensor " + t.name() + " has " + length + " values, expected " + t.size());
    }
  }

  private static void requireTensorCount(ModelSpec spec, int count) {
    if (count != spec.tensorCount()) {
      throw new IllegalArgumentException("model has " + count + " tensors, spec has " + spec.tensorCount());
    }
  }

  /** The model of {@code spec} with every value zero. */
  public static Model zeros(ModelSpec spec) {
    List<Values> list = new ArrayList<>();
    for (TensorSpec t : spec.tensors()) {
      list.add(Values.zeros(t.size()));
    }
    return new Model(spec, List.copyOf(list));
  }

  /** The tensors this model has values for. */
  public ModelSpec spec() {
    return spec;
  }

  /** The values of tensor {@code index}, in the order of {@link #spec()}. */
  public Values tensor(int index) {
    return tensors.get(index);
  }

  /** Copies every tensor into fresh arrays, e.g. to load them into a trainer. */
  public float[][] toArrays() {
    float[][] out = new float[tensors.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = tensors.get(i).toArray();
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Model m && m.spec.equals(spec) && m.tensors.equals(tensors);
  }

  @Override
  public int hashCode() {
    return 31 * spec.hashCode() + tensors.hashCode();
  }

  @Override
  public String toString() {
    return "Model(" + spec.parameterCount() + " parameters)";
  }
}
