package io.csfl.djl;

import io.csfl.nn.OptimizerConfig;

/**
 * The Java engine's optimisers, applied to the parameters in PyTorch's layouts after PyTorch
 * computed their gradients: Adam with Keras' constants and epsilon added to the square root of
 * the second moment, and heavy-ball SGD. The update is plain Java on float arrays, so it is
 * CSFL's to the letter, and no array PyTorch holds is changed in place. One instance per training run.
 */
final class TorchOptimizer {
  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final float EPSILON = 1e-7f;
  private final OptimizerConfig config;
  private float[][] first;
  private float[][] second;
  private int steps;

  TorchOptimizer(OptimizerConfig config) {
    this.config = config;
  }

  /** One step of every parameter from its gradient; the state is sized on the first call. */
  void step(float[][] params, float[][] grads) {
    if (first == null) {
      first = new float[params.length][];
      second = new float[params.length][];
      for (int t = 0; t < params.length; t++) {
        first[t] = new float[params[t].length];
        second[t] = new float[params[t].length];
      }
    }
    steps++;
    for (int t = 0; t < params.length; t++) {
      if (config.kind() == OptimizerConfig.Kind.ADAM) {
        adam(params[t], grads[t], first[t], second[t]);
      } else {
        sgd(params[t], grads[t], first[t]);
      }
    }
  }

  private void adam(float[] w, float[] g, float[] mean, float[] meanSquare) {
    float rate = (float) (config.learningRate() * Math.sqrt(1 - Math.pow(BETA2, steps)) / (1 - Math.pow(BETA1, steps)));
    float b1 = (float) BETA1;
    float b2 = (float) BETA2;
    for (int i = 0; i < w.length; i++) {
      mean[i] = b1 * mean[i] + (1 - b1) * g[i];
      meanSquare[i] = b2 * meanSquare[i] + (1 - b2) * g[i] * g[i];
      w[i] -= rate * mean[i] / ((float) Math.sqrt(meanSquare[i]) + EPSILON);
    }
  }

  private void sgd(float[] w, float[] g, float[] velocity) {
    float lr = (float) config.learningRate();
    float momentum = (float) config.momentum();
    for (int i = 0; i < w.length; i++) {
      if (momentum == 0f) {
        w[i] -= lr * g[i];
      } else {
        velocity[i] = momentum * velocity[i] - lr * g[i];
        w[i] += velocity[i];
      }
    }
  }
}
