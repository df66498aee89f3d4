package io.csfl.nn;

/**
 * An optimiser of this package that can zero the gradients in the same pass that reads them for
 * its update. {@link Network#trainBatch} then skips the separate pass that zeroes them before the
 * next batch's backward pass adds into them.
 */
interface ClearingOptimizer extends Optimizer {
  /** {@link #step}, leaving every element of {@code grads} zero (positive zero). */
  void stepAndClear(float[][] params, float[][] grads);
}
