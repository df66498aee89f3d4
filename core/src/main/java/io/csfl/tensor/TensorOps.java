package io.csfl.tensor;

/**
 * Numeric operations between immutable tensors, masks and a {@link ModelBuffer} that the caller
 * owns. Masked values are always in ascending position order.
 */
public final class TensorOps {
  private TensorOps() {}

  /** {@code target[p] += scale * values[j]} for the j-th kept position p of {@code mask}. */
  public static void scatterAdd(float[] target, Mask mask, Values values, float scale) {
    requireCount(mask, values);
    float[] v = values.raw();
    long[] words = mask.rawWords();
    int j = 0;
    for (int wi = 0; wi < words.length; wi++) {
      long w = words[wi];
      while (w != 0) {
        target[(wi << 6) + Long.numberOfTrailingZeros(w)] += scale * v[j++];
        w &= w - 1;
      }
    }
  }

  /** {@code target[i] += scale * values[i]}. */
  public static void addScaled(float[] target, Values values, float scale) {
    if (values.length() != target.length) {
      throw new IllegalArgumentException("length " + values.length() + " does not match " + target.length);
    }
    float[] v = values.raw();
    for (int i = 0; i < target.length; i++) {
      target[i] += scale * v[i];
    }
  }

  /** The values of {@code dense} at the kept positions of {@code mask}, ascending. */
  public static Values gather(float[] dense, Mask mask) {
    requireLength(mask, dense.length);
    float[] out = new float[mask.cardinality()];
    long[] words = mask.rawWords();
    int j = 0;
    for (int wi = 0; wi < words.length; wi++) {
      long w = words[wi];
      while (w != 0) {
        out[j++] = dense[(wi << 6) + Long.numberOfTrailingZeros(w)];
        w &= w - 1;
      }
    }
    return Values.adopt(out);
  }

  /** The values of {@code dense} at the kept positions of {@code mask}, ascending. */
  public static Values gather(Values dense, Mask mask) {
    return gather(dense.raw(), mask);
  }

  /** A dense array with {@code values} at the kept positions and zeros elsewhere. */
  public static float[] scatter(Mask mask, Values values) {
    float[] out = new float[mask.length()];
    scatterAdd(out, mask, values, 1f);
    return out;
  }

  /** The positions where {@code values} is not zero. */
  public static Mask nonZeros(Values values) {
    long[] words = new long[Mask.wordCount(values.length())];
    for (int i = 0; i < values.length(); i++) {
      if (values.get(i) != 0f) {
        words[i >>> 6] |= 1L << i;
      }
    }
    return Mask.fromWords(values.length(), words);
  }

  /** Zeroes every position of {@code target} that {@code mask} does not keep. */
  public static void applyMask(float[] target, Mask mask) {
    requireLength(mask, target.length);
    long[] words = mask.rawWords();
    for (int i = 0; i < target.length; i++) {
      if ((words[i >>> 6] & (1L << i)) == 0) {
        target[i] = 0f;
      }
    }
  }

  private static void requireLength(Mask mask, int length) {
    if (mask.length() != length) {
      throw new IllegalArgumentException("a mask of " + mask.length() + " positions for a tensor of " + length + " values");
    }
  }

  private static void requireCount(Mask mask, Values values) {
    if (values.length() != mask.cardinality()) {
      throw new IllegalArgumentException(values.length() + " values for a mask that keeps " + mask.cardinality());
    }
  }
}
