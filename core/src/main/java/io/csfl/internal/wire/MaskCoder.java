package io.csfl.internal.wire;

import io.csfl.codec.MalformedWireException;
import io.csfl.tensor.Mask;


/**
 * Codes a mask as a bitmap or as Golomb-Rice coded gaps between the positions of its rarer
 * symbol, whichever is smaller. A bitmap costs 1 bit per position, which is the entropy of a
 * density-0.5 mask; for a mask of density d far from 0.5 the gap code approaches n * H(d) bits.
 *
 * <pre>
 * coding:u8   0 = bitmap: ceil(n / 8) bytes
 *             1 = gaps between kept positions, 2 = gaps between pruned positions:
 *                 count:varint k:u8 byteLength:varint bits[byteLength]
 *                 each gap g (positions skipped since the last one) as (g >> k) ones, a zero,
 *                 then the low k bits of g, most significant first
 * </pre>
 */
public final class MaskCoder {
  private static final int BITMAP = 0;
  private static final int GAPS_OF_KEPT = 1;
  private static final int GAPS_OF_PRUNED = 2;
  private static final int MAX_K = 30;

  private MaskCoder() {}

  /** At or above this density of the rarer symbol a gap code cannot beat a bitmap (H(0.45) > 0.99). */
  private static final double BITMAP_DENSITY = 0.45;

  /**
   * Appends {@code mask} to {@code out} in the smaller coding, counting the gap code's header at
   * its largest (ties go to the bitmap). The length is not written: the caller writes it, and the
   * decoder must be given it.
   */
  public static void encode(Mask mask, WireWriter out) {
    int n = mask.length();
    boolean keptAreRarer = mask.cardinality() <= n - mask.cardinality();
    int rare = Math.min(mask.cardinality(), n - mask.cardinality());
    if (n > 0 && (double) rare / n >= BITMAP_DENSITY) {
      out.writeByte(BITMAP).writeBits(mask.toWords(), n);
      return;
    }
    long[] rareWords = (keptAreRarer ? mask : mask.complement()).toWords();
    // One pass codes the gaps with the Rice parameter estimated from the mean gap while costing
    // the four parameters around it; a second pass runs only when one of those is smaller.
    int guess = estimateK(rareWords, rare);
    int from = Math.max(0, guess - 2);
    long[] quotients = new long[CANDIDATES];
    BitWriter bits = writeGaps(rareWords, rare, guess, quotients, from);
    int k = guess;
    long codedBits = quotients[guess - from] + (long) (guess + 1) * rare;
    for (int c = from; c < from + CANDIDATES && c <= MAX_K; c++) {
      long cost = quotients[c - from] + (long) (c + 1) * rare;
      if (cost < codedBits) {
        k = c;
        codedBits = cost;
      }
    }
    long bitmapBits = 8L * ((n + 7) >>> 3);
    if (bitmapBits <= codedBits + 8L * (2 + 5 + 5)) {
      out.writeByte(BITMAP).writeBits(mask.toWords(), n);
      return;
    }
    if (k != guess) {
      bits = writeGaps(rareWords, rare, k, null, 0);
    }
    byte[] coded = bits.toByteArray();
    out.writeByte(keptAreRarer ? GAPS_OF_KEPT : GAPS_OF_PRUNED).writeVarInt(rare).writeByte(k)
        .writeVarInt(coded.length).writeBytes(coded, 0, coded.length);
  }

  /** Rice parameters costed around the estimate. */
  private static final int CANDIDATES = 5;

  /**
   * The Rice code with parameter {@code k} of the gaps between the {@code count} set bits of
   * {@code words}. With {@code quotients}, also adds up each gap's quotient for the parameters
   * {@code from .. from + CANDIDATES - 1}, so their coded sizes are known after this one pass.
   */
  private static BitWriter writeGaps(long[] words, int count, int k, long[] quotients, int from) {
    long totalGaps = count == 0 ? 0 : lastSetBit(words) + 1L - count;
    // The sum of the quotients is at most the sum of the gaps shifted right by k.
    BitWriter bits = new BitWriter((int) Math.min(Integer.MAX_VALUE - 64, ((totalGaps >>> k) + (long) (k + 1) * count + 7) >>> 3));
    long lowMask = (1L << k) - 1;
    long q0 = 0;
    long q1 = 0;
    long q2 = 0;
    long q3 = 0;
    long q4 = 0;
    int previous = -1;
    for (int wi = 0; wi < words.length; wi++) {
      for (long w = words[wi]; w != 0; w &= w - 1) {
        int p = (wi << 6) + Long.numberOfTrailingZeros(w);
        int gap = p - previous - 1;
        previous = p;
        int quotient = gap >>> k;
        if (quotient + 1 + k <= 56) {
          // Ones, a zero, then the low bits: one put for the whole code word.
          bits.put(((((1L << quotient) - 1) << 1) << k) | (gap & lowMask), quotient + 1 + k);
        } else {
          bits.writeUnary(quotient);
          bits.writeLow(gap, k);
        }
        int g = gap >>> from;
        q0 += g;
        q1 += g >>> 1;
        q2 += g >>> 2;
        q3 += g >>> 3;
        q4 += g >>> 4;
      }
    }
    if (quotients != null) {
      quotients[0] = q0;
      quotients[1] = q1;
      quotients[2] = q2;
      quotients[3] = q3;
      quotients[4] = q4;
    }
    return bits;
  }

  /** The Rice parameter for geometric gaps of the observed mean: about log2 of the mean gap times ln 2. */
  private static int estimateK(long[] words, int count) {
    if (count == 0) {
      return 0;
    }
    double meanGap = (double) (lastSetBit(words) + 1 - count) / count;
    int guess = meanGap < 1 ? 0 : (int) Math.floor(Math.log(meanGap * Math.log(2)) / Math.log(2)) + 1;
    return Math.max(0, Math.min(MAX_K, guess));
  }

  /**
   * A mask of {@code length} positions. The length is taken from the reader's mask budget before
   * anything is allocated, and a gap count is refused at once when the bytes that remain cannot
   * hold that many gaps (each takes at least k + 1 bits).
   */
  public static Mask decode(WireReader in, int length, String what) {
    in.chargeMask(length, what);
    int coding = in.readByte(what + " coding");
    try {
      if (coding == BITMAP) {
        return Mask.fromWords(length, in.readBits(length, what));
      }
      if (coding != GAPS_OF_KEPT && coding != GAPS_OF_PRUNED) {
        throw new MalformedWireException("unknown mask coding " + coding + " for " + what);
      }
      int count = in.readCount(what + " position count", length);
      int k = in.readByte(what + " rice parameter");
      if (k > MAX_K) {
        throw new MalformedWireException(what + ": rice parameter " + k + " above " + MAX_K);
      }
      requireRoom(count, k, in.remaining(), what);
      byte[] code = in.readBytes(what + " gap code", in.remaining());
      requireRoom(count, k, code.length, what);
      BitReader bits = new BitReader(code, what);
      // The rarer symbol's positions are set (kept) or cleared (pruned) in place: no complement copy.
      boolean kept = coding == GAPS_OF_KEPT;
      long[] words = new long[(length + 63) >>> 6];
      if (!kept) {
        java.util.Arrays.fill(words, -1L);
        if ((length & 63) != 0) {
          words[words.length - 1] = (1L << length) - 1;
        }
      }
      long position = -1;
      for (int i = 0; i < count; i++) {
        long gap = bits.readGap(k);
        position += gap + 1;
        if (position >= length) {
          throw new MalformedWireException(what + ": position " + position + " beyond length " + length);
        }
        words[(int) (position >>> 6)] ^= 1L << position;
      }
      return Mask.fromWords(length, words);
    } catch (MalformedWireException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException(what + ": " + e.getMessage(), e);
    }
  }

  private static void requireRoom(int count, int k, int bytes, String what) {
    if ((long) count * (k + 1) > 8L * bytes) {
      throw new MalformedWireException(what + ": " + count + " gaps of at least " + (k + 1) + " bits each do not fit in "
          + bytes + " bytes");
    }
  }

  private static int lastSetBit(long[] words) {
    for (int wi = words.length - 1; wi >= 0; wi--) {
      if (words[wi] != 0) {
        return (wi << 6) + 63 - Long.numberOfLeadingZeros(words[wi]);
      }
    }
    return -1;
  }

  /**
   * Most significant bit first, through a 64-bit accumulator that is stored a whole word at a
   * time: a code word of a dense mask is only a few bits, so per-byte stores would dominate.
   */
  private static final class BitWriter {
    private byte[] buf;
    private int size;
    /** The last {@code pending} bits written, right-aligned; fewer than 64. */
    private long acc;
    private int pending;

    BitWriter(int bytes) {
      buf = new byte[Math.max(16, bytes + 16)];
    }

    /** The low {@code count} (at most 56) bits of {@code bits}. */
    void put(long bits, int count) {
      bits &= (1L << count) - 1;
      int total = pending + count;
      if (total < 64) {
        acc = (acc << count) | bits;
        pending = total;
        return;
      }
      int over = total - 64;
      if (size + 8 > buf.length) {
        buf = java.util.Arrays.copyOf(buf, 2 * buf.length);
      }
      // pending > 0 here (count <= 56), so the shift is below 64.
      LONG_BE.set(buf, size, (acc << (count - over)) | (bits >>> over));
      size += 8;
      acc = bits;
      pending = over;
    }

    void writeUnary(int ones) {
      while (ones > 55) {
        put(-1L, 55);
        ones -= 55;
      }
      put(((1L << ones) - 1) << 1, ones + 1);
    }

    void writeLow(int value, int k) {
      if (k > 0) {
        put(value, k);
      }
    }

    byte[] toByteArray() {
      int tail = (pending + 7) >>> 3;
      byte[] out = java.util.Arrays.copyOf(buf, size + tail);
      long left = pending == 0 ? 0 : acc << (64 - pending);
      for (int i = 0; i < tail; i++) {
        out[size + i] = (byte) (left >>> (56 - 8 * i));
      }
      return out;
    }
  }

  private static final java.lang.invoke.VarHandle LONG_BE =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);

  /** Reads what {@link BitWriter} wrote, 64 bits at a time; never past the end. */
  private static final class BitReader {
    private final byte[] buf;
    private final long limit;
    private final String what;
    private long bit;

    BitReader(byte[] buf, String what) {
      this.buf = buf;
      this.limit = 8L * buf.length;
      this.what = what;
    }

    /** The 64 bits from the current position, zeros past the end. */
    private long window() {
      int at = (int) (bit >>> 3);
      int shift = (int) (bit & 7);
      long w = 0;
      if (at + 9 <= buf.length) {
        w = (long) LONG_BE.get(buf, at);
        return shift == 0 ? w : (w << shift) | ((buf[at + 8] & 0xFFL) >>> (8 - shift));
      }
      for (int i = 0; i < 9; i++) {
        long b = at + i < buf.length ? buf[at + i] & 0xFFL : 0;
        w = i < 8 ? (w << 8) | b : w;
        if (i == 8 && shift > 0) {
          w = (w << shift) | (b >>> (8 - shift));
        }
      }
      return w;
    }

    private void advance(long bits) {
      bit += bits;
      if (bit > limit) {
        throw new MalformedWireException(what + ": gap code ends early");
      }
    }

    /** One gap: its unary quotient and k low bits, from a single 64-bit window when they fit. */
    long readGap(int k) {
      long w = window();
      int lead = Long.numberOfLeadingZeros(~w);
      if (lead + 1 + k <= 64) {
        advance(lead + 1L + k);
        return ((long) lead << k) | (k == 0 ? 0 : (w << (lead + 1)) >>> (64 - k));
      }
      return (readUnary() << k) | readLow(k);
    }

    long readUnary() {
      long ones = 0;
      while (true) {
        int lead = Long.numberOfLeadingZeros(~window());
        if (lead < 64) {
          advance(lead + 1L);
          return ones + lead;
        }
        advance(64);
        ones += 64;
      }
    }

    long readLow(int k) {
      if (k == 0) {
        return 0;
      }
      long v = window() >>> (64 - k);
      advance(k);
      return v;
    }
  }
}
