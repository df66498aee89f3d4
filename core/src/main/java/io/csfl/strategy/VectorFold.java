package io.csfl.strategy;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD form of {@link Fold}: floats widened to double lanes, multiplied by the weight, added to the sums, a float
 * vector at a time. Only parts whose positions are consecutive (dense sections, values over a whole tensor) go through lanes;
 * the others take the scalar loop. Vectorising the consecutive runs inside a masked part, chunk by chunk, was
 * measured slower than the scalar loop for random masks of 10% and 90% density (the runs are short and the branch
 * that finds them is poorly predicted). Loaded only when the JVM has the incubator module.
 */
final class VectorFold {
  /**
   * The training kernels' species: on JDK 17 a second float species in the same JVM can leave one
   * of them uncompiled and ten times slower, so the fold reads floats at the same width and widens
   * each vector into two double vectors of that shape.
   */
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());

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
    int half = D.length();
    for (int upper = F.loopBound(n); i < upper; i += F.length()) {
      FloatVector f = FloatVector.fromArray(F, values, i);
      DoubleVector low = (DoubleVector) f.convertShape(VectorOperators.F2D, D, 0);
      DoubleVector high = (DoubleVector) f.convertShape(VectorOperators.F2D, D, 1);
      DoubleVector.fromArray(D, target, at + i).add(low.mul(w)).intoArray(target, at + i);
      DoubleVector.fromArray(D, target, at + i + half).add(high.mul(w)).intoArray(target, at + i + half);
    }
    Fold.contiguous(target, at + i, values, i, n - i, weight);
  }
}
