package io.csfl.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.MalformedWireException;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A model travels to the bit in whichever form of each tensor is smaller, and a damaged encoding
 * fails in the codec, not in an allocation or a misread model.
 */
class ModelCodecTest {
  /** A pruned kernel, a dense bias, a kernel of zeros, and a 65-position tensor (a word and a bit). */
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("w", 8, 16), TensorSpec.bias("b", 16),
      TensorSpec.kernel("z", 4, 10), TensorSpec.kernel("odd", 5, 13)));
  private static final WireLimits LIMITS = WireLimits.of(SPEC);

  /** Half of w pruned, with -0.0, subnormals and extremes among the kept; b dense; z all zeros; odd a third kept. */
  private static Model model() {
    Random rng = new Random(3);
    float[][] t = new float[4][];
    t[0] = new float[128];
    for (int i = 0; i < t[0].length; i += 2) {
      t[0][i] = (float) rng.nextGaussian();
    }
    t[0][2] = -0.0f;
    t[0][4] = Float.MIN_VALUE;
    t[0][6] = -Float.MIN_NORMAL / 3;
    t[0][8] = Float.MAX_VALUE;
    t[0][10] = -Float.MAX_VALUE;
    t[1] = new float[16];
    for (int i = 0; i < t[1].length; i++) {
      t[1][i] = 1 + i;
    }
    t[2] = new float[40];
    t[3] = new float[65];
    for (int i = 0; i < t[3].length; i += 3) {
      t[3][i] = -0.0f;
    }
    return Model.copyOf(SPEC, t);
  }

  private static byte[] encode(Model m) {
    return CodecTesting.written(out -> ModelCodec.writeModel(m, out));
  }

  private static Model decode(byte[] bytes) {
    return CodecTesting.readWhole(bytes, LIMITS, ModelCodec::readModel);
  }

  private static int[] bits(Model m, int t) {
    float[] v = m.tensor(t).toArray();
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Float.floatToRawIntBits(v[i]);
    }
    return out;
  }

  private static int specBytes() {
    return CodecTesting.written(out -> ModelCodec.writeSpec(SPEC, out)).length;
  }

  @Test
  void everyValueSurvivesToTheBit() {
    Model m = model();
    Model back = decode(encode(m));
    for (int t = 0; t < SPEC.tensorCount(); t++) {
      assertArrayEquals(bits(m, t), bits(back, t), SPEC.tensor(t).name());
    }
    assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(back.tensor(0).get(2)));
    assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(back.tensor(3).get(63)));
    assertEquals(Float.MIN_VALUE, back.tensor(0).get(4));
  }

  @Test
  void eachTensorTakesItsSmallerForm() {
    byte[] b = encode(model());
    int at = specBytes();
    // w: 64 of 128 positions listed, 16 bytes of bitmap: sparse.
    assertEquals(ModelCodec.SPARSE, b[at]);
    at += 1 + 16 + 4 * 64;
    // b: every position non-zero, dense is smaller than any bitmap plus the same values.
    assertEquals(ModelCodec.DENSE, b[at]);
    at += 1 + 4 * 16;
    // z: all zeros, only its bitmap.
    assertEquals(ModelCodec.SPARSE, b[at]);
    at += 1 + 5;
    // odd: 22 of 65 listed after 9 bytes of bitmap.
    assertEquals(ModelCodec.SPARSE, b[at]);
    at += 1 + 9 + 4 * 22;
    assertEquals(b.length, at);
  }

  @Test
  void aDenseModelCostsOneByteATensorMoreThanItsValues() {
    float[][] t = new float[4][];
    for (int i = 0; i < t.length; i++) {
      t[i] = new float[SPEC.tensor(i).size()];
      Arrays.fill(t[i], 0.25f);
    }
    Model dense = Model.copyOf(SPEC, t);
    assertEquals(specBytes() + SPEC.tensorCount() + 4L * SPEC.parameterCount(), encode(dense).length);
    assertEquals(dense, decode(encode(dense)));
  }

  @Test
  void everyTruncationFailsInTheCodec() {
    CodecTesting.assertEveryTruncationFails(encode(model()), ModelCodecTest::decode);
  }

  @Test
  void anUnknownFormIsRefused() {
    byte[] b = encode(model());
    b[specBytes()] = 2;
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> decode(b));
    assertTrue(e.getMessage().contains("form of w is 2"), e.getMessage());
  }

  @Test
  void aBitmapThatListsMoreValuesThanRemainIsRefusedBeforeAllocating() {
    byte[] b = encode(model());
    // Every position of w set: 128 values announced, fewer bytes remain.
    Arrays.fill(b, specBytes() + 1, specBytes() + 17, (byte) 0xFF);
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> decode(b));
    assertTrue(e.getMessage().contains("values of w needs 512 bytes"), e.getMessage());
  }

  @Test
  void aBitBeyondTheTensorIsRefused() {
    byte[] b = encode(model());
    int oddBitmapLast = b.length - 4 * 22 - 1;
    assertEquals(0, b[oddBitmapLast]);
    b[oddBitmapLast] = 2;
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> decode(b));
    assertTrue(e.getMessage().contains("bitmap of values of odd"), e.getMessage());
  }

  @Test
  void aListedZeroAndANonFiniteValueAreRefused() {
    byte[] b = encode(model());
    int firstValueOfW = specBytes() + 1 + 16;
    byte[] zero = b.clone();
    Arrays.fill(zero, firstValueOfW, firstValueOfW + 4, (byte) 0);
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> decode(zero));
    assertTrue(e.getMessage().contains("listed but zero"), e.getMessage());
    byte[] nan = b.clone();
    nan[firstValueOfW + 2] = (byte) 0xC0;
    nan[firstValueOfW + 3] = 0x7F;
    assertThrows(MalformedWireException.class, () -> decode(nan));
    byte[] denseNan = b.clone();
    int firstValueOfB = firstValueOfW + 4 * 64 + 1;
    denseNan[firstValueOfB + 2] = (byte) 0x80;
    denseNan[firstValueOfB + 3] = 0x7F;
    assertThrows(MalformedWireException.class, () -> decode(denseNan));
  }
}
