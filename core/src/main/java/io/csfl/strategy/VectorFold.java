package io.csfl.strategy;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD form of {@link Fold}: floats widened to double lanes, multiplied by the weight, added to the sums, four at
 * a time. Only parts whose positions are consecutive (dense sections, values over a whole tensor) go through lanes;
 * the others take the scalar loop. Vectorising the consecutive runs inside a masked part, chunk by chunk, was
 * measured slower than the scalar loop for random masks of 10% and 90% density (the runs are short and the branch
 * that finds them is poorly predicted). Loaded only when the JVM has the incubator module.
 */
final class VectorFold {
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_256;
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_128;

  private VectorFold() {}

  /**
   * {@link Fold#into}. Positions ascend strictly, so n of them span n - 1 exactly when they are consecutive.
   */
  static void into(double[] target, int[] positions, float[] values, double weight) {
    int n = values.length;
    if (positions == null) {
      contiguous(target, 0, values, n, weight);
    } else if (n > 0 && positions[n - 1] - positions[0] == n - 1) {
      contiguous(target, positions[0], values, n, weight);
    } else {
      Fold.scattered(target, positions, values, 0, n, weight);
    }
  }

  /** {@code target[at + i] += weight * values[i]} for {@code i < n}: widen, multiply, add; never fused. */
  private static void contiguous(double[] target, int at, float[] values, int n, double weight) {
    DoubleVector w = DoubleVector.broadcast(D, weight);
    int i = 0;
    for (int upper = D.loopBound(n); i < upper; i += D.length()) {
      DoubleVector v = (DoubleVector) FloatVector.fromArray(F, values, i).convertShape(VectorOperators.F2D, D, 0);
      DoubleVector.fromArray(D, target, at + i).add(v.mul(w)).intoArray(target, at + i);
    }
    Fold.contiguous(target, at + i, values, i, n - i, weight);
  }
}
