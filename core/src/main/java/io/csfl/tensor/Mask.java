package io.csfl.tensor;

import java.util.Arrays;

/**
 * An immutable binary mask over the positions of one tensor: 1 = kept. Positions are visited in
 * ascending order, which is the canonical order of the values that travel with a mask.
 */
public final class Mask {
  private final int length;
  private final long[] words;
  private final int cardinality;

  private Mask(int length, long[] words) {
    this.length = length;
    this.words = words;
    int c = 0;
    for (long w : words) {
      c += Long.bitCount(w);
    }
    this.cardinality = c;
  }

  /** Validates that no bit beyond {@code length} is set, and copies. */
  public static Mask fromWords(int length, long[] words) {
    if (length < 0) {
      throw new IllegalArgumentException("negative mask length " + length);
    }
    if (words.length != wordCount(length)) {
      throw new IllegalArgumentException("mask of length " + length + " needs " + wordCount(length) + " words, got " + words.length);
    }
    int tail = length & 63;
    if (tail != 0 && (words[words.length - 1] >>> tail) != 0) {
      throw new IllegalArgumentException("mask has bits set beyond its length " + length);
    }
    return new Mask(length, words.clone());
  }

  /** From strictly ascending in-range positions. */
  public static Mask fromPositions(int length, int[] positions) {
    long[] w = new long[wordCount(length)];
    int previous = -1;
    for (int p : positions) {
      if (p <= previous || p >= length) {
        throw new IllegalArgumentException("mask positions must be strictly ascending and below " + length + ", got " + p + " after " + previous);
      }
      w[p >>> 6] |= 1L << p;
      previous = p;
    }
    return new Mask(length, w);
  }

  /** The mask that keeps all {@code length} positions. */
  public static Mask all(int length) {
    if (length < 0) {
      throw new IllegalArgumentException("a mask's length cannot be negative, got " + length);
    }
    long[] w = new long[wordCount(length)];
    Arrays.fill(w, -1L);
    if ((length & 63) != 0) {
      w[w.length - 1] = (1L << length) - 1;
    }
    return new Mask(length, w);
  }

  /** Trusted constructor for freshly built words in this package. */
  static Mask adopt(int length, long[] words) {
    return new Mask(length, words);
  }

  static int wordCount(int length) {
    return (length + 63) >>> 6;
  }

  /** Number of positions the mask covers, kept or not: the size of its tensor. */
  public int length() {
    return length;
  }

  /** Number of kept positions: how many values travel with this mask. */
  public int cardinality() {
    return cardinality;
  }

  /** Fraction of positions kept, in [0, 1]; 0 for an empty mask. */
  public double density() {
    return length == 0 ? 0 : (double) cardinality / length;
  }

  /**
   * Whether {@code position} is kept; throws IndexOutOfBoundsException outside {@code [0, length)}.
   */
  public boolean get(int position) {
    if (position < 0 || position >= length) {
      throw new IndexOutOfBoundsException(position);
    }
    return (words[position >>> 6] & (1L << position)) != 0;
  }

  /** The positions not kept: the complement that CS clients send back. */
  public Mask complement() {
    long[] w = new long[words.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = ~words[i];
    }
    if ((length & 63) != 0) {
      w[w.length - 1] &= (1L << length) - 1;
    }
    return new Mask(length, w);
  }

  /** The positions where this mask and {@code other} differ: what turns one into the other. */
  public Mask xor(Mask other) {
    if (other.length != length) {
      throw new IllegalArgumentException("masks of lengths " + length + " and " + other.length + " cannot be compared");
    }
    long[] w = new long[words.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = words[i] ^ other.words[i];
    }
    return new Mask(length, w);
  }

  /**
   * A copy of the bits, 64 positions per word, position p at bit {@code p % 64} of word
   * {@code p / 64}; the inverse of {@link #fromWords}.
   */
  public long[] toWords() {
    return words.clone();
  }

  long[] rawWords() {
    return words;
  }

  /** The kept positions, ascending. */
  public int[] positions() {
    int[] out = new int[cardinality];
    int k = 0;
    for (int wi = 0; wi < words.length; wi++) {
      long w = words[wi];
      while (w != 0) {
        out[k++] = (wi << 6) + Long.numberOfTrailingZeros(w);
        w &= w - 1;
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Mask m && m.length == length && Arrays.equals(m.words, words);
  }

  @Override
  public int hashCode() {
    return 31 * length + Arrays.hashCode(words);
  }

  @Override
  public String toString() {
    return "Mask(" + cardinality + "/" + length + ")";
  }
}
