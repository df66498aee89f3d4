package io.csfl.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.MalformedWireException;
import io.csfl.tensor.Mask;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorOps;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Decoders and tensor operations refuse what is malformed instead of reading it some other way. */
class StrictDecodingTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("w", 2, 3), TensorSpec.bias("b", 3)));

  @Test
  void aSpecsFlagBytesAreZeroOrOne() {
    WireWriter out = new WireWriter(64);
    ModelCodec.writeSpec(SPEC, out);
    byte[] good = out.toByteArray();
    assertEquals(SPEC, ModelCodec.readSpec(new WireReader(good)));
    // The prunable flag of tensor "w" follows its count (1 byte), its name's length (1 byte) and name (1 byte).
    byte[] bad = good.clone();
    assertEquals(1, bad[3]);
    bad[3] = 7;
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> ModelCodec.readSpec(new WireReader(bad)));
    assertTrue(e.getMessage().contains("prunable flag is 7, not 0 or 1"), e.getMessage());
  }

  @Test
  void aMaskMustFitTheTensorItIsAppliedTo() {
    Mask mask = Mask.all(5);
    assertThrows(IllegalArgumentException.class, () -> TensorOps.applyMask(new float[6], mask));
    assertThrows(IllegalArgumentException.class, () -> TensorOps.gather(new float[4], mask));
    assertEquals(5, TensorOps.gather(new float[5], mask).length());
    assertThrows(IllegalArgumentException.class, () -> Mask.all(-1));
  }

  @Test
  void aCopyMayNotRunPastItsSource() {
    assertEquals(2, Values.copyOf(new float[] {1, 2, 3}, 1, 2).length());
    assertThrows(IndexOutOfBoundsException.class, () -> Values.copyOf(new float[] {1, 2, 3}, 2, 2));
  }
}
