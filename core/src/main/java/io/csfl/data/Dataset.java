package io.csfl.data;

import io.csfl.internal.simd.SimdWarmUp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * Labelled examples whose features are float tensors of one shape: {@code [C, H, W]} for images,
 * {@code [F]} for flat vectors. Clients hold index arrays into a shared dataset, never copies of
 * it, so storage is compact: sources of unsigned bytes (image files) stay bytes and are scaled to
 * [0, 1] as they are read (60,000 Fashion-MNIST images are 47 MB this way, 188 MB as floats);
 * other sources are stored as floats.
 *
 * <p>Each example may belong to a group (the user, writer or device it came from), numbered from
 * 0 with a name each; the {@code natural} partitioner gives every group its own client. Immutable
 * and checked once, at the factory: a dataset that exists is consistent.
 */
public final class Dataset {
  /** Above this many classes a label is taken for a mistake (a float target column, an id). */
  public static final int MAX_CLASSES = 1 << 16;
  /** The SIMD pixel scaling against the scalar one until the JIT has compiled it ({@link SimdWarmUp}). */
  private static final SimdWarmUp SCALE = new SimdWarmUp();

  private final String name;
  private final int[] shape;
  private final int features;
  private final int classes;
  private final byte[] bytes;
  private final float[] floats;
  private final int[] labels;
  private final int[] groups;
  private final List<String> groupNames;
  private volatile String fingerprint;

  private Dataset(String name, int[] shape, int classes, byte[] bytes, float[] floats, int[] labels, int[] groups,
                  List<String> groupNames) {
    this.name = name;
    this.shape = shape;
    this.features = product(shape);
    this.classes = classes;
    this.bytes = bytes;
    this.floats = floats;
    this.labels = labels;
    this.groups = groups;
    this.groupNames = groupNames;
  }

  /** Grey images of {@code rows x cols} unsigned bytes (shape {@code [1, rows, cols]}), as the IDX files hold them. */
  public static Dataset of(String name, int rows, int cols, int classes, byte[] pixels, byte[] labels) {
    int[] l = new int[labels.length];
    for (int i = 0; i < l.length; i++) {
      l[i] = labels[i] & 0xFF;
    }
    return ofBytes(name, new int[] {1, rows, cols}, classes, pixels, l, null, null);
  }

  /**
   * Examples whose features are unsigned bytes, read as value / 255. Copies its arrays.
   *
   * @param groups the group of each example, or null; every group in {@code [0, groupNames.size())}
   *     must have an example
   * @param groupNames one name per group, or null when {@code groups} is null
   * @throws IllegalArgumentException naming the first inconsistency
   */
  public static Dataset ofBytes(String name, int[] shape, int classes, byte[] values, int[] labels, int[] groups,
                                List<String> groupNames) {
    check(name, shape, classes, values.length, labels, groups, groupNames);
    return new Dataset(name, shape.clone(), classes, values.clone(), null, labels.clone(),
        groups == null ? null : groups.clone(), groupNames == null ? null : List.copyOf(groupNames));
  }

  /** As {@link #ofBytes}, without copying {@code values}, which the caller hands over: for loaders of large files. */
  static Dataset adoptBytes(String name, int[] shape, int classes, byte[] values, int[] labels) {
    check(name, shape, classes, values.length, labels, null, null);
    return new Dataset(name, shape.clone(), classes, values, null, labels.clone(), null, null);
  }

  /** Examples whose features are floats, used as they are. Copies its arrays; see {@link #ofBytes}. */
  public static Dataset ofFloats(String name, int[] shape, int classes, float[] values, int[] labels, int[] groups,
                                 List<String> groupNames) {
    check(name, shape, classes, values.length, labels, groups, groupNames);
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new IllegalArgumentException("dataset " + name + ": feature " + (i % product(shape)) + " of example "
            + i / product(shape) + " is " + values[i]);
      }
    }
    return new Dataset(name, shape.clone(), classes, null, values.clone(), labels.clone(),
        groups == null ? null : groups.clone(), groupNames == null ? null : List.copyOf(groupNames));
  }

  /** A builder for examples already in memory, one {@link Builder#add} per example. */
  public static Builder builder(String name, int... shape) {
    return new Builder(name, shape);
  }

  private static void check(String name, int[] shape, int classes, long values, int[] labels, int[] groups,
                            List<String> groupNames) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(labels, "labels");
    checkShape(name, shape);
    if (labels.length == 0) {
      throw new IllegalArgumentException("dataset " + name + " has no examples");
    }
    if (classes < 2 || classes > MAX_CLASSES) {
      throw new IllegalArgumentException("dataset " + name + ": " + classes + (classes == 1 ? " class" : " classes")
          + ", expected 2 to " + MAX_CLASSES);
    }
    if ((long) labels.length * product(shape) != values) {
      throw new IllegalArgumentException("dataset " + name + ": " + values + " feature values for " + labels.length
          + " examples of shape " + Arrays.toString(shape));
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("dataset " + name + ": label " + labels[i] + " of example " + i + " is not in [0, " + classes + ")");
      }
    }
    if ((groups == null) != (groupNames == null)) {
      throw new IllegalArgumentException("dataset " + name + ": groups and group names come together");
    }
    if (groups != null) {
      if (groups.length != labels.length) {
        throw new IllegalArgumentException("dataset " + name + ": " + groups.length + " group ids for " + labels.length + " examples");
      }
      int[] count = new int[groupNames.size()];
      for (int i = 0; i < groups.length; i++) {
        if (groups[i] < 0 || groups[i] >= count.length) {
          throw new IllegalArgumentException("dataset " + name + ": group " + groups[i] + " of example " + i + " is not in [0, " + count.length + ")");
        }
        count[groups[i]]++;
      }
      for (int g = 0; g < count.length; g++) {
        if (count[g] == 0) {
          throw new IllegalArgumentException("dataset " + name + ": group '" + groupNames.get(g) + "' has no examples");
        }
      }
    }
  }

  /** The features of an example of {@code shape}, refused when a dimension is not positive or they are too many for one array. */
  private static int checkShape(String name, int[] shape) {
    if (shape.length == 0 || Arrays.stream(shape).anyMatch(d -> d <= 0) || (long) product(shape) > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException("dataset " + name + ": bad shape " + Arrays.toString(shape));
    }
    return product(shape);
  }

  static int product(int[] shape) {
    long p = 1;
    for (int d : shape) {
      p *= d;
      if (p > Integer.MAX_VALUE) {
        return Integer.MAX_VALUE;
      }
    }
    return (int) p;
  }

  /** A short name for messages and the data signature. */
  public String name() {
    return name;
  }

  /** The number of examples. */
  public int size() {
    return labels.length;
  }

  /** The shape of one example's features: {@code [C, H, W]} for images, {@code [F]} for vectors. A copy. */
  public int[] shape() {
    return shape.clone();
  }

  /** Floats per example: the product of {@link #shape()}. */
  public int features() {
    return features;
  }

  /** Labels are in {@code [0, classes)}. */
  public int classes() {
    return classes;
  }

  /** The label of example {@code index}, in {@code [0, classes())}. */
  public int label(int index) {
    return labels[index];
  }

  /** Whether the examples carry group ids (a natural split). */
  public boolean hasGroups() {
    return groups != null;
  }

  /** The number of groups, 0 without them. */
  public int groupCount() {
    return groups == null ? 0 : groupNames.size();
  }

  /** The group of example {@code index}; only when {@link #hasGroups()}. */
  public int group(int index) {
    if (groups == null) {
      throw new IllegalStateException("dataset " + name + " has no groups");
    }
    return groups[index];
  }

  /** The names of the groups, indexed by group id; empty without groups. */
  public List<String> groupNames() {
    return groupNames == null ? List.of() : groupNames;
  }

  /**
   * Writes the features of examples {@code indices[from .. from+count)} into {@code x}, one
   * example after the other, each in the row-major order of {@link #shape()}, and their labels
   * into {@code y}. The contract every trainer and evaluator reads data through.
   */
  public void fill(int[] indices, int from, int count, float[] x, int[] y) {
    int f = features;
    for (int s = 0; s < count; s++) {
      int example = indices[from + s];
      int src = example * f;
      int dst = s * f;
      if (bytes != null && SimdWarmUp.VECTOR_API && SCALE.warm()) {
        VectorPixels.scale(bytes, src, x, dst, f);
      } else if (bytes != null && SimdWarmUp.VECTOR_API) {
        SCALE.run(f, () -> VectorPixels.scale(bytes, src, x, dst, f), () -> scale(bytes, src, x, dst, f));
      } else if (bytes != null) {
        scale(bytes, src, x, dst, f);
      } else {
        System.arraycopy(floats, src, x, dst, f);
      }
      y[s] = labels[example];
    }
  }

  /** {@code x[dst + p] = (bytes[src + p] & 0xFF) * (1f / 255f)} for {@code p < n}: a byte pixel scaled to [0, 1]. */
  static void scale(byte[] bytes, int src, float[] x, int dst, int n) {
    for (int p = 0; p < n; p++) {
      x[dst + p] = (bytes[src + p] & 0xFF) * (1f / 255f);
    }
  }

  /** A dataset of the first {@code count} examples, for quick tests and shorter evaluations. */
  public Dataset head(int count) {
    int n = Math.min(count, size());
    int[] first = new int[n];
    Arrays.setAll(first, i -> i);
    return select(name + "[0:" + n + "]", first);
  }

  /**
   * The examples at {@code indices}, in that order. Groups left without examples are dropped
   * and the rest renumbered in their order, so the result is valid on its own.
   */
  public Dataset select(String newName, int[] indices) {
    int f = features;
    int[] l = new int[indices.length];
    byte[] b = bytes == null ? null : new byte[indices.length * f];
    float[] v = floats == null ? null : new float[indices.length * f];
    for (int i = 0; i < indices.length; i++) {
      int e = indices[i];
      l[i] = labels[e];
      if (b != null) {
        System.arraycopy(bytes, e * f, b, i * f, f);
      } else {
        System.arraycopy(floats, e * f, v, i * f, f);
      }
    }
    int[] g = null;
    List<String> names = null;
    if (groups != null) {
      int[] renumber = new int[groupNames.size()];
      Arrays.fill(renumber, -1);
      names = new ArrayList<>();
      g = new int[indices.length];
      boolean[] present = new boolean[renumber.length];
      for (int e : indices) {
        present[groups[e]] = true;
      }
      for (int old = 0; old < renumber.length; old++) {
        if (present[old]) {
          renumber[old] = names.size();
          names.add(groupNames.get(old));
        }
      }
      for (int i = 0; i < indices.length; i++) {
        g[i] = renumber[groups[indices[i]]];
      }
      names = List.copyOf(names);
    }
    return new Dataset(newName, shape, classes, b, v, l, g, names);
  }

  /**
   * A digest of the shape, classes, features, labels and groups, so that two nodes can tell that
   * they loaded the same data (part of the data signature clients and server compare).
   */
  public String fingerprint() {
    String f = fingerprint;
    if (f == null) {
      CRC32 crc = new CRC32();
      java.nio.ByteBuffer ints = java.nio.ByteBuffer.allocate(4 * (shape.length + 1));
      for (int d : shape) {
        ints.putInt(d);
      }
      ints.putInt(classes);
      crc.update(ints.array());
      if (bytes != null) {
        crc.update(bytes);
      } else {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(floats.length * 4);
        buf.asFloatBuffer().put(floats);
        crc.update(buf.array());
      }
      updateInts(crc, labels);
      if (groups != null) {
        updateInts(crc, groups);
      }
      f = fingerprint = String.format("%08x", crc.getValue());
    }
    return f;
  }

  private static void updateInts(CRC32 crc, int[] values) {
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(values.length * 4);
    buf.asIntBuffer().put(values);
    crc.update(buf.array());
  }

  @Override
  public String toString() {
    String kind = shape.length == 3 ? "images " + shape[0] + "x" + shape[1] + "x" + shape[2]
        : shape.length == 1 ? "examples of " + shape[0] + " features" : "examples of shape " + Arrays.toString(shape);
    return name + " (" + size() + " " + kind + ", " + classes + " classes"
        + (groups != null ? ", " + groupCount() + " groups" : "") + ")";
  }

  /**
   * Collects examples in memory; {@link #build()} validates them as the factories do. Group names
   * are numbered in the order they first appear. The number of classes is one more than the
   * largest label unless {@link #classes(int)} says otherwise.
   */
  public static final class Builder {
    /** The largest array a JVM allocates. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    private final String name;
    private final int[] shape;
    private final int features;
    /** Grown as examples arrive, never from the shape alone: a builder of wide examples holds no more than it was given. */
    private float[] values = new float[0];
    private int[] labels = new int[16];
    private int[] groups;
    private final java.util.LinkedHashMap<String, Integer> groupIds = new java.util.LinkedHashMap<>();
    private int size;
    private int classes = -1;

    private Builder(String name, int[] shape) {
      this.name = Objects.requireNonNull(name, "name");
      this.features = checkShape(name, Objects.requireNonNull(shape, "shape"));
      this.shape = shape.clone();
    }

    /** Fixes the class count (else one more than the largest label); 2 to {@link #MAX_CLASSES}. */
    public Builder classes(int count) {
      if (count < 2 || count > MAX_CLASSES) {
        throw new IllegalArgumentException("dataset " + name + ": " + count + (count == 1 ? " class" : " classes")
            + ", expected 2 to " + MAX_CLASSES);
      }
      this.classes = count;
      return this;
    }

    /** Adds one example without a group; a builder holds groups for all examples or for none. */
    public Builder add(float[] features, int label) {
      if (groups != null) {
        throw new IllegalStateException("dataset " + name + ": every example needs a group once one has");
      }
      append(features, label);
      return this;
    }

    /** Adds one example of group {@code group}. */
    public Builder add(float[] features, int label, String group) {
      Objects.requireNonNull(group, "group");
      if (groups == null) {
        if (size > 0) {
          throw new IllegalStateException("dataset " + name + ": examples before this one have no group");
        }
        groups = new int[labels.length];
      }
      append(features, label);
      if (groups.length < labels.length) {
        groups = Arrays.copyOf(groups, labels.length);
      }
      groups[size - 1] = groupIds.computeIfAbsent(group, k -> groupIds.size());
      return this;
    }

    private void append(float[] x, int label) {
      if (x.length != features) {
        throw new IllegalArgumentException("dataset " + name + ": example " + size + " has " + x.length
            + " features, the shape " + Arrays.toString(shape) + " needs " + features);
      }
      long needed = (long) (size + 1) * features;
      if (needed > MAX_ARRAY) {
        throw new IllegalStateException("dataset " + name + ": " + (size + 1) + " examples of " + features
            + " features are more values than one dataset holds (" + MAX_ARRAY + ")");
      }
      if (needed > values.length) {
        values = Arrays.copyOf(values, (int) Math.min(MAX_ARRAY, Math.max(needed, 2L * values.length)));
      }
      if (size == labels.length) {
        labels = Arrays.copyOf(labels, (int) Math.min(MAX_ARRAY, 2L * size));
      }
      System.arraycopy(x, 0, values, size * features, features);
      labels[size++] = label;
    }

    /** The feature values this builder has room for now: what it allocated, for a test. */
    int valuesHeld() {
      return values.length;
    }

    /** The dataset; throws IllegalArgumentException as {@link Dataset#ofFloats} does. */
    public Dataset build() {
      int[] l = Arrays.copyOf(labels, size);
      int k = classes > 0 ? classes : Arrays.stream(l).max().orElse(0) + 1;
      return ofFloats(name, shape, k, Arrays.copyOf(values, size * features), l,
          groups == null ? null : Arrays.copyOf(groups, size), groups == null ? null : List.copyOf(groupIds.keySet()));
    }
  }
}
