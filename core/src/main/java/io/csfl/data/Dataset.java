package io.csfl.data;

import java.util.Objects;

/**
 * Labelled grey-scale images held once in memory as unsigned bytes (60,000 Fashion-MNIST images
 * are 47 MB this way, 188 MB as floats). Clients hold index arrays into a shared dataset, never
 * copies of it. Immutable.
 */
public final class Dataset {
  private final String name;
  private final int rows;
  private final int cols;
  private final int classes;
  private final byte[] pixels;
  private final byte[] labels;

  private Dataset(String name, int rows, int cols, int classes, byte[] pixels, byte[] labels) {
    this.name = name;
    this.rows = rows;
    this.cols = cols;
    this.classes = classes;
    this.pixels = pixels;
    this.labels = labels;
  }

  /** Copies and validates: pixel count = images * rows * cols, labels in [0, classes). */
  public static Dataset of(String name, int rows, int cols, int classes, byte[] pixels, byte[] labels) {
    Objects.requireNonNull(name, "name");
    if (rows <= 0 || cols <= 0 || classes < 2) {
      throw new IllegalArgumentException("dataset " + name + ": bad dimensions " + rows + "x" + cols + ", " + classes + " classes");
    }
    if ((long) labels.length * rows * cols != pixels.length) {
      throw new IllegalArgumentException("dataset " + name + ": " + pixels.length + " pixel bytes for " + labels.length + " images of " + rows + "x" + cols);
    }
    for (int i = 0; i < labels.length; i++) {
      if ((labels[i] & 0xFF) >= classes) {
        throw new IllegalArgumentException("dataset " + name + ": label " + (labels[i] & 0xFF) + " of image " + i + " is not below " + classes);
      }
    }
    return new Dataset(name, rows, cols, classes, pixels.clone(), labels.clone());
  }

  public String name() {
    return name;
  }

  public int size() {
    return labels.length;
  }

  public int features() {
    return rows * cols;
  }

  public int classes() {
    return classes;
  }

  public int label(int index) {
    return labels[index] & 0xFF;
  }

  /**
   * Writes images {@code indices[from .. from+count)} scaled to [0, 1] into {@code x} (one row
   * per image) and their labels into {@code y}.
   */
  public void fill(int[] indices, int from, int count, float[] x, int[] y) {
    int f = features();
    for (int s = 0; s < count; s++) {
      int image = indices[from + s];
      int src = image * f;
      int dst = s * f;
      for (int p = 0; p < f; p++) {
        x[dst + p] = (pixels[src + p] & 0xFF) * (1f / 255f);
      }
      y[s] = labels[image] & 0xFF;
    }
  }

  /** A dataset of the first {@code count} images, for quick tests. */
  public Dataset head(int count) {
    int n = Math.min(count, size());
    byte[] p = java.util.Arrays.copyOf(pixels, n * features());
    byte[] l = java.util.Arrays.copyOf(labels, n);
    return new Dataset(name + "[0:" + n + "]", rows, cols, classes, p, l);
  }

  @Override
  public String toString() {
    return name + " (" + size() + " images " + rows + "x" + cols + ", " + classes + " classes)";
  }
}
