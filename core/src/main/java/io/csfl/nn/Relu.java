package io.csfl.nn;

import io.csfl.internal.simd.SimdWarmUp;

/** max(0, x), unit by unit. */
final class Relu implements Layer {
  private final int size;

  Relu(int size) {
    this.size = size;
  }

  @Override
  public int inputSize() {
    return size;
  }

  /** The SIMD backward pass against the scalar one until the JIT has compiled it ({@link SimdWarmUp}). */
  private static final SimdWarmUp BACKWARD = new SimdWarmUp();

  @Override
  public int outputSize() {
    return size;
  }

  @Override
  public void forward(float[] x, float[] y, int batch) {
    int n = batch * size;
    for (int i = 0; i < n; i++) {
      y[i] = Math.max(0f, x[i]);
    }
  }

  @Override
  public void backward(float[] x, float[] y, float[] dy, float[] dx, int batch) {
    if (dx == null) {
      return;
    }
    int n = batch * size;
    if (Gemm.simd() && BACKWARD.warm()) {
      VectorRelu.backward(y, dy, dx, n);
    } else if (Gemm.simd()) {
      BACKWARD.run(n, () -> VectorRelu.backward(y, dy, dx, n), () -> backward(y, dy, dx, 0, n));
    } else {
      backward(y, dy, dx, 0, n);
    }
  }

  /** The gradient of units {@code from..to}: passed through where the unit fired. */
  static void backward(float[] y, float[] dy, float[] dx, int from, int to) {
    for (int i = from; i < to; i++) {
      dx[i] = y[i] > 0f ? dy[i] : 0f;
    }
  }
}
