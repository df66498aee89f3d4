package io.csfl.nn;

import java.util.Arrays;

/**
 * k x k max pooling with stride k over an NHWC image. Rows and columns past the last whole window
 * are dropped (Keras' "valid" pooling), so the output is {@code height / k} by {@code width / k}.
 * Ties go to the first window position in row-major order. The 2x2 window, the presets' pool, has
 * its own unrolled loop.
 */
final class MaxPool implements Layer {
  private final int height;
  private final int width;
  private final int channels;
  private final int k;
  private int[] argmax = new int[0];

  MaxPool(int height, int width, int channels, int k) {
    if (k < 1 || height < k || width < k) {
      throw new IllegalArgumentException(k + "x" + k + " pooling needs an input of at least that size, got " + height + "x" + width);
    }
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.k = k;
  }

  @Override
  public int inputSize() {
    return height * width * channels;
  }

  @Override
  public int outputSize() {
    return (height / k) * (width / k) * channels;
  }

  @Override
  public void forward(float[] x, float[] y, int batch) {
    if (argmax.length < batch * outputSize()) {
      argmax = new int[batch * outputSize()];
    }
    int o = 0;
    for (int s = 0; s < batch; s++) {
      int base = s * inputSize();
      for (int r = 0; r < height / k; r++) {
        for (int c = 0; c < width / k; c++) {
          int topLeft = base + ((k * r) * width + k * c) * channels;
          for (int ch = 0; ch < channels; ch++) {
            int best = k == 2 ? argmax2x2(x, topLeft + ch) : argmax(x, topLeft + ch);
            y[o] = x[best];
            argmax[o++] = best;
          }
        }
      }
    }
  }

  /** The index of the largest of the 2x2 window whose top-left element is {@code first}. */
  private int argmax2x2(float[] x, int first) {
    int best = first;
    int right = best + channels;
    int below = best + width * channels;
    int diagonal = below + channels;
    if (x[right] > x[best]) {
      best = right;
    }
    if (x[below] > x[best]) {
      best = below;
    }
    if (x[diagonal] > x[best]) {
      best = diagonal;
    }
    return best;
  }

  /** The index of the largest of the k x k window whose top-left element is {@code first}. */
  private int argmax(float[] x, int first) {
    int best = first;
    for (int kh = 0; kh < k; kh++) {
      int row = first + kh * width * channels;
      for (int kw = 0; kw < k; kw++) {
        int i = row + kw * channels;
        if (x[i] > x[best]) {
          best = i;
        }
      }
    }
    return best;
  }

  @Override
  public void backward(float[] x, float[] y, float[] dy, float[] dx, int batch) {
    if (dx == null) {
      return;
    }
    Arrays.fill(dx, 0, batch * inputSize(), 0f);
    int n = batch * outputSize();
    for (int o = 0; o < n; o++) {
      dx[argmax[o]] += dy[o];
    }
  }
}
