package io.csfl.nn;

/**
 * Updates parameters in place from their gradients. One instance per local training run: Adam's
 * moments and SGD's momentum live in it. {@link OptimizerConfig#create()} makes one; an engine that
 * computes gradients elsewhere (PyTorch, say) applies CSFL's own update with it, so every engine
 * steps its weights with the same arithmetic.
 */
public interface Optimizer {
  /**
   * Applies one update to {@code params} from {@code grads}, tensor by tensor; both arrays must keep the same
   * shapes from call to call, since an optimiser with state (momentum, Adam's moments) sizes it on the first step.
   */
  void step(float[][] params, float[][] grads);
}
