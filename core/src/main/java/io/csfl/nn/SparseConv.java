package io.csfl.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Conv2D}'s products when one factor is mostly zeros, read straight from the NHWC images
 * instead of from a patch matrix (im2col). After ReLU and pooling most of a convolution's inputs
 * are 0, and most of the gradients reaching it are 0 too: building a patch matrix of 800 floats per
 * output pixel and then scanning it for its few non-zeros costs more than the products.
 *
 * <ul>
 *   <li>The forward pass lists each input pixel's non-zero channels once; every output pixel then
 *       walks its k x k taps inside the image and, for each listed channel, adds that kernel row
 *       times the value into outputs kept in vector registers.
 *   <li>The backward pass lists each output pixel's non-zero gradients. For each of them, the
 *       weight gradient gets the image's rows under the window (k runs of k x channels contiguous
 *       floats in NHWC) times the gradient, in a transposed copy of the kernel's gradient whose rows
 *       are then contiguous; and the input gradient gets the transposed kernel's row times the
 *       gradient, without a patch-matrix gradient to scatter back.
 * </ul>
 *
 * <p>Every output still receives its terms in the order of the im2col product, which are the
 * ascending taps (kernel row, column, channel) for the forward pass, the pixels of one sample after
 * the other for the weight gradient, and the output pixels in order, each a chain over its output
 * channels, for the input gradient. Only zero terms are skipped, so results are the same bits
 * (ConvTest compares the two). Loaded only when the JVM has the incubator module.
 */
final class SparseConv {
  private static final VectorSpecies<Float> S = VectorGemm.S;
  private static final int W = S.length();
  private static final int BLOCK = 4 * W;
  /**
   * Kernel floats per tile of taps in the forward pass: 16 KB, half of a 32 KB L1. Timed in-process
   * on the cnn's second layer, alternating with the untiled pass (every output pixel streaming the
   * whole 200 KB kernel from L2), the tiled one was about a fifth faster.
   */
  private static final int TILE_FLOATS = 4096;
  /** The layer whose shape this computes (its height, width, channels, k and padding). */
  private final Conv2D conv;
  /** A compressed image or gradient: per pixel, where its entries start; one spare slot at the end. */
  private final int[] start;
  /** Per entry, its channel times the row length it indexes (where that channel's row starts). */
  private final int[] row;
  private final float[] value;
  private final float[] dKernelT;
  /** One output pixel's patch, compressed: per non-zero, where its kernel row starts, and its value. */
  private final int[] patchRow;
  private final float[] patchValue;

  SparseConv(Conv2D conv) {
    this.conv = conv;
    int pixels = Math.max(conv.height * conv.width, conv.outHeight * conv.outWidth);
    int entries = Math.multiplyExact(pixels, Math.max(conv.inChannels, conv.outChannels)) + 1;
    this.start = new int[pixels + 1];
    this.row = new int[entries];
    this.value = new float[entries];
    this.dKernelT = new float[conv.patchSize * conv.outChannels];
    this.patchRow = new int[conv.patchSize];
    this.patchValue = new float[conv.patchSize];
  }

  /**
   * Lists the non-zero entries of {@code pixels} rows of {@code channels} floats at {@code from}:
   * entry {@code (c, v)} is stored as {@code c * rowLength} and v. Branch-free: each element is
   * written, and the count advances only past non-zeros.
   */
  private void compress(float[] x, int from, int pixels, int channels, int rowLength) {
    int count = 0;
    for (int q = 0, at = from; q < pixels; q++) {
      start[q] = count;
      for (int c = 0; c < channels; c++, at++) {
        float v = x[at];
        row[count] = c * rowLength;
        value[count] = v;
        count += v != 0f ? 1 : 0;
      }
    }
    start[pixels] = count;
  }

  /**
   * {@code y[sample] = conv(x[sample]) + bias}, overwriting y. The kernel's taps go in tiles whose
   * rows fit in L1 ({@link #TILE_FLOATS}); within a tile, each output pixel gathers the non-zeros
   * under its taps into one list and continues its outputs' sums from where the previous tile left
   * them in y (a float stored and loaded back is unchanged, so each output is still one chain of
   * fused multiply-adds in ascending order of tap and channel). The list is flat on purpose: with
   * a loop over taps around a loop over their non-zeros, C2 kept the accumulators out of registers
   * and the pass ran several times slower than the im2col product. Columns of the outputs go four
   * vectors at a time (the zero-skipping kernel's own block loop, {@code VectorGemm.block32}, which
   * takes such a list), then one vector, then one by one with the same fused multiply-adds. The bias
   * is added last, as after the im2col product.
   */
  void forward(float[] x, int xOff, float[] kernel, float[] bias, float[] y, int yOff) {
    compress(x, xOff, conv.height * conv.width, conv.inChannels, conv.outChannels);
    int n = conv.outChannels;
    int pixels = conv.outHeight * conv.outWidth;
    java.util.Arrays.fill(y, yOff, yOff + pixels * n, 0f);
    int taps = conv.k * conv.k;
    int tile = Math.max(1, TILE_FLOATS / (conv.inChannels * n));
    for (int t0 = 0; t0 < taps; t0 += tile) {
      int t1 = Math.min(taps, t0 + tile);
      for (int oh = 0, yAt = yOff; oh < conv.outHeight; oh++) {
        for (int ow = 0; ow < conv.outWidth; ow++, yAt += n) {
          int count = listPatch(oh, ow, t0, t1);
          if (count == 0) {
            continue;
          }
          int j = 0;
          for (; j + BLOCK <= n; j += BLOCK) {
            VectorGemm.block32(j, 0, count, patchRow, patchValue, kernel, y, yAt + j);
          }
          for (; j + W <= n; j += W) {
            forwardVector(j, count, kernel, y, yAt);
          }
          for (; j < n; j++) {
            float sum = y[yAt + j];
            for (int e = 0; e < count; e++) {
              sum = Math.fma(patchValue[e], kernel[patchRow[e] + j], sum);
            }
            y[yAt + j] = sum;
          }
        }
      }
    }
    Gemm.addRowVector(y, yOff, pixels, bias);
  }

  /**
   * Lists in {@link #patchRow} and {@link #patchValue} the non-zeros of output pixel (oh, ow)'s
   * patch under taps {@code t0..t1} (row-major in the window), in ascending order of tap and
   * channel, each with where its kernel row starts; returns how many.
   */
  private int listPatch(int oh, int ow, int t0, int t1) {
    int count = 0;
    int n = conv.outChannels;
    for (int t = t0; t < t1; t++) {
      int ih = oh + t / conv.k - conv.pad;
      int iw = ow + t % conv.k - conv.pad;
      if (ih < 0 || ih >= conv.height || iw < 0 || iw >= conv.width) {
        continue;
      }
      int q = ih * conv.width + iw;
      int tap = t * conv.inChannels * n;
      for (int e = start[q], end = start[q + 1]; e < end; e++) {
        patchRow[count] = tap + row[e];
        patchValue[count] = value[e];
        count++;
      }
    }
    return count;
  }

  private void forwardVector(int j, int count, float[] kernel, float[] y, int yAt) {
    FloatVector c0 = FloatVector.fromArray(S, y, yAt + j);
    for (int e = 0; e < count; e++) {
      c0 = FloatVector.fromArray(S, kernel, patchRow[e] + j).fma(FloatVector.broadcast(S, patchValue[e]), c0);
    }
    c0.intoArray(y, yAt + j);
  }

  /**
   * Adds one batch's weight gradient into {@code dKernel} and, when {@code dx} is non-null, writes
   * the input gradient (zeroed first), from the gradient of the outputs {@code dy}.
   * {@code kernelT} is the kernel transposed, [out x patch].
   */
  void backward(float[] x, float[] dy, float[] dx, int batch, float[] kernelT, float[] dKernel) {
    int n = conv.outChannels;
    int pixels = conv.outHeight * conv.outWidth;
    int inputSize = conv.height * conv.width * conv.inChannels;
    Gemm.transpose(dKernel, conv.patchSize, n, dKernelT);
    if (dx != null) {
      java.util.Arrays.fill(dx, 0, batch * inputSize, 0f);
    }
    int tapRow = conv.k * conv.inChannels;
    for (int s = 0; s < batch; s++) {
      compress(dy, s * pixels * n, pixels, n, conv.patchSize);
      int image = s * inputSize;
      for (int oh = 0, i = 0; oh < conv.outHeight; oh++) {
        int khFirst = Math.max(0, conv.pad - oh);
        int khLast = Math.min(conv.k, conv.height + conv.pad - oh);
        for (int ow = 0; ow < conv.outWidth; ow++, i++) {
          int from = start[i];
          int to = start[i + 1];
          if (from == to) {
            continue;
          }
          // Taps kw in [first, last) are inside the image's conv.width: one run of `inside` floats per kernel row.
          int first = Math.max(0, conv.pad - ow);
          int last = Math.min(conv.k, conv.width + conv.pad - ow);
          int inside = (last - first) * conv.inChannels;
          for (int kh = khFirst; kh < khLast; kh++) {
            int pixel = image + ((oh + kh - conv.pad) * conv.width + ow + first - conv.pad) * conv.inChannels;
            int p = kh * tapRow + first * conv.inChannels;
            for (int e = from; e < to; e++) {
              addScaled(inside, value[e], x, pixel, dKernelT, row[e] + p);
            }
            if (dx != null) {
              addProducts(inside, from, to, kernelT, p, dx, pixel);
            }
          }
        }
      }
    }
    Gemm.transpose(dKernelT, n, conv.patchSize, dKernel);
  }

  /** {@code y[yAt..yAt+len) = fma(v, x[xAt..], y)}, lane by lane. */
  private static void addScaled(int len, float v, float[] x, int xAt, float[] y, int yAt) {
    FloatVector vv = FloatVector.broadcast(S, v);
    int t = 0;
    for (; t + W <= len; t += W) {
      FloatVector.fromArray(S, x, xAt + t).fma(vv, FloatVector.fromArray(S, y, yAt + t)).intoArray(y, yAt + t);
    }
    for (; t < len; t++) {
      y[yAt + t] = Math.fma(x[xAt + t], v, y[yAt + t]);
    }
  }

  /**
   * {@code dx[dxAt + t] += sum over entries e of value[e] * kernelT[row[e] + p + t]}, the sum a
   * chain of fused multiply-adds from 0 in the entries' order, then one add into dx: the
   * patch-matrix gradient's element, added as the scatter of im2col's backward pass adds it.
   */
  private void addProducts(int len, int from, int to, float[] kernelT, int p, float[] dx, int dxAt) {
    int t = 0;
    for (; t + W <= len; t += W) {
      FloatVector acc = FloatVector.zero(S);
      for (int e = from; e < to; e++) {
        acc = FloatVector.fromArray(S, kernelT, row[e] + p + t).fma(FloatVector.broadcast(S, value[e]), acc);
      }
      FloatVector.fromArray(S, dx, dxAt + t).add(acc).intoArray(dx, dxAt + t);
    }
    for (; t < len; t++) {
      float sum = 0f;
      for (int e = from; e < to; e++) {
        sum = Math.fma(kernelT[row[e] + p + t], value[e], sum);
      }
      dx[dxAt + t] += sum;
    }
  }
}
