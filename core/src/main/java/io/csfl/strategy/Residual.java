package io.csfl.strategy;

import io.csfl.tensor.ModelSpec;

/**
 * An error-feedback residual, one per client: what the client's compressed updates have not said
 * yet. A node hosts thousands of clients, most of them idle, so a residual takes no memory until
 * a tensor's first update, and between rounds each tensor is kept packed: a bitmap of the
 * positions whose value is not {@code +0.0f} and those values in order, or the plain array when
 * packing would not save space. {@link #expand} gives back exactly the floats {@link #store} was
 * given (signed zeros included), and a tensor never stored expands to the zeros a fresh array
 * holds, so packing changes no result.
 */
final class Residual {
  private static volatile boolean packing = true;
  private final int[] sizes;
  /** Per tensor: null (all zero), a {@code float[]} (dense) or a {@link Packed}. */
  private final Object[] tensors;

  private record Packed(long[] present, float[] values) {}

  Residual(ModelSpec spec) {
    sizes = new int[spec.tensorCount()];
    for (int t = 0; t < sizes.length; t++) {
      sizes[t] = spec.tensor(t).size();
    }
    tensors = new Object[sizes.length];
  }

  /** Tensor {@code t}'s residual in a fresh array the caller may change and {@link #store} again. */
  float[] expand(int t) {
    float[] out = new float[sizes[t]];
    Object held = tensors[t];
    if (held instanceof float[] dense) {
      System.arraycopy(dense, 0, out, 0, out.length);
    } else if (held instanceof Packed packed) {
      long[] present = packed.present();
      float[] values = packed.values();
      int j = 0;
      for (int w = 0; w < present.length; w++) {
        for (long bits = present[w]; bits != 0; bits &= bits - 1) {
          out[(w << 6) + Long.numberOfTrailingZeros(bits)] = values[j++];
        }
      }
    }
    return out;
  }

  /**
   * Keeps {@code values} (as long as tensor {@code t}) as tensor {@code t}'s residual, packed when
   * that is smaller; takes ownership of the array.
   */
  void store(int t, float[] values) {
    if (values.length != sizes[t]) {
      throw new IllegalArgumentException("residual of tensor " + t + " has " + sizes[t] + " values, got " + values.length);
    }
    if (!packing) {
      tensors[t] = values;
      return;
    }
    long[] present = new long[(values.length + 63) >>> 6];
    int count = 0;
    for (int i = 0; i < values.length; i++) {
      if (Float.floatToRawIntBits(values[i]) != 0) {
        present[i >>> 6] |= 1L << i;
        count++;
      }
    }
    if (count == 0) {
      tensors[t] = null;
    } else if (4L * count + 8L * present.length >= 4L * values.length) {
      tensors[t] = values;
    } else {
      float[] packed = new float[count];
      int j = 0;
      for (int i = 0; i < values.length; i++) {
        if (Float.floatToRawIntBits(values[i]) != 0) {
          packed[j++] = values[i];
        }
      }
      tensors[t] = new Packed(present, packed);
    }
  }

  /**
   * With {@code false}, every stored tensor stays a plain array, as residuals were kept before
   * they were packed: the reference against which tests check that packing changes no result.
   */
  static void packing(boolean on) {
    packing = on;
  }

  /** The bytes this residual's values and bitmaps take, for tests and measurements. */
  long bytes() {
    long total = 0;
    for (Object held : tensors) {
      if (held instanceof float[] dense) {
        total += 4L * dense.length;
      } else if (held instanceof Packed packed) {
        total += 8L * packed.present().length + 4L * packed.values().length;
      }
    }
    return total;
  }
}
