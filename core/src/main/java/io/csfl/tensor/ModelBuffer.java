package io.csfl.tensor;

/**
 * A mutable model-sized buffer of floats. It is not thread-safe and is meant to be owned by one
 * actor (the aggregator's running sum, a trainer's weights); {@link #toModel()} makes the
 * immutable snapshot that may be sent.
 */
public final class ModelBuffer {
  private final ModelSpec spec;
  private final float[][] data;

  private ModelBuffer(ModelSpec spec, float[][] data) {
    this.spec = spec;
    this.data = data;
  }

  /** A buffer of {@code spec}'s shape with every value zero. */
  public static ModelBuffer zeros(ModelSpec spec) {
    float[][] d = new float[spec.tensorCount()][];
    for (int i = 0; i < d.length; i++) {
      d[i] = new float[spec.tensor(i).size()];
    }
    return new ModelBuffer(spec, d);
  }

  /** A buffer holding a copy of {@code model}'s values; changing it does not affect the model. */
  public static ModelBuffer copyOf(Model model) {
    return new ModelBuffer(model.spec(), model.toArrays());
  }

  /** The tensors this buffer holds, in order. */
  public ModelSpec spec() {
    return spec;
  }

  /** The live array of one tensor: the owner may read and write it. */
  public float[] tensor(int index) {
    return data[index];
  }

  /**
   * Sets every value of every tensor to {@code value}, e.g. 0 to reuse the buffer for a new sum.
   */
  public void fill(float value) {
    for (float[] t : data) {
      java.util.Arrays.fill(t, value);
    }
  }

  /** Snapshot; fails with the tensor's name if any value is not finite. */
  public Model toModel() {
    java.util.List<Values> list = new java.util.ArrayList<>(data.length);
    for (int i = 0; i < data.length; i++) {
      list.add(Values.copyOfTensor(spec.tensor(i).name(), data[i]));
    }
    return Model.of(spec, list);
  }
}
