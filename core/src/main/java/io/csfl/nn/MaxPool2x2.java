package io.csfl.nn;

import java.util.Arrays;

/** 2x2 max pooling with stride 2 over an NHWC image; height and width must be even. */
final class MaxPool2x2 implements Layer {
  private final int height;
  private final int width;
  private final int channels;
  private int[] argmax = new int[0];

  MaxPool2x2(int height, int width, int channels) {
    if (height % 2 != 0 || width % 2 != 0) {
      throw new IllegalArgumentException("2x2 pooling needs even height and width, got " + height + "x" + width);
    }
    this.height = height;
    this.width = width;
    this.channels = channels;
  }

  @Override
  public int inputSize() {
    return height * width * channels;
  }

  @Override
  public int outputSize() {
    return inputSize() / 4;
  }

  @Override
  public void forward(float[] x, float[] y, int batch) {
    if (argmax.length < batch * outputSize()) {
      argmax = new int[batch * outputSize()];
    }
    int oh = height / 2;
    int ow = width / 2;
    int o = 0;
    for (int s = 0; s < batch; s++) {
      int base = s * inputSize();
      for (int r = 0; r < oh; r++) {
        for (int c = 0; c < ow; c++) {
          int topLeft = base + ((2 * r) * width + 2 * c) * channels;
          for (int ch = 0; ch < channels; ch++) {
            int best = topLeft + ch;
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
            y[o] = x[best];
            argmax[o++] = best;
          }
        }
      }
    }
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
