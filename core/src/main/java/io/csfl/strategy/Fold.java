package io.csfl.strategy;

import io.csfl.internal.simd.SimdWarmUp;

/**
 * {@code target[position(j)] += weight * values[j]}: how {@link WeightedSum} adds one part of an update to its double
 * sums. Each element is one double multiply (the float widened exactly) and one double add, in that order, in both
 * implementations: {@link VectorFold} does the same two roundings per lane, never a fused multiply-add, so a round
 * aggregates to the same bits whichever runs. The vector one is used when the JVM has the Vector API
 * ({@code --add-modules jdk.incubator.vector}).
 */
final class Fold {
  /** Whether this JVM has the Vector API. */
  static final boolean VECTORIZED = SimdWarmUp.VECTOR_API;
  /** The vector fold against the scalar one until the JIT has compiled it ({@link SimdWarmUp}). */
  private static final SimdWarmUp WARM_UP = new SimdWarmUp();

  private Fold() {}

  /**
   * Adds {@code weight * values[j]} to {@code target} at {@code positions[j]}, or at {@code j} when {@code positions}
   * is null. Positions must be strictly ascending, as a mask's always are: a part whose positions are consecutive
   * goes through vector lanes.
   */
  static void into(double[] target, int[] positions, float[] values, double weight) {
    int n = values.length;
    boolean consecutive = positions == null || (n > 0 && positions[n - 1] - positions[0] == n - 1);
    if (VECTORIZED && consecutive && WARM_UP.warm()) {
      VectorFold.into(target, positions, values, weight);
    } else if (VECTORIZED && consecutive) {
      // Only consecutive parts go through lanes; timing the others would compare the scalar loop with itself.
      WARM_UP.run(n, () -> VectorFold.into(target, positions, values, weight), () -> scalar(target, positions, values, weight));
    } else {
      scalar(target, positions, values, weight);
    }
  }

  /** The element-by-element loop: the reference {@link VectorFold} must match to the bit. */
  static void scalar(double[] target, int[] positions, float[] values, double weight) {
    if (positions == null) {
      contiguous(target, 0, values, 0, values.length, weight);
      return;
    }
    scattered(target, positions, values, 0, values.length, weight);
  }

  /** {@code target[positions[j]] += weight * values[j]} for {@code from <= j < to}. */
  static void scattered(double[] target, int[] positions, float[] values, int from, int to, double weight) {
    for (int j = from; j < to; j++) {
      target[positions[j]] += weight * values[j];
    }
  }

  /** {@code target[at + i] += weight * values[from + i]} for {@code i < count}. */
  static void contiguous(double[] target, int at, float[] values, int from, int count, double weight) {
    for (int i = 0; i < count; i++) {
      target[at + i] += weight * values[from + i];
    }
  }
}
