package io.csfl.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A model refuses values that are not finite, naming the tensor that holds them, however it is made. */
class ModelTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("dense.w", 2, 2), TensorSpec.bias("dense.b", 2)));

  @Test
  void copyOfNamesTheTensorOfTheFirstValueThatIsNotFinite() {
    NonFiniteValueException e = assertThrows(NonFiniteValueException.class,
        () -> Model.copyOf(SPEC, new float[][] {new float[4], new float[] {0, Float.NaN}}));
    assertEquals("tensor dense.b: value 1 is not finite: NaN", e.getMessage());
  }

  @Test
  void copyOfRefusesAnotherTensorCountBeforeItCopies() {
    // A surplus tensor holding a NaN: the count is what is wrong, and is said first.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Model.copyOf(SPEC, new float[][] {new float[4], new float[2], new float[] {Float.NaN}}));
    assertEquals("model has 3 tensors, spec has 2", e.getMessage());
  }

  @Test
  void aBufferNamesItsTensorToo() {
    ModelBuffer buffer = ModelBuffer.zeros(SPEC);
    buffer.tensor(0)[3] = Float.POSITIVE_INFINITY;
    NonFiniteValueException e = assertThrows(NonFiniteValueException.class, buffer::toModel);
    assertEquals("tensor dense.w: value 3 is not finite: Infinity", e.getMessage());
  }
}
