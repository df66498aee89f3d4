package io.csfl.nn;

/**
 * What the optimisers do with the state they carry from step to step (Adam's moments, SGD's
 * velocity): a value smaller than {@link #TINY} in magnitude is stored as zero.
 *
 * <p>A weight whose gradient stays zero (one into a unit whose ReLU stays quiet) has its state
 * multiplied by a decay factor (Adam's beta1 of 0.9, a momentum) at every step. After some 800
 * steps it is subnormal, and without a flush it stays so for good: 0.9 times the smallest
 * subnormal float rounds back to it. Intel CPUs compute on subnormals through a microcode assist,
 * many times slower: on an Intel Xeon, Adam's update of the mlp's 199,210 weights took 1.5 ms per
 * step in that state instead of 0.17 with the flush. Flushing at 2^-100 rather than at the
 * subnormals' bound keeps the state's products (with Adam's step size) out of their range too.
 */
final class Moments {
  /**
   * Far below anything that moves a weight: a moment this small changes a weight by at most Adam's
   * {@code stepSize * 2^-100 / epsilon}, under 1e-25 at a step size of 0.01, and a velocity by
   * at most 2^-100; either changes only a weight within about 1e-18 of zero.
   */
  static final float TINY = 0x1p-100f;

  private Moments() {}

  /** {@code x}, or +0 when {@code |x| < }{@link #TINY}. */
  static float flushTiny(float x) {
    return Math.abs(x) < TINY ? 0f : x;
  }
}
