package io.csfl.nn;

import io.csfl.tensor.TensorSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * k x k convolution, stride 1, over NHWC images, kernel [k, k, in, out] (Keras' layout). "Same"
 * zero padding keeps the image size (odd k only); "valid" padding reads only whole windows, so the
 * output is {@code (height - k + 1) x (width - k + 1)}. Each sample is lowered to a patch matrix
 * (im2col) so the work is one {@link Gemm} call; the patch matrix is rebuilt in the backward pass
 * rather than kept for the whole batch, which would cost 40 MB for the second conv layer of the
 * McMahan CNN. When the SIMD kernels run and the input (forward) or the gradient of the output
 * (backward) is mostly zeros, as after ReLU and pooling, a pass goes instead to {@link SparseConv},
 * which reads the images directly and gives the same bits.
 */
final class Conv2D implements Layer {
  /**
   * The density of the output gradient, in percent, up to which the backward pass goes to
   * {@link SparseConv}: timed in-process on the cnn's second layer, alternating with the im2col
   * products, it was about 4 times faster at 1%, level at 15-20% and slower above. (At the paper's
   * Adam 0.01 the gradients reaching the cnn's convolutions are a few percent non-zero after the
   * first hundred steps.)
   */
  private static final int SPARSE_GRADIENT_PERCENT = 15;
  private final String name;
  // The shape, also read by SparseConv.
  final int height;
  final int width;
  final int inChannels;
  final int outChannels;
  final int k;
  final int pad;
  final int outHeight;
  final int outWidth;
  final int patchSize;
  private final float[] patches;
  private final float[] dPatches;
  private final float[] kernelT;
  private float[] kernel;
  private float[] bias;
  private float[] dKernel;
  private float[] dBias;
  private Route route = Route.CHOOSE;
  /** Created on first use: it needs the Vector API. */
  private SparseConv sparseConv;

  /** A convolution with "same" padding. */
  Conv2D(String name, int height, int width, int inChannels, int outChannels, int k) {
    this(name, height, width, inChannels, outChannels, k, false);
  }

  Conv2D(String name, int height, int width, int inChannels, int outChannels, int k, boolean valid) {
    if (!valid && k % 2 != 1) {
      throw new IllegalArgumentException("same padding needs an odd kernel size, got " + k);
    }
    if (valid && (height < k || width < k)) {
      throw new IllegalArgumentException("valid padding needs an input of at least " + k + "x" + k + ", got " + height + "x" + width);
    }
    this.name = name;
    this.height = height;
    this.width = width;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.k = k;
    this.pad = valid ? 0 : k / 2;
    this.outHeight = valid ? height - k + 1 : height;
    this.outWidth = valid ? width - k + 1 : width;
    this.patchSize = k * k * inChannels;
    this.patches = new float[outHeight * outWidth * patchSize];
    this.dPatches = new float[outHeight * outWidth * patchSize];
    this.kernelT = new float[patchSize * outChannels];
  }

  @Override
  public int inputSize() {
    return height * width * inChannels;
  }

  @Override
  public int outputSize() {
    return outHeight * outWidth * outChannels;
  }

  @Override
  public List<TensorSpec> parameters() {
    return List.of(TensorSpec.kernel(name + "/kernel", k, k, inChannels, outChannels), TensorSpec.bias(name + "/bias", outChannels));
  }

  @Override
  public void bind(float[][] params, float[][] grads) {
    kernel = params[0];
    bias = params[1];
    dKernel = grads[0];
    dBias = grads[1];
  }

  @Override
  public void initialize(Random rng) {
    HeInit.fill(kernel, patchSize, rng);
    Arrays.fill(bias, 0f);
  }

  /**
   * Walks every (output pixel, kernel row) pair once. The taps of a kernel row that fall inside the
   * image read consecutive pixels, which lie side by side in both the image and the patch row, so
   * each run moves as one block: gathering copies it into the patch matrix (zeros for taps in the
   * padding); scattering adds the patch-matrix gradient back into the image gradient (taps in the
   * padding have nowhere to go). Every image element still receives its terms in the same order,
   * one per (output pixel, kernel row), as a tap-by-tap walk gives them.
   */
  private void transferPatches(float[] image, int imageOff, boolean gather) {
    int row = 0;
    int tapRow = k * inChannels;
    for (int oh = 0; oh < outHeight; oh++) {
      for (int ow = 0; ow < outWidth; ow++, row += patchSize) {
        // Taps kw in [first, last) are inside the image's width.
        int first = Math.max(0, pad - ow);
        int last = Math.min(k, width + pad - ow);
        int before = first * inChannels;
        int inside = (last - first) * inChannels;
        for (int kh = 0, q = row; kh < k; kh++, q += tapRow) {
          int ih = oh + kh - pad;
          boolean rowInside = ih >= 0 && ih < height;
          int pixel = imageOff + (ih * width + ow + first - pad) * inChannels;
          if (gather && rowInside) {
            Arrays.fill(patches, q, q + before, 0f);
            System.arraycopy(image, pixel, patches, q + before, inside);
            Arrays.fill(patches, q + before + inside, q + tapRow, 0f);
          } else if (gather) {
            Arrays.fill(patches, q, q + tapRow, 0f);
          } else if (rowInside) {
            Gemm.axpy(inside, 1f, dPatches, q + before, image, pixel);
          }
        }
      }
    }
  }

  /** Which products a pass uses: chosen per batch from the density of its sparse factor, or fixed by tests. */
  enum Route {
    CHOOSE, IM2COL, SPARSE
  }

  /** For tests: fix the route of both passes, or let each batch choose ({@link Route#CHOOSE}). */
  void route(Route route) {
    this.route = route;
  }

  /**
   * Whether a pass goes to {@link SparseConv}: only with the SIMD kernels, and when the factor whose
   * zeros it skips ({@code x[0..size)}, the input or the gradient of the output) is sparse enough.
   */
  private boolean sparse(float[] x, int size, boolean forward, int batch) {
    if (!Gemm.simd() || route == Route.IM2COL) {
      return false;
    }
    if (route == Route.SPARSE) {
      return true;
    }
    long nonZeros = Gemm.countNonZeros(x, size);
    if (forward) {
      // Each input element is in up to k x k patches: the patch matrices' non-zeros, at most.
      int pixels = outHeight * outWidth;
      return !VectorGemm.denseWins(batch * pixels, outChannels, patchSize, nonZeros * k * k, false);
    }
    // SparseConv moves runs of k x channels floats; shorter than a vector (the cnn's first layer,
    // one channel), it goes one float at a time and lost to the im2col products even at 4%.
    return k * inChannels >= VectorGemm.S.length() && 100 * nonZeros <= (long) SPARSE_GRADIENT_PERCENT * size;
  }

  private SparseConv sparseConv() {
    if (sparseConv == null) {
      sparseConv = new SparseConv(this);
    }
    return sparseConv;
  }

  @Override
  public void forward(float[] x, float[] y, int batch) {
    if (sparse(x, batch * inputSize(), true, batch)) {
      SparseConv sparse = sparseConv();
      for (int s = 0; s < batch; s++) {
        sparse.forward(x, s * inputSize(), kernel, bias, y, s * outputSize());
      }
      return;
    }
    int pixels = outHeight * outWidth;
    Arrays.fill(y, 0, batch * outputSize(), 0f);
    for (int s = 0; s < batch; s++) {
      transferPatches(x, s * inputSize(), true);
      int yOff = s * outputSize();
      Gemm.mulAdd(pixels, outChannels, patchSize, patches, 0, patchSize, 1, kernel, 0, y, yOff);
      Gemm.addRowVector(y, yOff, pixels, bias);
    }
  }

  @Override
  public void backward(float[] x, float[] y, float[] dy, float[] dx, int batch) {
    int pixels = outHeight * outWidth;
    if (dx != null) {
      Gemm.transpose(kernel, patchSize, outChannels, kernelT);
    }
    if (sparse(dy, batch * outputSize(), false, batch)) {
      for (int s = 0; s < batch; s++) {
        Gemm.addColumnSums(dy, s * outputSize(), pixels, dBias);
      }
      sparseConv().backward(x, dy, dx, batch, kernelT, dKernel);
      return;
    }
    if (dx != null) {
      Arrays.fill(dx, 0, batch * inputSize(), 0f);
    }
    for (int s = 0; s < batch; s++) {
      transferPatches(x, s * inputSize(), true);
      int dyOff = s * outputSize();
      // dKernel[patch x out] += patches^T * dy
      Gemm.mulAdd(patchSize, outChannels, pixels, patches, 0, 1, patchSize, dy, dyOff, dKernel, 0);
      Gemm.addColumnSums(dy, dyOff, pixels, dBias);
      if (dx != null) {
        Arrays.fill(dPatches, 0f);
        Gemm.mulAdd(pixels, patchSize, outChannels, dy, dyOff, outChannels, 1, kernelT, 0, dPatches, 0);
        transferPatches(dx, s * inputSize(), false);
      }
    }
  }
}
