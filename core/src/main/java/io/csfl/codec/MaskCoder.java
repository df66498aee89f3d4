package io.csfl.codec;

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

  public static void encode(Mask mask, WireWriter out) {
    int n = mask.length();
    boolean keptAreRarer = mask.cardinality() <= n - mask.cardinality();
    int[] positions = keptAreRarer ? mask.positions() : mask.complement().positions();
    int k = bestK(positions);
    long gapBits = gapBits(positions, k);
    long bitmapBits = 8L * ((n + 7) >>> 3);
    if (bitmapBits <= gapBits + 8L * (2 + 5 + 5)) {
      out.writeByte(BITMAP).writeBits(mask.toWords(), n);
      return;
    }
    BitWriter bits = new BitWriter((int) ((gapBits + 7) >>> 3));
    int previous = -1;
    for (int p : positions) {
      int gap = p - previous - 1;
      bits.writeUnary(gap >>> k);
      bits.writeLow(gap, k);
      previous = p;
    }
    byte[] coded = bits.toByteArray();
    out.writeByte(keptAreRarer ? GAPS_OF_KEPT : GAPS_OF_PRUNED).writeVarInt(positions.length).writeByte(k)
        .writeVarInt(coded.length).writeBytes(coded, 0, coded.length);
  }

  public static Mask decode(WireReader in, int length, String what) {
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
      BitReader bits = new BitReader(in.readBytes(what + " gap code", Integer.MAX_VALUE - 8), what);
      int[] positions = new int[count];
      long position = -1;
      for (int i = 0; i < count; i++) {
        long gap = ((long) bits.readUnary() << k) | bits.readLow(k);
        position += gap + 1;
        if (position >= length) {
          throw new MalformedWireException(what + ": position " + position + " beyond length " + length);
        }
        positions[i] = (int) position;
      }
      Mask rare = Mask.fromPositions(length, positions);
      return coding == GAPS_OF_KEPT ? rare : rare.complement();
    } catch (MalformedWireException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException(what + ": " + e.getMessage(), e);
    }
  }

  /** The Rice parameter that minimises the coded size of these gaps. */
  static int bestK(int[] positions) {
    if (positions.length == 0) {
      return 0;
    }
    long span = positions[positions.length - 1] + 1L;
    double meanGap = (double) (span - positions.length) / positions.length;
    int guess = meanGap < 1 ? 0 : (int) Math.floor(Math.log(meanGap * Math.log(2)) / Math.log(2)) + 1;
    int best = Math.max(0, Math.min(MAX_K, guess));
    long bestBits = gapBits(positions, best);
    for (int k = Math.max(0, best - 2); k <= Math.min(MAX_K, best + 2); k++) {
      long b = gapBits(positions, k);
      if (b < bestBits) {
        bestBits = b;
        best = k;
      }
    }
    return best;
  }

  static long gapBits(int[] positions, int k) {
    long bits = 0;
    int previous = -1;
    for (int p : positions) {
      bits += ((p - previous - 1) >>> k) + 1 + k;
      previous = p;
    }
    return bits;
  }

  private static final class BitWriter {
    private byte[] buf;
    private long bit;

    BitWriter(int bytes) {
      buf = new byte[Math.max(1, bytes)];
    }

    private void put(int b) {
      int index = (int) (bit >>> 3);
      if (index >= buf.length) {
        buf = java.util.Arrays.copyOf(buf, 2 * buf.length);
      }
      if (b != 0) {
        buf[index] |= (byte) (0x80 >>> (bit & 7));
      }
      bit++;
    }

    void writeUnary(int ones) {
      for (int i = 0; i < ones; i++) {
        put(1);
      }
      put(0);
    }

    void writeLow(int value, int k) {
      for (int i = k - 1; i >= 0; i--) {
        put((value >>> i) & 1);
      }
    }

    byte[] toByteArray() {
      return java.util.Arrays.copyOf(buf, (int) ((bit + 7) >>> 3));
    }
  }

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

    private int get() {
      if (bit >= limit) {
        throw new MalformedWireException(what + ": gap code ends early");
      }
      int b = (buf[(int) (bit >>> 3)] >>> (7 - (bit & 7))) & 1;
      bit++;
      return b;
    }

    long readUnary() {
      long ones = 0;
      while (get() == 1) {
        ones++;
      }
      return ones;
    }

    long readLow(int k) {
      long v = 0;
      for (int i = 0; i < k; i++) {
        v = (v << 1) | get();
      }
      return v;
    }
  }
}
