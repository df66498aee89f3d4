package io.csfl.internal.wire;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.PatchSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Precision;
import io.csfl.codec.Section;
import io.csfl.codec.SignSection;
import io.csfl.codec.TernarySection;
import io.csfl.codec.TestMasks;
import io.csfl.codec.ValuesSection;
import io.csfl.tensor.Mask;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Inputs an attacker could send, built with the real encoder, and the heap a decode of them takes. */
public final class Hostile {
  private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private Hostile() {}

  /** A small model: two kernels and their biases, 940 parameters. */
  public static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("k1", 20, 30), TensorSpec.bias("b1", 30),
      TensorSpec.kernel("k2", 30, 10), TensorSpec.bias("b2", 10)));

  /** Bytes allocated by this thread so far. */
  public static long allocatedBytes() {
    return THREADS.getCurrentThreadAllocatedBytes();
  }

  /**
   * What decoding {@code inputBytes} may allocate under {@code limits}: a small multiple of the input
   * (values, strings, exceptions) plus twice the mask bits one message may decode (a mask's words
   * and their validated copy), plus a constant for stack traces and bookkeeping.
   */
  public static long allocationBound(int inputBytes, WireLimits limits) {
    return 64L * inputBytes + 2 * limits.maskPositions() / 8 + (1 << 20);
  }

  /** The MASKED section kind's code, for tests that build sections by hand. */
  public static final int MASKED = PayloadCodec.MASKED;

  /**
   * A payload of {@code sections} masked sections, tensors 0, 1, 2..., each announcing
   * {@code length} positions with an all-zero mask: the gap code of no positions, four bytes.
   * Eleven bytes a section, whatever the length announced.
   */
  public static byte[] emptyMaskBomb(int sections, int length) {
    WireWriter code = new WireWriter(16);
    MaskCoder.encode(Mask.fromPositions(length, new int[0]), code);
    return emptyMaskBomb(sections, length, code.toByteArray());
  }

  /** The code of an all-zero mask, as {@link MaskCoder} writes it: the same four bytes for any length. */
  public static byte[] emptyMaskCode() {
    WireWriter code = new WireWriter(16);
    MaskCoder.encode(Mask.fromPositions(64, new int[0]), code);
    return code.toByteArray();
  }

  /** As {@link #emptyMaskBomb(int, int)}, with the mask's code given. */
  public static byte[] emptyMaskBomb(int sections, int length, byte[] emptyMaskCode) {
    WireWriter w = new WireWriter(16 + 12 * sections);
    writeEmptyMaskBomb(w, sections, length, emptyMaskCode);
    return w.toByteArray();
  }

  /** Appends the bomb to {@code w}: for a message that carries a payload after other fields. */
  public static void writeEmptyMaskBomb(WireWriter w, int sections, int length, byte[] emptyMaskCode) {
    w.writeByte(PayloadCodec.VERSION).writeByte(Precision.FP32.ordinal()).writeVarInt(0).writeVarInt(sections);
    for (int i = 0; i < sections; i++) {
      w.writeByte(PayloadCodec.MASKED).writeVarInt(i).writeVarInt(length).writeBytes(emptyMaskCode, 0, emptyMaskCode.length);
    }
  }

  /** A random valid payload for {@link #SPEC}: each tensor dense, masked, complement values with signs, ternary, or patched. */
  public static Payload payload(Random rng) {
    List<Section> sections = new ArrayList<>();
    boolean difference = rng.nextInt(4) == 0;
    for (int t = 0; t < SPEC.tensorCount(); t++) {
      int n = SPEC.tensor(t).size();
      Mask mask = TestMasks.random(n, rng.nextDouble(), rng.nextLong());
      switch (difference ? 3 : rng.nextInt(6)) {
        case 0 -> sections.add(new DenseSection(t, values(rng, n)));
        case 1 -> sections.add(new MaskedSection(t, mask, values(rng, mask.cardinality())));
        case 2 -> {
          sections.add(new ValuesSection(t, values(rng, n - mask.cardinality())));
          sections.add(new SignSection(t, TestMasks.random(mask.cardinality(), 0.5, rng.nextLong()), rng.nextFloat()));
        }
        case 3 -> {
          for (int r = difference ? rng.nextInt(3) : 0; r >= 0; r--) {
            Mask support = TestMasks.random(n, rng.nextDouble() * 0.1, rng.nextLong());
            sections.add(new TernarySection(t, support, TestMasks.random(support.cardinality(), 0.5, rng.nextLong()), rng.nextFloat()));
          }
        }
        case 4 -> {
          Mask rewritten = TestMasks.random(mask.cardinality(), rng.nextDouble(), rng.nextLong());
          sections.add(new PatchSection(t, TestMasks.random(n, 0.05, rng.nextLong()), rewritten, values(rng, rewritten.cardinality())));
        }
        default -> { }
      }
    }
    Precision precision = Precision.values()[rng.nextInt(Precision.values().length)];
    return new Payload(sections, precision, difference ? rng.nextInt(100) : Payload.ABSOLUTE);
  }

  public static byte[] encode(Payload payload) {
    WireWriter w = new WireWriter(256);
    PayloadCodec.encode(payload, w);
    return w.toByteArray();
  }

  private static Values values(Random rng, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return Values.copyOf(v);
  }

  /**
   * {@code valid} damaged the ways a forger or a bad link would: bytes flipped, a huge varint
   * count written over a field, cut short, or bytes inserted.
   */
  public static byte[] mutate(byte[] valid, Random rng) {
    byte[] b = valid.clone();
    switch (rng.nextInt(5)) {
      case 0 -> {
        for (int i = 1 + rng.nextInt(4); i > 0 && b.length > 0; i--) {
          b[rng.nextInt(b.length)] ^= (byte) (1 << rng.nextInt(8));
        }
      }
      case 1 -> {
        // A count of 2^28 or more (a 5-byte varint) over whatever was at a random place.
        if (b.length >= 5) {
          int at = rng.nextInt(b.length - 4);
          int huge = (1 << 28) + rng.nextInt(Integer.MAX_VALUE - (1 << 28));
          if (rng.nextBoolean()) {
            huge = 1 << 28;
          }
          for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) ((huge >>> (7 * i)) & 0x7F | 0x80);
          }
          b[at + 4] = (byte) (huge >>> 28);
        }
      }
      case 2 -> b = Arrays.copyOf(b, b.length == 0 ? 0 : rng.nextInt(b.length));
      case 3 -> {
        int at = b.length == 0 ? 0 : rng.nextInt(b.length);
        byte[] extra = new byte[1 + rng.nextInt(8)];
        rng.nextBytes(extra);
        byte[] out = new byte[b.length + extra.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(extra, 0, out, at, extra.length);
        System.arraycopy(b, at, out, at + extra.length, b.length - at);
        b = out;
      }
      default -> {
        if (b.length > 0) {
          b[rng.nextInt(b.length)] = (byte) rng.nextInt(256);
        }
      }
    }
    return b;
  }
}
