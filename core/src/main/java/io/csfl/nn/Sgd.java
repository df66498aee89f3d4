package io.csfl.nn;

/** Stochastic gradient descent with optional (heavy-ball) momentum, its velocities stored through {@link Moments#flushTiny}. */
final class Sgd implements ClearingOptimizer {
  private final float lr;
  private final float momentum;
  private float[][] velocity;

  Sgd(double lr, double momentum) {
    this.lr = (float) lr;
    this.momentum = (float) momentum;
  }

  @Override
  public void step(float[][] params, float[][] grads) {
    step(params, grads, false);
  }

  @Override
  public void stepAndClear(float[][] params, float[][] grads) {
    step(params, grads, true);
  }

  private void step(float[][] params, float[][] grads, boolean clear) {
    if (momentum == 0f) {
      for (int t = 0; t < params.length; t++) {
        if (clear) {
          Gemm.axpyAndClear(params[t].length, -lr, grads[t], 0, params[t], 0);
        } else {
          Gemm.axpy(params[t].length, -lr, grads[t], 0, params[t], 0);
        }
      }
      return;
    }
    if (velocity == null) {
      velocity = new float[params.length][];
      for (int t = 0; t < params.length; t++) {
        velocity[t] = new float[params[t].length];
      }
    }
    for (int t = 0; t < params.length; t++) {
      float[] p = params[t];
      float[] g = grads[t];
      float[] v = velocity[t];
      for (int i = 0; i < p.length; i++) {
        v[i] = Moments.flushTiny(momentum * v[i] - lr * g[i]);
        p[i] += v[i];
        if (clear) {
          g[i] = 0f;
        }
      }
    }
  }
}
