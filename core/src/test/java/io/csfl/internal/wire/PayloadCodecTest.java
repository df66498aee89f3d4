package io.csfl.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MalformedWireException;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.PatchSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Precision;
import io.csfl.codec.ValuesSection;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Values;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PayloadCodecTest {
  private static byte[] encode(Payload p) {
    WireWriter w = new WireWriter(16);
    PayloadCodec.encode(p, w);
    return w.toByteArray();
  }

  private static Payload decode(byte[] b) {
    WireReader r = new WireReader(b);
    Payload p = PayloadCodec.decode(r);
    r.requireEnd("payload");
    return p;
  }

  private static Payload sample() {
    Random rng = new Random(5);
    boolean[] keep = new boolean[130];
    int kept = 0;
    for (int i = 0; i < keep.length; i++) {
      keep[i] = rng.nextBoolean();
      kept += keep[i] ? 1 : 0;
    }
    int[] positions = new int[kept];
    for (int i = 0, j = 0; i < keep.length; i++) {
      if (keep[i]) {
        positions[j++] = i;
      }
    }
    float[] kv = new float[kept];
    for (int i = 0; i < kept; i++) {
      kv[i] = (float) rng.nextGaussian();
    }
    return new Payload(List.of(
        new MaskedSection(0, Mask.fromPositions(130, positions), Values.copyOf(kv)),
        new DenseSection(1, Values.copyOf(new float[] {1.5f, -2f, 0f})),
        new ValuesSection(3, Values.copyOf(new float[] {Float.MIN_VALUE, -0f, 3e38f}))));
  }

  @Test
  void roundTripsEverySectionKind() {
    Payload p = sample();
    assertEquals(p, decode(encode(p)));
  }

  @Test
  void rejectsTruncatedInputAtEveryLength() {
    byte[] full = encode(sample());
    for (int n = 0; n < full.length; n++) {
      byte[] cut = Arrays.copyOf(full, n);
      assertThrows(MalformedWireException.class, () -> decode(cut), "prefix of " + n + " bytes");
    }
  }

  @Test
  void rejectsAForgedHugeLengthWithoutAllocatingIt() {
    WireWriter w = new WireWriter(16).writeByte(PayloadCodec.VERSION).writeByte(0).writeVarInt(0).writeVarInt(1).writeByte(1).writeVarInt(0).writeVarInt(PayloadCodec.MAX_TENSOR_VALUES);
    MalformedWireException e = assertThrows(MalformedWireException.class,
        () -> PayloadCodec.decode(new WireReader(w.toByteArray(), WireLimits.ofParameters(PayloadCodec.MAX_TENSOR_VALUES))));
    assertTrue(e.getMessage().contains("needs 1073741824 bytes"), e.getMessage());
    MalformedWireException bounded = assertThrows(MalformedWireException.class, () -> decode(w.toByteArray()));
    assertTrue(bounded.getMessage().contains("at most " + WireLimits.DEFAULT_MAX_PARAMETERS), bounded.getMessage());
    WireWriter over = new WireWriter(16).writeByte(PayloadCodec.VERSION).writeByte(0).writeVarInt(0).writeVarInt(1).writeByte(1).writeVarInt(0).writeVarInt(Integer.MAX_VALUE);
    assertThrows(MalformedWireException.class, () -> decode(over.toByteArray()));
  }

  @Test
  void rejectsNanValues() {
    WireWriter w = new WireWriter(16).writeByte(PayloadCodec.VERSION).writeByte(0).writeVarInt(0).writeVarInt(1).writeByte(1).writeVarInt(0).writeVarInt(1);
    byte[] b = Arrays.copyOf(w.toByteArray(), w.size() + 4);
    int nan = Float.floatToRawIntBits(Float.NaN);
    for (int i = 0; i < 4; i++) {
      b[w.size() + i] = (byte) (nan >>> (8 * i));
    }
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> decode(b));
    assertTrue(e.getMessage().contains("not finite"), e.getMessage());
  }

  @Test
  void rejectsUnknownVersionKindAndStrayMaskBits() {
    assertThrows(MalformedWireException.class, () -> decode(new byte[] {9, 0}));
    assertThrows(MalformedWireException.class, () -> decode(new byte[] {PayloadCodec.VERSION, 0, 0, 1, 42, 0}));
    assertThrows(MalformedWireException.class, () -> decode(new byte[] {PayloadCodec.VERSION, 7, 0, 0}), "unknown precision");
    // A mask of length 3 whose byte sets bit 5: beyond the tensor.
    byte[] stray = {PayloadCodec.VERSION, 0, 0, 1, 2, 0, 3, 0, 0b0010_0001};
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> decode(stray));
    assertTrue(e.getMessage().contains("beyond its length"), e.getMessage());
  }

  @Test
  void readsVersionTwoWhichHadNoBaseRound() {
    byte[] v3 = encode(sample());
    byte[] v2 = new byte[v3.length - 1];
    v2[0] = 2;
    v2[1] = v3[1];
    System.arraycopy(v3, 3, v2, 2, v3.length - 3);
    assertEquals(sample(), decode(v2));
  }

  @Test
  void roundTripsAPatchWhichOlderVersionsCannotHold() {
    Mask flips = Mask.fromPositions(130, new int[] {3, 64, 129});
    Mask rewritten = Mask.fromPositions(70, new int[] {0, 7, 69});
    Payload patch = new Payload(List.of(new PatchSection(0, flips, rewritten, Values.copyOf(new float[] {1f, -0.5f, 2f}))), Precision.FP16, 4);
    byte[] b = encode(patch);
    assertEquals(patch, decode(b));
    for (int n = 0; n < b.length; n++) {
      byte[] cut = Arrays.copyOf(b, n);
      assertThrows(MalformedWireException.class, () -> decode(cut), "patch prefix of " + n + " bytes");
    }
    b[0] = 3;
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> decode(b));
    assertTrue(e.getMessage().contains("patch section for tensor 0 in a version 3 payload"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new PatchSection(0, flips, rewritten, Values.copyOf(new float[] {1f})),
        "three rewritten positions need three values");
  }

  @Test
  void rejectsSectionsOutOfOrder() {
    Payload twice = sample();
    byte[] b = encode(new Payload(List.of(twice.sections().get(1))));
    int header = 4; // version, precision, base, section count
    byte[] doubled = new byte[header + 2 * (b.length - header)];
    doubled[0] = PayloadCodec.VERSION;
    doubled[3] = 2;
    System.arraycopy(b, header, doubled, header, b.length - header);
    System.arraycopy(b, header, doubled, b.length, b.length - header);
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> decode(doubled));
    assertTrue(e.getMessage().contains("second section of kind"), e.getMessage());
  }
}
