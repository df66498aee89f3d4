package io.csfl.nn;

/**
 * Reorders each image from channels-first ({@code [C, H, W]}, the order datasets hold) to
 * channels-last ({@code [H, W, C]}, the order {@link Conv2D} and {@link MaxPool} read). No
 * parameters; its backward pass is the inverse permutation.
 */
final class ChannelsLast implements Layer {
  private final int channels;
  private final int pixels;

  ChannelsLast(int channels, int height, int width) {
    this.channels = channels;
    this.pixels = height * width;
  }

  @Override
  public int inputSize() {
    return channels * pixels;
  }

  @Override
  public int outputSize() {
    return channels * pixels;
  }

  @Override
  public void forward(float[] in, float[] out, int batch) {
    permute(in, out, batch, true);
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn != null) {
      permute(dOut, dIn, batch, false);
    }
  }

  /** Channels-first to channels-last when {@code toLast}, else back; one channel is one copy. */
  private void permute(float[] from, float[] to, int batch, boolean toLast) {
    int size = inputSize();
    if (channels == 1) {
      System.arraycopy(from, 0, to, 0, batch * size);
      return;
    }
    for (int s = 0; s < batch; s++) {
      int base = s * size;
      for (int c = 0; c < channels; c++) {
        for (int p = 0; p < pixels; p++) {
          int first = base + c * pixels + p;
          int last = base + p * channels + c;
          if (toLast) {
            to[last] = from[first];
          } else {
            to[first] = from[last];
          }
        }
      }
    }
  }
}
