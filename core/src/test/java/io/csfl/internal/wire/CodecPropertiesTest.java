package io.csfl.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MalformedWireException;
import io.csfl.codec.Payload;
import io.csfl.codec.Precision;
import io.csfl.codec.Section;
import io.csfl.codec.TernarySection;
import io.csfl.codec.TestMasks;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Values;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** Random masks and values round-trip; coded sizes stay near the entropy bound; garbage never decodes silently. */
class CodecPropertiesTest {
  static Payload decode(byte[] bytes) {
    WireReader r = new WireReader(bytes);
    Payload p = PayloadCodec.decode(r);
    r.requireEnd("payload");
    return p;
  }

  static byte[] encode(Payload p) {
    WireWriter w = new WireWriter(64);
    PayloadCodec.encode(p, w);
    return w.toByteArray();
  }

  @Property(tries = 200)
  void masksRoundTripAtAnyDensity(@ForAll @IntRange(min = 0, max = 5000) int n,
                                  @ForAll @DoubleRange(min = 0, max = 1) double density, @ForAll long seed) {
    Mask mask = TestMasks.random(n, density, seed);
    WireWriter w = new WireWriter(16);
    MaskCoder.encode(mask, w);
    WireReader r = new WireReader(w.toByteArray());
    assertEquals(mask, MaskCoder.decode(r, n, "mask"));
    r.requireEnd("mask");
    // Never more than a bitmap plus the coding byte.
    assertTrue(w.size() <= 1 + (n + 7) / 8, w.size() + " bytes for " + n + " positions");
  }

  @Property(tries = 200)
  void modelsRoundTripToTheBitAtAnyDensity(@ForAll @IntRange(min = 1, max = 3000) int n,
                                          @ForAll @DoubleRange(min = 0, max = 1) double density, @ForAll long seed) {
    java.util.Random rng = new java.util.Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      if (rng.nextDouble() < density) {
        // Now and then a signed zero or a subnormal, whose bits are not zero.
        v[i] = switch (rng.nextInt(8)) {
          case 0 -> -0.0f;
          case 1 -> Float.intBitsToFloat(1 + rng.nextInt(0x7FFFFF));
          default -> (float) rng.nextGaussian();
        };
      }
    }
    io.csfl.tensor.ModelSpec spec = io.csfl.tensor.ModelSpec.of(List.of(io.csfl.tensor.TensorSpec.kernel("w", n), io.csfl.tensor.TensorSpec.bias("b", 1)));
    io.csfl.tensor.Model model = io.csfl.tensor.Model.of(spec, List.of(Values.copyOf(v), Values.copyOf(new float[] {1})));
    WireWriter w = new WireWriter(64);
    ModelCodec.writeModel(model, w);
    WireReader r = new WireReader(w.toByteArray());
    float[] back = ModelCodec.readModel(r).tensor(0).toArray();
    r.requireEnd("model");
    for (int i = 0; i < n; i++) {
      assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(back[i]), "position " + i);
    }
    // Never more than the dense form.
    WireWriter specOnly = new WireWriter(64);
    ModelCodec.writeSpec(spec, specOnly);
    assertTrue(w.size() <= specOnly.size() + 2 + 4L * (n + 1), w.size() + " bytes for " + n + " + 1 values");
  }

  @Property(tries = 20)
  void sparseMasksCostNearTheirEntropy(@ForAll @DoubleRange(min = 0.01, max = 0.2) double density, @ForAll long seed) {
    int n = 200_000;
    Mask mask = TestMasks.random(n, density, seed);
    WireWriter w = new WireWriter(16);
    MaskCoder.encode(mask, w);
    double d = mask.density();
    double entropyBytes = n * (-d * Math.log(d) - (1 - d) * Math.log(1 - d)) / Math.log(2) / 8;
    assertTrue(w.size() < 1.06 * entropyBytes, w.size() + " bytes, entropy bound " + entropyBytes);
  }

  @Property(tries = 300)
  void valuesRoundTripInEveryPrecisionAsTheSenderRoundsThem(@ForAll float value) {
    if (!Float.isFinite(value)) {
      return;
    }
    for (Precision precision : Precision.values()) {
      Payload p = new Payload(List.of(new DenseSection(0, Values.copyOf(new float[] {value}))), precision);
      float decoded = ((DenseSection) decode(encode(p)).sections().get(0)).values().get(0);
      assertEquals(precision.round(value), decoded, 0f, precision.name());
      if (precision == Precision.FP32) {
        assertEquals(value, decoded, 0f);
      } else {
        double relative = Math.abs(decoded - precision.clamp(value)) / Math.max(Math.abs(value), 1e-3);
        assertTrue(relative < (precision == Precision.FP16 ? 1e-3 : 8e-3) || Math.abs(value) < 1e-4, value + " -> " + decoded);
      }
    }
  }

  @Property(tries = 100)
  void ternaryDifferencesRoundTrip(@ForAll @IntRange(min = 0, max = 3000) int n, @ForAll @DoubleRange(min = 0, max = 1) double density,
                                   @ForAll @IntRange(min = 1, max = 4) int rounds, @ForAll @IntRange(min = 0, max = 1000) int base,
                                   @ForAll long seed) {
    java.util.List<Section> sections = new java.util.ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      Mask support = TestMasks.random(n, density, seed + r);
      Mask positive = TestMasks.random(support.cardinality(), 0.5, seed - r);
      sections.add(new TernarySection(0, support, positive, Math.floorMod(seed, 1000) / 7f + r));
    }
    Payload p = new Payload(sections, Precision.FP32, base);
    assertEquals(p, decode(encode(p)));
  }

  @Property(tries = 300)
  void randomBytesNeverDecodeToSomethingUnchecked(@ForAll byte[] garbage) {
    byte[] bytes = garbage.clone();
    if (bytes.length > 0) {
      bytes[0] = PayloadCodec.VERSION;
    }
    try {
      Payload p = decode(bytes);
      // If it decodes, re-encoding must reproduce it exactly (no half-read state).
      assertEquals(p, decode(encode(p)));
    } catch (MalformedWireException expected) {
      assertTrue(expected.getMessage() != null && !expected.getMessage().isBlank());
    }
  }

  @Property(tries = 50)
  void aTruncatedGapCodeIsRejected(@ForAll @IntRange(min = 1000, max = 20000) int n, @ForAll long seed) {
    Mask mask = TestMasks.random(n, 0.02, seed);
    WireWriter w = new WireWriter(16);
    MaskCoder.encode(mask, w);
    byte[] full = w.toByteArray();
    byte[] cut = java.util.Arrays.copyOf(full, full.length - 1);
    assertThrows(MalformedWireException.class, () -> MaskCoder.decode(new WireReader(cut), n, "mask"));
  }

  @Property(tries = 100)
  void halfPrecisionMatchesKnownValues(@ForAll @IntRange(min = -2048, max = 2048) int integer) {
    // Integers up to 2048 are exact in fp16.
    assertEquals((float) integer, Precision.FP16.round(integer), 0f);
    assertEquals(65504f, Precision.FP16.round(1e9f), 0f, "clamped, not infinite");
    assertEquals(0x1p-24f, Precision.FP16.round(0x1p-24f), 0f, "smallest subnormal");
  }
}
