package io.csfl.codec;

import io.csfl.tensor.Mask;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a {@link Payload}, version 1:
 *
 * <pre>
 * version:u8  sectionCount:varint  section*
 * section  = kind:u8 tensor:varint body
 * DENSE    : count:varint  float32[count]
 * MASKED   : length:varint maskCoding:u8 mask  float32[cardinality(mask)]
 * VALUES   : count:varint  float32[count]
 * mask (maskCoding 0, bitmap): ceil(length / 8) bytes, bit i of byte i/8 = position i
 * </pre>
 *
 * Floats are little-endian IEEE 754. Decoding never trusts a length: see {@link WireReader}.
 */
public final class PayloadCodec {
  public static final int VERSION = 1;
  /** No tensor may claim more values than this (1 GiB of float32), whatever the bytes say. */
  public static final int MAX_TENSOR_VALUES = 1 << 28;
  public static final int MAX_SECTIONS = 1 << 16;

  private static final int DENSE = 1;
  private static final int MASKED = 2;
  private static final int VALUES = 3;
  private static final int BITMAP = 0;

  private PayloadCodec() {}

  public static void encode(Payload payload, WireWriter out) {
    out.writeByte(VERSION);
    out.writeVarInt(payload.sections().size());
    for (Section s : payload.sections()) {
      if (s instanceof DenseSection d) {
        out.writeByte(DENSE).writeVarInt(d.tensor()).writeVarInt(d.values().length());
        out.writeFloats(d.values());
      } else if (s instanceof MaskedSection m) {
        out.writeByte(MASKED).writeVarInt(m.tensor()).writeVarInt(m.mask().length()).writeByte(BITMAP);
        out.writeBits(m.mask().toWords(), m.mask().length());
        out.writeFloats(m.values());
      } else if (s instanceof ValuesSection v) {
        out.writeByte(VALUES).writeVarInt(v.tensor()).writeVarInt(v.values().length());
        out.writeFloats(v.values());
      }
    }
  }

  public static Payload decode(WireReader in) {
    int version = in.readByte("payload version");
    if (version != VERSION) {
      throw new MalformedWireException("unsupported payload version " + version + " (this build reads " + VERSION + ")");
    }
    int count = in.readCount("section count", MAX_SECTIONS);
    List<Section> sections = new ArrayList<>(Math.min(count, 64));
    for (int i = 0; i < count; i++) {
      int kind = in.readByte("section kind");
      int tensor = in.readCount("tensor index", MAX_SECTIONS);
      sections.add(switch (kind) {
        case DENSE -> new DenseSection(tensor, readValues(in, tensor));
        case VALUES -> new ValuesSection(tensor, readValues(in, tensor));
        case MASKED -> readMasked(in, tensor);
        default -> throw new MalformedWireException("unknown section kind " + kind + " for tensor " + tensor);
      });
    }
    try {
      return new Payload(sections);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("payload: " + e.getMessage(), e);
    }
  }

  private static Values readValues(WireReader in, int tensor) {
    int n = in.readCount("value count of tensor " + tensor, MAX_TENSOR_VALUES);
    return in.readFloats(n, "values of tensor " + tensor);
  }

  private static MaskedSection readMasked(WireReader in, int tensor) {
    int length = in.readCount("mask length of tensor " + tensor, MAX_TENSOR_VALUES);
    int coding = in.readByte("mask coding");
    if (coding != BITMAP) {
      throw new MalformedWireException("unknown mask coding " + coding + " for tensor " + tensor);
    }
    Mask mask;
    try {
      mask = Mask.fromWords(length, in.readBits(length, "mask of tensor " + tensor));
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("mask of tensor " + tensor + ": " + e.getMessage(), e);
    }
    return new MaskedSection(tensor, mask, in.readFloats(mask.cardinality(), "kept values of tensor " + tensor));
  }
}
