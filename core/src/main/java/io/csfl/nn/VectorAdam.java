package io.csfl.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD form of {@link Adam}'s update of one tensor: the same float operations in the same order
 * (no fused multiply-add; a float square root is correctly rounded, as is the double one the
 * scalar loop rounds back to float; tiny moments flushed to zero alike), so the result is the
 * scalar loop's to the bit. Loaded only when the JVM has the incubator module.
 */
final class VectorAdam {
  private static final VectorSpecies<Float> S = VectorGemm.S;

  private VectorAdam() {}

  static void update(float[] p, float[] g, float[] m, float[] v, float b1, float b2, float stepSize, float epsilon) {
    float c1 = 1 - b1;
    float c2 = 1 - b2;
    int i = 0;
    for (int upper = S.loopBound(p.length); i < upper; i += S.length()) {
      FloatVector gi = FloatVector.fromArray(S, g, i);
      FloatVector mi = flushTiny(FloatVector.fromArray(S, m, i).mul(b1).add(gi.mul(c1)));
      FloatVector vi = flushTiny(FloatVector.fromArray(S, v, i).mul(b2).add(gi.mul(c2).mul(gi)));
      mi.intoArray(m, i);
      vi.intoArray(v, i);
      FloatVector step = mi.mul(stepSize).div(vi.sqrt().add(epsilon));
      FloatVector.fromArray(S, p, i).sub(step).intoArray(p, i);
    }
    Adam.update(p, g, m, v, b1, b2, stepSize, epsilon, i);
  }

  /** {@link Moments#flushTiny} lane by lane. */
  private static FloatVector flushTiny(FloatVector x) {
    return x.blend(0f, x.abs().lt(Moments.TINY));
  }
}
