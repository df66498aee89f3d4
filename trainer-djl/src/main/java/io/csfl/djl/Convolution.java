package io.csfl.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stride-1 convolutions of channels-first images by a kernel of PyTorch's layout {@code [out, in, k, k]}, with
 * {@code pad} zeros on every side.
 *
 * <p>PyTorch's own convolution is used wherever its gradient is right. Where the gradient must flow on to the
 * layer's input, PyTorch's CPU build runs the backward pass through oneDNN, whose result depends on the layer's
 * shape and on the processor's instruction set: for small channel counts it can be wrong (a sizeable part of the
 * input gradient missing, or undefined values), while the forward pass and the kernel's gradient are right. So the first time a
 * process meets a layer shape whose input needs a gradient, it compares PyTorch's input gradient on random values
 * with that of {@link #tapByTap}, a formulation made only of slicing and matrix products, and keeps PyTorch's
 * convolution for that shape only if the two agree. A shape is checked once per process, on its own arrays, so
 * the choice is the same for every step and every thread and training stays deterministic for a seed.
 */
final class Convolution {
  /** Agreement asked of the two input gradients, relative to the largest of them: float sums in another order. */
  private static final double TOLERANCE = 1e-4;

  private static final Logger LOG = LoggerFactory.getLogger(Convolution.class);

  /** For each layer shape already checked, whether PyTorch's convolution gives the right input gradient. */
  private static final Map<String, Boolean> PYTORCH_IS_RIGHT = new ConcurrentHashMap<>();

  /** A convolution of {@code x} by {@code kernel}, plus {@code bias}. */
  @FunctionalInterface
  interface Op {
    NDArray apply(NDArray x, NDArray kernel, NDArray bias, int pad);
  }

  private Convolution() {}

  /**
   * {@code x}, whose gradient is needed, convolved by {@code kernel}, plus {@code bias}: PyTorch's convolution,
   * unless its input gradient is wrong for this shape on this machine, then {@link #tapByTap}.
   */
  static NDArray checked(NDArray x, NDArray kernel, NDArray bias, int pad) {
    String layer = x.getShape() + " * " + kernel.getShape() + " pad " + pad;
    boolean right = PYTORCH_IS_RIGHT.computeIfAbsent(layer, key -> {
      boolean same = sameInputGradient(Convolution::pytorch, Convolution::tapByTap, x.getShape(), kernel.getShape(), pad);
      if (same) {
        LOG.debug("convolution {}: PyTorch's input gradient checked", key);
      } else {
        LOG.info("convolution {}: PyTorch's input gradient is wrong on this machine, computed tap by tap instead", key);
      }
      return same;
    });
    return right ? pytorch(x, kernel, bias, pad) : tapByTap(x, kernel, bias, pad);
  }

  /** PyTorch's own convolution. */
  static NDArray pytorch(NDArray x, NDArray kernel, NDArray bias, int pad) {
    return Conv2d.conv2d(x, kernel, bias, new Shape(1, 1), new Shape(pad, pad)).singletonOrThrow();
  }

  /** The same convolution as one matrix product per kernel tap, summed: the same sums in another order. */
  static NDArray tapByTap(NDArray x, NDArray kernel, NDArray bias, int pad) {
    long k = kernel.getShape().get(2);
    NDArray padded = pad > 0 ? x.pad(new Shape(pad, pad, pad, pad), 0) : x;
    NDArray pixels = padded.transpose(0, 2, 3, 1);
    long oh = pixels.getShape().get(1) - k + 1;
    long ow = pixels.getShape().get(2) - k + 1;
    NDArray y = null;
    for (long dh = 0; dh < k; dh++) {
      for (long dw = 0; dw < k; dw++) {
        NDArray patch = pixels.get(new NDIndex(":, {}:{}, {}:{}, :", dh, dh + oh, dw, dw + ow));
        NDArray term = patch.matMul(kernel.get(new NDIndex(":, :, {}, {}", dh, dw)).transpose());
        y = y == null ? term : y.add(term);
      }
    }
    return y.add(bias).transpose(0, 3, 1, 2);
  }

  /**
   * Whether {@code op} and {@code reference} give the same gradient with respect to an input of {@code input}'s
   * shape, for a kernel of {@code kernel}'s shape, on fixed pseudo-random values; in arrays of its own, freed
   * when it returns, with this thread's autograd mode as it was.
   */
  static boolean sameInputGradient(Op op, Op reference, Shape input, Shape kernel, int pad) {
    // The same values in every process, so that the choice for a shape is too.
    Random rng = new Random(1);
    float[] x = gaussian(rng, input.size());
    float[] w = gaussian(rng, kernel.size());
    float[] b = gaussian(rng, kernel.get(0));
    Shape output = new Shape(input.get(0), kernel.get(0), input.get(2) + 2L * pad - kernel.get(2) + 1,
        input.get(3) + 2L * pad - kernel.get(3) + 1);
    float[] weights = gaussian(rng, output.size());
    float[] expected = inputGradient(reference, x, input, w, kernel, b, weights, output, pad);
    float[] actual = inputGradient(op, x, input, w, kernel, b, weights, output, pad);
    double largest = 0;
    for (float v : expected) {
      largest = Math.max(largest, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      // Written so that NaN fails.
      if (!(Math.abs(actual[i] - expected[i]) <= TOLERANCE * largest)) {
        return false;
      }
    }
    return true;
  }

  /** The gradient of {@code sum(op(x) * weights)} with respect to {@code x}. */
  private static float[] inputGradient(Op op, float[] x, Shape input, float[] w, Shape kernel, float[] b,
      float[] weights, Shape output, int pad) {
    boolean gradMode = JniUtils.isGradMode();
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), PyTorchEngine.DJL_ENGINE)) {
      NDArray xs = TorchNet.owned(manager.create(x, input));
      xs.setRequiresGradient(true);
      NDArray ws = TorchNet.owned(manager.create(w, kernel));
      NDArray bs = TorchNet.owned(manager.create(b, new Shape(kernel.get(0))));
      NDArray weighting = TorchNet.owned(manager.create(weights, output));
      JniUtils.setGradMode(true);
      NDArray sum = op.apply(xs, ws, bs, pad).mul(weighting).sum();
      JniUtils.backward((PtNDArray) sum, (PtNDArray) manager.ones(sum.getShape()), false, false);
      return xs.getGradient().toFloatArray();
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  private static float[] gaussian(Random rng, long n) {
    float[] a = new float[Math.toIntExact(n)];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rng.nextGaussian();
    }
    return a;
  }
}
