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
   * Moments smaller than this in magnitude are stored as zero ({@link #flushTiny}). Far below
   * anything that moves a weight: such a moment changes a weight by at most
   * {@code stepSize * 2^-100 / epsilon}, under 1e-25 at a step size of 0.01.
   */
  static final float TINY = 0x1p-100f;

  /**
   * The update of one tensor from position {@code from} on, with moments below {@link #TINY}
   * flushed to zero. A weight whose gradient stays zero (one into a unit whose ReLU stays quiet)
   * has its first moment multiplied by beta1 at every step: after some 800 steps it is subnormal,
   * and without a flush it stays so for good (0.9 times the smallest subnormal rounds back to it).
   * Intel CPUs compute on subnormals through a microcode assist: the update of the mlp's 199,210
   * weights took 1.5 ms per step in that state instead of 0.17 with the flush (AMD's are hardly
   * slowed). Flushing at 2^-100 rather than at the subnormals' bound keeps the products with the
   * step size out of their range too.
   */
  static void update(float[] p, float[] g, float[] mk, float[] vk, float b1, float b2, float stepSize, float epsilon, int from) {
    for (int i = from; i < p.length; i++) {
      float gi = g[i];
      float m = flushTiny(b1 * mk[i] + (1 - b1) * gi);
      float v = flushTiny(b2 * vk[i] + (1 - b2) * gi * gi);
      mk[i] = m;
      vk[i] = v;
      p[i] -= stepSize * m / ((float) Math.sqrt(v) + epsilon);
    }
  }

  /** {@code x}, or +0 when {@code |x| < }{@link #TINY}. */
  static float flushTiny(float x) {
    return Math.abs(x) < TINY ? 0f : x;
  }
}
