package io.csfl.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MalformedWireException;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Precision;
import io.csfl.codec.Section;
import io.csfl.codec.TernarySection;
import io.csfl.codec.TestMasks;
import io.csfl.tensor.Mask;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Hostile input to the payload and mask decoders: random bytes, damaged valid encodings and
 * announcements of huge counts. Each either decodes to a payload that fits the expected model or
 * fails with {@link MalformedWireException}, and never allocates more than
 * {@link Hostile#allocationBound} allows.
 */
class BoundedDecodingPropertiesTest {
  private static final WireLimits LIMITS = WireLimits.of(Hostile.SPEC);
  private static final byte[] EMPTY = Hostile.emptyMaskCode();
  /** Valid payloads to damage, made once: the tries spend their time decoding. */
  private static final byte[][] VALID = new byte[256][];

  static {
    Random rng = new Random(42);
    for (int i = 0; i < VALID.length; i++) {
      VALID[i] = Hostile.encode(Hostile.payload(rng));
    }
  }

  /** Random bytes (0), a damaged valid payload (1, 2), or sections announcing huge masks (3). */
  static byte[] hostilePayload(int shape, Random rng) {
    return switch (shape) {
      case 0 -> {
        byte[] b = new byte[rng.nextInt(300)];
        rng.nextBytes(b);
        if (b.length > 0 && rng.nextBoolean()) {
          b[0] = PayloadCodec.VERSION;
        }
        yield b;
      }
      case 1, 2 -> Hostile.mutate(VALID[rng.nextInt(VALID.length)], rng);
      default -> {
        int length = switch (rng.nextInt(3)) {
          case 0 -> 1 << 28;
          case 1 -> Hostile.SPEC.tensor(rng.nextInt(Hostile.SPEC.tensorCount())).size();
          default -> rng.nextInt(Integer.MAX_VALUE);
        };
        yield Hostile.emptyMaskBomb(1 + rng.nextInt(300), length, EMPTY);
      }
    };
  }

  @Property(tries = 40_000)
  void payloadDecodingIsBoundedByTheExpectedModel(@ForAll @IntRange(min = 0, max = 3) int shape, @ForAll long seed) {
    byte[] input = hostilePayload(shape, new Random(seed));
    long before = Hostile.allocatedBytes();
    Payload decoded = null;
    try {
      WireReader in = new WireReader(input, LIMITS);
      decoded = PayloadCodec.decode(in);
      in.requireEnd("payload");
    } catch (MalformedWireException refused) {
      assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank());
    }
    long allocated = Hostile.allocatedBytes() - before;
    assertTrue(allocated <= Hostile.allocationBound(input.length, LIMITS), allocated + " bytes allocated for " + input.length + " input bytes");
    if (decoded != null) {
      for (Section s : decoded.sections()) {
        assertTrue(s.tensor() < Hostile.SPEC.tensorCount() && s.valueCount() <= Hostile.SPEC.tensor(s.tensor()).size(), s.toString());
      }
      assertEquals(decoded, PayloadCodec.decode(new WireReader(Hostile.encode(decoded), LIMITS)));
    }
  }

  @Property(tries = 20_000)
  void maskDecodingIsBoundedByTheExpectedModel(@ForAll @IntRange(min = 0, max = 3) int shape, @ForAll long seed) {
    Random rng = new Random(seed);
    int length = shape == 0 ? rng.nextInt(Integer.MAX_VALUE) : rng.nextInt(1200);
    WireWriter valid = new WireWriter(16);
    MaskCoder.encode(TestMasks.random(Math.min(length, 1200), rng.nextDouble() * (shape == 1 ? 0.05 : 1), rng.nextLong()), valid);
    byte[] input = shape == 3 ? valid.toByteArray() : Hostile.mutate(valid.toByteArray(), rng);
    long before = Hostile.allocatedBytes();
    try {
      Mask mask = MaskCoder.decode(new WireReader(input, LIMITS), length, "mask");
      assertEquals(length, mask.length());
    } catch (MalformedWireException refused) {
      assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank());
    }
    long allocated = Hostile.allocatedBytes() - before;
    assertTrue(allocated <= Hostile.allocationBound(input.length, LIMITS), allocated + " bytes allocated for " + input.length + " input bytes");
  }

  @Test
  void aFewBytesCannotAnnounceMoreThanTheModelHas() {
    byte[] bomb = Hostile.emptyMaskBomb(300, 1 << 28);
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> PayloadCodec.decode(new WireReader(bomb, LIMITS)));
    assertTrue(e.getMessage().contains("at most " + Hostile.SPEC.tensor(0).size()), e.getMessage());
    // Without a model: the fallback bound on any tensor.
    e = assertThrows(MalformedWireException.class, () -> PayloadCodec.decode(new WireReader(bomb)));
    assertTrue(e.getMessage().contains("at most " + WireLimits.DEFAULT_MAX_PARAMETERS), e.getMessage());
  }

  @Test
  void masksOfLegalLengthAreBoundedPerMessage() {
    // A difference of 128 rounds: for every tensor, 128 ternary sections whose support is all
    // zero, 11 bytes each whatever the tensor's size. Legal, and exactly the message's mask budget.
    java.util.List<Section> sections = new java.util.ArrayList<>();
    for (int t = 0; t < Hostile.SPEC.tensorCount(); t++) {
      for (int round = 0; round < WireLimits.MASK_POSITIONS_PER_PARAMETER; round++) {
        sections.add(new TernarySection(t, Mask.fromPositions(Hostile.SPEC.tensor(t).size(), new int[0]), Mask.fromPositions(0, new int[0]), 0f));
      }
    }
    byte[] difference = Hostile.encode(new Payload(sections, Precision.FP32, 3));
    assertEquals(sections.size(), PayloadCodec.decode(new WireReader(difference, LIMITS)).sections().size());
    // Two of them in one message (as a RoundPrepared could carry) are twice what the model allows.
    byte[] twice = java.util.Arrays.copyOf(difference, 2 * difference.length);
    System.arraycopy(difference, 0, twice, difference.length, difference.length);
    WireReader in = new WireReader(twice, LIMITS);
    PayloadCodec.decode(in);
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> PayloadCodec.decode(in));
    assertTrue(e.getMessage().contains("mask positions"), e.getMessage());
  }

  @Test
  void aReceiverExpectingTwoModelsAcceptsEither() {
    io.csfl.tensor.ModelSpec wide = io.csfl.tensor.ModelSpec.of(java.util.List.of(io.csfl.tensor.TensorSpec.kernel("w", 5000)));
    WireLimits either = LIMITS.or(WireLimits.of(wide));
    Payload big = new Payload(java.util.List.of(new MaskedSection(0, Mask.all(5000), io.csfl.tensor.Values.copyOf(new float[5000]))));
    assertThrows(MalformedWireException.class, () -> PayloadCodec.decode(new WireReader(Hostile.encode(big), LIMITS)));
    assertEquals(big, PayloadCodec.decode(new WireReader(Hostile.encode(big), either)));
    Payload small = new Payload(java.util.List.of(new DenseSection(3, io.csfl.tensor.Values.copyOf(new float[10]))));
    assertEquals(small, PayloadCodec.decode(new WireReader(Hostile.encode(small), either)));
  }

  @Test
  void aGapCountTheRemainingBytesCannotHoldIsRefusedAtOnce() {
    // 1000 kept positions announced with a Rice parameter of 3, and two bytes of code.
    WireWriter w = new WireWriter(16).writeByte(1).writeVarInt(1000).writeByte(3).writeVarInt(2).writeByte(0).writeByte(0);
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> MaskCoder.decode(new WireReader(w.toByteArray(), LIMITS), 1200, "mask"));
    assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
  }
}
