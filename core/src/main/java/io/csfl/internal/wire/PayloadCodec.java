package io.csfl.internal.wire;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MalformedWireException;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.PatchSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Precision;
import io.csfl.codec.Section;
import io.csfl.codec.SignSection;
import io.csfl.codec.TernarySection;
import io.csfl.codec.ValuesSection;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a {@link Payload}, version 4:
 *
 * <pre>
 * version:u8  precision:u8  base:varint  sectionCount:varint  section*
 * section  = kind:u8 tensor:varint body
 * DENSE    : count:varint  value[count]
 * MASKED   : length:varint mask  value[cardinality(mask)]
 * VALUES   : count:varint  value[count]
 * SIGNS    : count:varint  scale:float32  ceil(count / 8) bytes of sign bits (1 = +scale)
 * TERNARY  : length:varint mask  magnitude:float32  ceil(cardinality(mask) / 8) bytes of sign bits
 * PATCH    : length:varint mask(flips)  keptCount:varint mask(rewritten)  value[cardinality(rewritten)]
 * mask     : see {@link MaskCoder}
 * </pre>
 *
 * {@code base} is the payload's base round plus one (0 for a model in itself). Versions 2 (no
 * base field, no ternary sections) and 3 (no patch sections) are still read.
 *
 * Values are little-endian IEEE 754 in the payload's precision (4 or 2 bytes each). Decoding
 * never trusts a length: see {@link WireReader}; tensor indices, counts and mask lengths are
 * bounded by the model the reader expects ({@link WireLimits}) before anything is allocated.
 */
public final class PayloadCodec {
  /** The version {@link #encode} writes, the payload's first byte. */
  public static final int VERSION = 4;
  private static final int VERSION_WITHOUT_BASE = 2;
  private static final int VERSION_WITHOUT_PATCHES = 3;
  /** No tensor may claim more values than this (1 GiB of float32), whatever the bytes say. */
  public static final int MAX_TENSOR_VALUES = 1 << 28;
  /**
   * No payload may hold more sections, nor name a tensor index at or above this, whatever the bytes
   * say.
   */
  public static final int MAX_SECTIONS = 1 << 16;

  static final int DENSE = 1;
  static final int MASKED = 2;
  static final int VALUES = 3;
  static final int SIGNS = 4;
  static final int TERNARY = 5;
  static final int PATCH = 6;

  private PayloadCodec() {}

  /**
   * Appends {@code payload} in the current {@link #VERSION}. FP16 values beyond its range are
   * clamped to it.
   */
  public static void encode(Payload payload, WireWriter out) {
    Precision precision = payload.precision();
    out.writeByte(VERSION).writeByte(precision.ordinal()).writeVarInt(payload.base() + 1);
    out.writeVarInt(payload.sections().size());
    for (Section s : payload.sections()) {
      if (s instanceof DenseSection d) {
        out.writeByte(DENSE).writeVarInt(d.tensor()).writeVarInt(d.values().length());
        out.writeFloats(d.values(), precision);
      } else if (s instanceof MaskedSection m) {
        out.writeByte(MASKED).writeVarInt(m.tensor()).writeVarInt(m.mask().length());
        MaskCoder.encode(m.mask(), out);
        out.writeFloats(m.values(), precision);
      } else if (s instanceof ValuesSection v) {
        out.writeByte(VALUES).writeVarInt(v.tensor()).writeVarInt(v.values().length());
        out.writeFloats(v.values(), precision);
      } else if (s instanceof SignSection g) {
        out.writeByte(SIGNS).writeVarInt(g.tensor()).writeVarInt(g.positive().length());
        out.writeFloats(io.csfl.tensor.Values.copyOf(new float[] {g.scale()}));
        out.writeBits(g.positive().toWords(), g.positive().length());
      } else if (s instanceof TernarySection r) {
        out.writeByte(TERNARY).writeVarInt(r.tensor()).writeVarInt(r.support().length());
        MaskCoder.encode(r.support(), out);
        out.writeFloats(io.csfl.tensor.Values.copyOf(new float[] {r.magnitude()}));
        out.writeBits(r.positive().toWords(), r.positive().length());
      } else if (s instanceof PatchSection p) {
        out.writeByte(PATCH).writeVarInt(p.tensor()).writeVarInt(p.flips().length());
        MaskCoder.encode(p.flips(), out);
        out.writeVarInt(p.rewritten().length());
        MaskCoder.encode(p.rewritten(), out);
        out.writeFloats(p.values(), precision);
      }
    }
  }

  /** The number of bytes {@link #encode} writes for {@code payload}. */
  public static long encodedSize(Payload payload) {
    WireWriter out = new WireWriter(1024);
    encode(payload, out);
    return out.size();
  }

  /**
   * Reads one payload of version 2 to {@link #VERSION}, within the reader's {@link WireLimits};
   * throws MalformedWireException when the bytes are not one. Trailing bytes are left for the
   * caller to check.
   */
  public static Payload decode(WireReader in) {
    int version = in.readByte("payload version");
    if (version < VERSION_WITHOUT_BASE || version > VERSION) {
      throw new MalformedWireException("unsupported payload version " + version + " (this build reads "
          + VERSION_WITHOUT_BASE + " to " + VERSION + ")");
    }
    int precisionCode = in.readByte("precision");
    if (precisionCode >= Precision.values().length) {
      throw new MalformedWireException("unknown value precision " + precisionCode);
    }
    Precision precision = Precision.values()[precisionCode];
    int base = version > VERSION_WITHOUT_BASE ? in.readVarInt("base round") - 1 : Payload.ABSOLUTE;
    WireLimits limits = in.limits();
    int count = in.readCount("section count", MAX_SECTIONS);
    List<Section> sections = new ArrayList<>(Math.min(count, 64));
    SectionOrder order = new SectionOrder(base != Payload.ABSOLUTE);
    for (int i = 0; i < count; i++) {
      int kind = in.readByte("section kind");
      int tensor = in.readCount("tensor index", MAX_SECTIONS);
      int size = limits.tensorSize(tensor, "section " + i);
      order.next(tensor, kind);
      sections.add(switch (kind) {
        case DENSE -> new DenseSection(tensor, readValues(in, tensor, size, precision));
        case VALUES -> new ValuesSection(tensor, readValues(in, tensor, size, precision));
        case MASKED -> readMasked(in, tensor, size, precision);
        case SIGNS -> readSigns(in, tensor, size);
        case TERNARY -> readTernary(in, tensor, size);
        case PATCH -> {
          if (version <= VERSION_WITHOUT_PATCHES) {
            throw new MalformedWireException("patch section for tensor " + tensor + " in a version " + version + " payload");
          }
          yield readPatch(in, tensor, size, precision);
        }
        default -> throw new MalformedWireException("unknown section kind " + kind + " for tensor " + tensor);
      });
    }
    try {
      return new Payload(sections, precision, base);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("payload: " + e.getMessage(), e);
    }
  }

  /**
   * The order {@link Payload} requires, checked as each section's header arrives rather than after
   * all are decoded: ascending tensors, each kind once per tensor, except that a difference may
   * repeat ternary sections (one per round, at most {@link WireLimits#MASK_POSITIONS_PER_PARAMETER}).
   * So the sections a payload can hold are bounded by the expected model.
   */
  private static final class SectionOrder {
    private final boolean difference;
    private int tensor = -1;
    private int kinds;
    private int ternaries;

    SectionOrder(boolean difference) {
      this.difference = difference;
    }

    void next(int nextTensor, int kind) {
      if (nextTensor < tensor) {
        throw new MalformedWireException("section of tensor " + nextTensor + " after tensor " + tensor);
      }
      if (nextTensor > tensor) {
        tensor = nextTensor;
        kinds = 0;
        ternaries = 0;
      }
      boolean repeatable = difference && kind == TERNARY && ++ternaries <= WireLimits.MASK_POSITIONS_PER_PARAMETER;
      if (kind < 32 && (kinds & (1 << kind)) != 0 && !repeatable) {
        throw new MalformedWireException("a second section of kind " + kind + " for tensor " + tensor);
      }
      kinds |= kind < 32 ? 1 << kind : 0;
    }
  }

  private static Values readValues(WireReader in, int tensor, int size, Precision precision) {
    int n = in.readCount("value count of tensor " + tensor, size);
    return in.readFloats(n, precision, "values of tensor " + tensor);
  }

  private static MaskedSection readMasked(WireReader in, int tensor, int size, Precision precision) {
    int length = in.readCount("mask length of tensor " + tensor, size);
    Mask mask = MaskCoder.decode(in, length, "mask of tensor " + tensor);
    return new MaskedSection(tensor, mask, in.readFloats(mask.cardinality(), precision, "kept values of tensor " + tensor));
  }

  private static SignSection readSigns(WireReader in, int tensor, int size) {
    int n = in.readCount("sign count of tensor " + tensor, size);
    float scale = in.readFloats(1, "sign scale of tensor " + tensor).get(0);
    return checked("signs of tensor " + tensor, () -> new SignSection(tensor, readSignBits(in, n, tensor), scale));
  }

  private static TernarySection readTernary(WireReader in, int tensor, int size) {
    int length = in.readCount("mask length of tensor " + tensor, size);
    Mask support = MaskCoder.decode(in, length, "support of tensor " + tensor);
    float magnitude = in.readFloats(1, "ternary magnitude of tensor " + tensor).get(0);
    return checked("ternary tensor " + tensor, () -> new TernarySection(tensor, support, readSignBits(in, support.cardinality(), tensor), magnitude));
  }

  private static PatchSection readPatch(WireReader in, int tensor, int size, Precision precision) {
    int length = in.readCount("mask length of tensor " + tensor, size);
    Mask flips = MaskCoder.decode(in, length, "flips of tensor " + tensor);
    int kept = in.readCount("kept count of tensor " + tensor, length);
    Mask rewritten = MaskCoder.decode(in, kept, "rewritten positions of tensor " + tensor);
    return new PatchSection(tensor, flips, rewritten, in.readFloats(rewritten.cardinality(), precision, "rewritten values of tensor " + tensor));
  }

  private static Mask readSignBits(WireReader in, int n, int tensor) {
    return Mask.fromWords(n, in.readBits(n, "signs of tensor " + tensor));
  }

  /** Builds a section, reporting a validation failure (a NaN scale, say) as malformed input. */
  private static <T extends Section> T checked(String what, java.util.function.Supplier<T> section) {
    try {
      return section.get();
    } catch (IllegalArgumentException e) {
      throw e instanceof MalformedWireException m ? m : new MalformedWireException(what + ": " + e.getMessage(), e);
    }
  }
}
