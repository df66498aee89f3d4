package io.csfl.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The contents of a safetensors file: named tensors in order, each a dtype, a shape and its raw
 * little-endian bytes, plus a string-to-string metadata map. Immutable; every tensor is checked
 * on the way in, so its byte length always matches its shape.
 */
public final class TensorFile {
  /** The element types CSFL writes; the reader refuses others by name. */
  public enum DType {
    /** Little-endian IEEE 754 single precision, 4 bytes: model weights and residuals. */
    F32(4), /** Unsigned bytes: masks and encoded updates. */ U8(1);

    private final int bytes;

    DType(int bytes) {
      this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
      return bytes;
    }
  }

  /** One tensor; {@code data} holds {@code product(shape) * dtype.bytes()} bytes. */
  public static final class Tensor {
    private final DType dtype;
    private final long[] shape;
    private final byte[] data;

    private Tensor(DType dtype, long[] shape, byte[] data) {
      this.dtype = dtype;
      this.shape = shape;
      this.data = data;
    }

    static Tensor of(String name, DType dtype, long[] shape, byte[] data) {
      Objects.requireNonNull(dtype, "dtype");
      long elements = elements(name, shape);
      if (elements * dtype.bytes() != data.length) {
        throw new IllegalArgumentException("tensor " + name + " of shape " + Arrays.toString(shape) + " and dtype " + dtype
            + " needs " + elements * dtype.bytes() + " bytes, has " + data.length);
      }
      return new Tensor(dtype, shape.clone(), data);
    }

    /** The element type. */
    public DType dtype() {
      return dtype;
    }

    /** A copy of the dimensions, outermost first; a one-dimensional tensor has one. */
    public long[] shape() {
      return shape.clone();
    }

    /**
     * Size of the raw data in bytes: the product of the shape times the dtype's
     * {@link DType#bytes()}.
     */
    public int byteLength() {
      return data.length;
    }

    byte[] data() {
      return data;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Tensor t && t.dtype == dtype && Arrays.equals(t.shape, shape) && Arrays.equals(t.data, data);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }
  }

  /** The number of elements of {@code shape}, or an exception when a dimension is negative or the product overflows. */
  static long elements(String name, long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("tensor " + name + " has a negative dimension: " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
      if (n > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("tensor " + name + " is larger than a Java array: " + Arrays.toString(shape));
      }
    }
    return n;
  }

  /** The file with no tensors and no metadata, the start of every {@code with...} chain. */
  public static final TensorFile EMPTY = new TensorFile(Map.of(), Map.of());

  private final Map<String, Tensor> tensors;
  private final Map<String, String> metadata;

  private TensorFile(Map<String, Tensor> tensors, Map<String, String> metadata) {
    this.tensors = Collections.unmodifiableMap(tensors);
    this.metadata = Collections.unmodifiableMap(metadata);
  }

  /** The tensors in file order. */
  public Map<String, Tensor> tensors() {
    return tensors;
  }

  /**
   * The string metadata, unmodifiable, in insertion order (the safetensors {@code "__metadata__"}).
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The metadata value of {@code key}, or empty if it has none. */
  public Optional<String> meta(String key) {
    return Optional.ofNullable(metadata.get(key));
  }

  /** A copy with {@code name} set to fp32 values of {@code shape}. */
  public TensorFile withF32(String name, long[] shape, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return with(name, Tensor.of(name, DType.F32, shape, b.array()));
  }

  /** A copy with {@code name} set to a one-dimensional byte tensor (a copy of {@code bytes}). */
  public TensorFile withBytes(String name, byte[] bytes) {
    return with(name, Tensor.of(name, DType.U8, new long[] {bytes.length}, bytes.clone()));
  }

  /** A copy with the metadata {@code key} set to {@code value}. */
  public TensorFile withMeta(String key, String value) {
    Map<String, String> m = new LinkedHashMap<>(metadata);
    m.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new TensorFile(tensors, m);
  }

  /** A copy without the metadata {@code key}. */
  public TensorFile withoutMeta(String key) {
    if (!metadata.containsKey(key)) {
      return this;
    }
    Map<String, String> m = new LinkedHashMap<>(metadata);
    m.remove(key);
    return new TensorFile(tensors, m);
  }

  /** A copy holding this file's tensors and metadata and then {@code other}'s, each name prefixed with {@code prefix}. */
  public TensorFile withAll(String prefix, TensorFile other) {
    Map<String, Tensor> t = new LinkedHashMap<>(tensors);
    other.tensors.forEach((name, tensor) -> put(t, prefix + name, tensor));
    Map<String, String> m = new LinkedHashMap<>(metadata);
    other.metadata.forEach((k, v) -> m.put(prefix + k, v));
    return new TensorFile(t, m);
  }

  /** The tensors and metadata whose names start with {@code prefix}, with the prefix taken off. */
  public TensorFile under(String prefix) {
    Map<String, Tensor> t = new LinkedHashMap<>();
    tensors.forEach((name, tensor) -> {
      if (name.startsWith(prefix)) {
        t.put(name.substring(prefix.length()), tensor);
      }
    });
    Map<String, String> m = new LinkedHashMap<>();
    metadata.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        m.put(k.substring(prefix.length()), v);
      }
    });
    return new TensorFile(t, m);
  }

  /** A copy without the tensors whose names {@code drop} accepts; the metadata stays. */
  public TensorFile without(java.util.function.Predicate<String> drop) {
    Map<String, Tensor> t = new LinkedHashMap<>(tensors);
    t.keySet().removeIf(drop);
    return t.size() == tensors.size() ? this : new TensorFile(t, metadata);
  }

  /** The values of fp32 tensor {@code name} with {@code expected} elements. */
  public float[] f32(String name, int expected) {
    Tensor t = require(name, DType.F32);
    if (t.data.length != (long) expected * 4) {
      throw new IllegalArgumentException("tensor " + name + " has " + t.data.length / 4 + " values, expected " + expected);
    }
    float[] out = new float[expected];
    ByteBuffer.wrap(t.data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /** The bytes of byte tensor {@code name}. */
  public byte[] bytes(String name) {
    return require(name, DType.U8).data.clone();
  }

  private Tensor require(String name, DType dtype) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no tensor " + name + " (has " + List.copyOf(tensors.keySet()) + ")");
    }
    if (t.dtype != dtype) {
      throw new IllegalArgumentException("tensor " + name + " is " + t.dtype + ", expected " + dtype);
    }
    return t;
  }

  private TensorFile with(String name, Tensor tensor) {
    Map<String, Tensor> t = new LinkedHashMap<>(tensors);
    put(t, name, tensor);
    return new TensorFile(t, metadata);
  }

  private static void put(Map<String, Tensor> tensors, String name, Tensor tensor) {
    if (name.isEmpty() || name.equals(SafeTensors.METADATA_KEY)) {
      throw new IllegalArgumentException("'" + name + "' cannot name a tensor");
    }
    tensors.put(name, tensor);
  }

  /** Equal when the same tensors (in the same order) and metadata. */
  @Override
  public boolean equals(Object o) {
    return o instanceof TensorFile f && List.copyOf(f.tensors.entrySet()).equals(List.copyOf(tensors.entrySet()))
        && f.metadata.equals(metadata);
  }

  @Override
  public int hashCode() {
    return 31 * tensors.hashCode() + metadata.hashCode();
  }

  @Override
  public String toString() {
    return "TensorFile(" + tensors.keySet() + ", metadata " + metadata.keySet() + ")";
  }

  static TensorFile of(Map<String, Tensor> tensors, Map<String, String> metadata) {
    return new TensorFile(new LinkedHashMap<>(tensors), new LinkedHashMap<>(metadata));
  }
}
