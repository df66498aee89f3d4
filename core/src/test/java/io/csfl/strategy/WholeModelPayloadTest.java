package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.tensor.Mask;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A whole-model downlink has exactly one section per tensor, in order; no other arrangement is read as a model. */
class WholeModelPayloadTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("w", 2, 2), TensorSpec.bias("b", 2),
      TensorSpec.bias("c", 4)));

  @Test
  void oneSectionPerTensorInOrderIsAModel() {
    Payload p = new Payload(List.of(new DenseSection(0, Values.zeros(4)), new DenseSection(1, Values.zeros(2)),
        new DenseSection(2, Values.zeros(4))));
    assertEquals(SPEC, Payloads.toModel(p, SPEC).spec());
  }

  @Test
  void twoSectionsForOneTensorAndNoneForAnotherAreRefused() {
    // Tensor 0 twice (dense, then masked) and tensor 1 missing: three sections ending at tensor 2.
    Payload p = new Payload(List.of(new DenseSection(0, Values.zeros(4)),
        new MaskedSection(0, Mask.all(4), Values.zeros(4)), new DenseSection(2, Values.zeros(4))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Payloads.toModel(p, SPEC));
    assertTrue(e.getMessage().contains("payload section 1 is for tensor 0"), e.getMessage());
  }
}
