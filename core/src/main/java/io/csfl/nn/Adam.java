package io.csfl.nn;

import io.csfl.internal.simd.SimdWarmUp;

/**
 * Adam (Kingma and Ba) with Keras' defaults (beta1 0.9, beta2 0.999, epsilon 1e-7), the
 * optimiser of the CS reference code.
 */
final class Adam implements Optimizer {
  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final float EPSILON = 1e-7f;
  /** The SIMD update against the scalar one until the JIT has compiled it ({@link SimdWarmUp}). */
  private static final SimdWarmUp UPDATE = new SimdWarmUp();
  private final double lr;
  private float[][] m;
  private float[][] v;
  private int t;

  Adam(double lr) {
    this.lr = lr;
  }

  @Override
  public void step(float[][] params, float[][] grads) {
    if (m == null) {
      m = new float[params.length][];
      v = new float[params.length][];
      for (int i = 0; i < params.length; i++) {
        m[i] = new float[params[i].length];
        v[i] = new float[params[i].length];
      }
    }
    t++;
    float stepSize = (float) (lr * Math.sqrt(1 - Math.pow(BETA2, t)) / (1 - Math.pow(BETA1, t)));
    float b1 = (float) BETA1;
    float b2 = (float) BETA2;
    for (int k = 0; k < params.length; k++) {
      float[] p = params[k];
      float[] g = grads[k];
      float[] mk = m[k];
      float[] vk = v[k];
      if (Gemm.simd() && UPDATE.warm()) {
        VectorAdam.update(p, g, mk, vk, b1, b2, stepSize, EPSILON);
      } else if (Gemm.simd()) {
        UPDATE.run(p.length, () -> VectorAdam.update(p, g, mk, vk, b1, b2, stepSize, EPSILON),
            () -> update(p, g, mk, vk, b1, b2, stepSize, EPSILON, 0));
      } else {
        update(p, g, mk, vk, b1, b2, stepSize, EPSILON, 0);
      }
    }
  }

  /**
   * The update of one tensor from position {@code from} on, each moment stored through
   * {@link Moments#flushTiny}.
   */
  static void update(float[] p, float[] g, float[] mk, float[] vk, float b1, float b2, float stepSize, float epsilon, int from) {
    for (int i = from; i < p.length; i++) {
      float gi = g[i];
      float m = Moments.flushTiny(b1 * mk[i] + (1 - b1) * gi);
      float v = Moments.flushTiny(b2 * vk[i] + (1 - b2) * gi * gi);
      mk[i] = m;
      vk[i] = v;
      p[i] -= stepSize * m / ((float) Math.sqrt(v) + epsilon);
    }
  }
}
