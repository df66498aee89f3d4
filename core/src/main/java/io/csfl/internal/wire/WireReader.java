package io.csfl.internal.wire;

import io.csfl.codec.MalformedWireException;
import io.csfl.codec.Precision;
import io.csfl.tensor.Values;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link WireWriter} wrote. Every length is checked against the bytes that remain
 * before anything is allocated, so a forged length fails with {@link MalformedWireException}
 * instead of an out-of-bounds read or a huge allocation. What the bytes may announce beyond that
 * (tensor indices, mask lengths) is bounded by the reader's {@link WireLimits}, for the whole
 * message it reads.
 */
public final class WireReader {
  private final byte[] buf;
  private int pos;
  private final int limit;
  private final WireLimits limits;
  /** Mask positions this message may still decode. */
  private long maskPositionsLeft;

  /** A reader of bytes this process wrote ({@link WireLimits#DEFAULT}). */
  public WireReader(byte[] bytes) {
    this(bytes, WireLimits.DEFAULT);
  }

  /** A reader of one message from elsewhere, decoded as far as {@code limits} allow. */
  public WireReader(byte[] bytes, WireLimits limits) {
    this.buf = bytes;
    this.pos = 0;
    this.limit = bytes.length;
    this.limits = java.util.Objects.requireNonNull(limits, "limits");
    this.maskPositionsLeft = limits.maskPositions();
  }

  WireLimits limits() {
    return limits;
  }

  /** Takes {@code positions} from the message's mask budget, before a mask of that length is allocated. */
  void chargeMask(int positions, String what) {
    if (positions > maskPositionsLeft) {
      throw new MalformedWireException(what + ": " + positions + " more mask positions exceed what one message for "
          + limits + " may hold (" + limits.maskPositions() + ")");
    }
    maskPositionsLeft -= positions;
  }

  /** Bytes not yet read. */
  public int remaining() {
    return limit - pos;
  }

  private void need(long bytes, String what) {
    if (bytes < 0 || bytes > remaining()) {
      throw new MalformedWireException(what + " needs " + bytes + " bytes but only " + remaining() + " remain");
    }
  }

  /** One unsigned byte, 0 to 255; {@code what} names it in the error if none remains. */
  public int readByte(String what) {
    need(1, what);
    return buf[pos++] & 0xFF;
  }

  /**
   * A non-negative int written by {@link WireWriter#writeVarInt}; refuses one longer than five
   * bytes or above {@code Integer.MAX_VALUE}.
   */
  public int readVarInt(String what) {
    int result = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      int b = readByte(what);
      result |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        if (result < 0 || (shift == 28 && b > 0x07)) {
          throw new MalformedWireException(what + " is out of range");
        }
        return result;
      }
    }
    throw new MalformedWireException(what + " is longer than a 32-bit varint");
  }

  /** A varint that must lie in [0, max]. */
  public int readCount(String what, int max) {
    int n = readVarInt(what);
    if (n > max) {
      throw new MalformedWireException(what + " is " + n + ", at most " + max + " allowed");
    }
    return n;
  }

  /** Eight bytes as a little-endian long. */
  public long readLong(String what) {
    need(8, what);
    long v = ByteBuffer.wrap(buf, pos, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    pos += 8;
    return v;
  }

  /**
   * A string written by {@link WireWriter#writeString}, whose UTF-8 form may be at most
   * {@code maxBytes} long; invalid UTF-8 is replaced, not refused.
   */
  public String readString(String what, int maxBytes) {
    int n = readCount(what + " length", maxBytes);
    need(n, what);
    String s = new String(buf, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  /** {@code count} values in {@code precision}; rejects NaN and infinities. */
  public Values readFloats(int count, Precision precision, String what) {
    if (precision == Precision.FP32) {
      return readFloats(count, what);
    }
    need(2L * count, what);
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      short h = (short) ((buf[pos] & 0xFF) | (buf[pos + 1] << 8));
      pos += 2;
      out[i] = precision == Precision.FP16 ? Precision.halfToFloat(h) : Precision.bf16ToFloat(h);
    }
    try {
      return Values.copyOf(out);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException(what + ": " + e.getMessage(), e);
    }
  }

  /** A length-prefixed slice of raw bytes, at most {@code max}. */
  public byte[] readBytes(String what, int max) {
    int n = readCount(what + " length", max);
    need(n, what);
    byte[] out = java.util.Arrays.copyOfRange(buf, pos, pos + n);
    pos += n;
    return out;
  }

  /** {@code count} float32 values; rejects NaN and infinities. */
  public Values readFloats(int count, String what) {
    need(4L * count, what);
    FloatBuffer floats = ByteBuffer.wrap(buf, pos, 4 * count).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    pos += 4 * count;
    try {
      return Values.copyOf(floats);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException(what + ": " + e.getMessage(), e);
    }
  }

  /** {@code bitCount} bits written by {@link WireWriter#writeBits}. */
  public long[] readBits(int bitCount, String what) {
    int bytes = (bitCount + 7) >>> 3;
    need(bytes, what);
    long[] words = new long[(bitCount + 63) >>> 6];
    for (int i = 0; i < bytes; i++) {
      words[i >>> 3] |= (buf[pos++] & 0xFFL) << ((i & 7) << 3);
    }
    return words;
  }

  /**
   * Throws MalformedWireException unless every byte has been read: a message must be exactly what
   * its decoder reads.
   */
  public void requireEnd(String what) {
    if (remaining() != 0) {
      throw new MalformedWireException(what + " has " + remaining() + " trailing bytes");
    }
  }
}
