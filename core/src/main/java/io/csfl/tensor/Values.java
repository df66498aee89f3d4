package io.csfl.tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * An immutable vector of finite floats. The factory copies and validates its input, so a
 * {@code Values} never holds a NaN or an infinity and no caller can change it afterwards.
 */
public final class Values {
  private static final Values EMPTY = new Values(new float[0]);
  private final float[] data;

  private Values(float[] data) {
    this.data = data;
  }

  /** Copies {@code source}; rejects NaN and infinite entries, naming the first one found. */
  public static Values copyOf(float[] source) {
    return copyOf(source, 0, source.length);
  }

  /**
   * Copies {@code length} floats of {@code source} from index {@code from}; rejects NaN and
   * infinite entries, and a range that does not lie within {@code source}.
   */
  public static Values copyOf(float[] source, int from, int length) {
    java.util.Objects.checkFromIndexSize(from, length, source.length);
    float[] copy = Arrays.copyOfRange(source, from, from + length);
    requireFinite(copy);
    return new Values(copy);
  }

  /**
   * Copies the floats {@code source} has remaining, and advances it past them; rejects NaN and
   * infinite entries. A decoder reads a little-endian view of its bytes this way, with one copy
   * instead of two (into an array, then into the vector).
   */
  public static Values copyOf(FloatBuffer source) {
    float[] copy = new float[source.remaining()];
    source.get(copy);
    requireFinite(copy);
    return new Values(copy);
  }

  /**
   * As {@link #copyOf(float[])}, for the values of tensor {@code tensor}: a NaN or infinity is
   * refused naming the tensor too, so that a model's caller learns which of its arrays is bad.
   */
  static Values copyOfTensor(String tensor, float[] source) {
    try {
      return copyOf(source);
    } catch (NonFiniteValueException e) {
      // Kept as its own type: the aggregator discards a round whose sums are not finite.
      throw new NonFiniteValueException("tensor " + tensor + ": " + e.getMessage());
    }
  }

  /** The shared vector of length 0. */
  public static Values empty() {
    return EMPTY;
  }

  /** A vector of {@code length} zeros. */
  public static Values zeros(int length) {
    return new Values(new float[length]);
  }

  /**
   * Takes ownership of an array that no one else holds a reference to (a fresh result of a kernel
   * or a decoder); still checks finiteness.
   */
  static Values adopt(float[] fresh) {
    requireFinite(fresh);
    return new Values(fresh);
  }

  private static void requireFinite(float[] a) {
    for (int i = 0; i < a.length; i++) {
      if (!Float.isFinite(a[i])) {
        throw new NonFiniteValueException("value " + i + " is not finite: " + a[i]);
      }
    }
  }

  /** Number of values. */
  public int length() {
    return data.length;
  }

  /**
   * The value at index {@code i}; throws IndexOutOfBoundsException outside {@code [0, length())}.
   */
  public float get(int i) {
    return data[i];
  }

  /** A fresh copy of the values that the caller may change. */
  public float[] toArray() {
    return data.clone();
  }

  /** Copies into {@code target} at {@code offset}. */
  public void copyTo(float[] target, int offset) {
    System.arraycopy(data, 0, target, offset, data.length);
  }

  /** The backing array, for kernels in this package that only read it. */
  float[] raw() {
    return data;
  }

  /** A read-only view for bulk reads (encoders) without a copy. */
  public FloatBuffer asReadOnlyBuffer() {
    return FloatBuffer.wrap(data).asReadOnlyBuffer();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Values v && Arrays.equals(v.data, data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return data.length <= 8 ? Arrays.toString(data) : "Values[" + data.length + "]";
  }
}
