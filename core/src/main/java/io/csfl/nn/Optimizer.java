package io.csfl.nn;

/** Updates parameters in place from their gradients. One instance per local training run. */
interface Optimizer {
  /**
   * Applies one update to {@code params} from {@code grads}, tensor by tensor; both arrays must keep the same
   * shapes from call to call, since an optimiser with state (momentum, Adam's moments) sizes it on the first step.
   */
  void step(float[][] params, float[][] grads);
}
