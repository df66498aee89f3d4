package io.csfl.internal.wire;

import io.csfl.codec.Precision;
import io.csfl.tensor.Values;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/** Appends primitives in the little-endian wire format that {@link WireReader} reads. */
public final class WireWriter {
  /** The most bytes any writer holds: the largest byte array a JVM reliably allocates. */
  public static final int MAX_SIZE = Integer.MAX_VALUE - 8;

  private final int maxSize;
  private byte[] buf;
  private int size;

  /**
   * An empty writer whose buffer starts at {@code initialCapacity} bytes (at least 16) and grows as
   * needed, up to {@link #MAX_SIZE}.
   */
  public WireWriter(int initialCapacity) {
    this(initialCapacity, MAX_SIZE);
  }

  /**
   * An empty writer that holds at most {@code maxSize} bytes: a write that would pass it fails
   * with {@link IllegalStateException} and leaves what was written, and the buffer never grows
   * past it, so a writer whose output has a known bound (a frame, a file format's limit) does not
   * double its buffer to twice what it may produce.
   */
  public WireWriter(int initialCapacity, int maxSize) {
    if (maxSize < 1 || maxSize > MAX_SIZE) {
      throw new IllegalArgumentException("max size must be in 1.." + MAX_SIZE + ", got " + maxSize);
    }
    this.maxSize = maxSize;
    buf = new byte[Math.min(maxSize, Math.max(16, initialCapacity))];
  }

  /** Room for {@code extra} more bytes: the buffer at least doubles, but never past {@link #maxSize}. */
  private void ensure(long extra) {
    if (extra < 0) {
      throw new IllegalArgumentException("negative length: " + extra);
    }
    long needed = size + extra;
    if (needed > buf.length) {
      if (needed > maxSize) {
        throw new IllegalStateException("message larger than " + maxSize + " bytes: " + size + " written, " + extra + " more");
      }
      buf = Arrays.copyOf(buf, (int) Math.min(maxSize, Math.max(needed, 2L * buf.length)));
    }
  }

  /**
   * The largest scratch buffer a thread keeps between {@link #written} calls: enough for the
   * messages of a model of a few million parameters, and at most this much held per thread that
   * serializes.
   */
  static final int SCRATCH_KEPT = 8 << 20;

  /** Each thread's scratch writer, or null while a {@link #written} call of that thread holds it. */
  private static final ThreadLocal<WireWriter[]> SCRATCH = ThreadLocal.withInitial(() -> new WireWriter[1]);

  /**
   * The bytes {@code body} writes, as one array of exactly their length. They are written into this
   * thread's scratch buffer, which is kept for the next call, and copied out once: a message is not
   * written into a buffer that doubles from a small start, with a copy at each doubling, which for
   * a model of a few megabytes costs more than the encoding. A buffer that grew past
   * {@link #SCRATCH_KEPT} is dropped afterwards. A nested call (from inside {@code body}) writes
   * into a writer of its own.
   */
  public static byte[] written(Consumer<WireWriter> body) {
    WireWriter[] slot = SCRATCH.get();
    WireWriter out = slot[0];
    slot[0] = null;
    if (out == null) {
      out = new WireWriter(4096);
    }
    try {
      body.accept(out);
      return out.toByteArray();
    } finally {
      if (out.buf.length <= SCRATCH_KEPT) {
        out.size = 0;
        slot[0] = out;
      }
    }
  }

  /** The buffer's length, for tests of its growth. */
  int capacity() {
    return buf.length;
  }

  /** The low eight bits of {@code b}. */
  public WireWriter writeByte(int b) {
    ensure(1);
    buf[size++] = (byte) b;
    return this;
  }

  /** Unsigned LEB128. */
  public WireWriter writeVarInt(int value) {
    if (value < 0) {
      throw new IllegalArgumentException("varint must be non-negative: " + value);
    }
    ensure(5);
    while ((value & ~0x7F) != 0) {
      buf[size++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf[size++] = (byte) value;
    return this;
  }

  /** Eight bytes, little-endian. */
  public WireWriter writeLong(long value) {
    ensure(8);
    ByteBuffer.wrap(buf, size, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
    size += 8;
    return this;
  }

  /** The UTF-8 bytes of {@code s}, after their count as a varint. */
  public WireWriter writeString(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeVarInt(b.length);
    return writeBytes(b, 0, b.length);
  }

  /** The {@code length} bytes of {@code b} from {@code from}, without a length prefix. */
  public WireWriter writeBytes(byte[] b, int from, int length) {
    ensure(length);
    System.arraycopy(b, from, buf, size, length);
    size += length;
    return this;
  }

  /** The values in {@code precision}, without a length prefix. */
  public WireWriter writeFloats(Values values, Precision precision) {
    if (precision == Precision.FP32) {
      return writeFloats(values);
    }
    int n = values.length();
    ensure(2L * n);
    for (int i = 0; i < n; i++) {
      float v = values.get(i);
      short h = precision == Precision.FP16 ? Precision.floatToHalf(precision.clamp(v)) : Precision.floatToBf16(v);
      buf[size++] = (byte) h;
      buf[size++] = (byte) (h >>> 8);
    }
    return this;
  }

  /** The values as float32, without a length prefix. */
  public WireWriter writeFloats(Values values) {
    int n = values.length();
    ensure(4L * n);
    FloatBuffer out = ByteBuffer.wrap(buf, size, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    out.put(values.asReadOnlyBuffer());
    size += 4 * n;
    return this;
  }

  /** The low {@code bitCount} bits of {@code words}, as ceil(bitCount / 8) bytes. */
  public WireWriter writeBits(long[] words, int bitCount) {
    if (bitCount < 0) {
      throw new IllegalArgumentException("negative bit count: " + bitCount);
    }
    int bytes = (int) ((bitCount + 7L) >>> 3);
    ensure(bytes);
    for (int i = 0; i < bytes; i++) {
      buf[size++] = (byte) (words[i >>> 3] >>> ((i & 7) << 3));
    }
    return this;
  }

  /** Bytes written so far. */
  public int size() {
    return size;
  }

  /** A copy of the bytes written so far; the writer may go on writing. */
  public byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }
}
