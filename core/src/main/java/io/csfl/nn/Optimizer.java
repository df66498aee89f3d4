package io.csfl.nn;

/** Updates parameters in place from their gradients. One instance per local training run. */
public interface Optimizer {
  void step(float[][] params, float[][] grads);
}
