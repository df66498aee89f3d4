package io.csfl.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD form of {@link Relu}'s backward pass: a compare and a blend per vector of units. The scalar
 * loop branches on whether a unit fired, which goes either way about half the time at random, so
 * the branch predictor misses often; the compare and blend have no branch to miss. Loaded only
 * when the JVM has the incubator module.
 */
final class VectorRelu {
  private static final VectorSpecies<Float> S = VectorGemm.S;

  private VectorRelu() {}

  /** {@code dx[i] = y[i] > 0 ? dy[i] : 0} for {@code i < n}. */
  static void backward(float[] y, float[] dy, float[] dx, int n) {
    FloatVector zero = FloatVector.zero(S);
    int i = 0;
    for (int upper = S.loopBound(n); i < upper; i += S.length()) {
      FloatVector fired = FloatVector.fromArray(S, y, i);
      zero.blend(FloatVector.fromArray(S, dy, i), fired.compare(VectorOperators.GT, 0f)).intoArray(dx, i);
    }
    Relu.backward(y, dy, dx, i, n);
  }
}
