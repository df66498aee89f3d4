package io.csfl.data;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD form of {@link Dataset}'s pixel scaling, {@code x = (b & 0xFF) * (1f / 255f)}: a float vector
 * of bytes at a time, widened signed, lifted by 256 where negative (both exact in float), then
 * multiplied by the same constant, so every value is the scalar loop's to the bit. Loaded only when
 * the JVM has the incubator module.
 */
final class VectorPixels {
  /** The training kernels' species; see {@code VectorFold} on why a second float width is avoided. */
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  /** As many byte lanes as F has float lanes. */
  private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * Byte.SIZE));

  private VectorPixels() {}

  /** {@code x[dst + p] = (bytes[src + p] & 0xFF) * (1f / 255f)} for {@code p < n}. */
  static void scale(byte[] bytes, int src, float[] x, int dst, int n) {
    int p = 0;
    for (int upper = F.loopBound(n); p < upper; p += F.length()) {
      FloatVector signed = (FloatVector) ByteVector.fromArray(B, bytes, src + p).convertShape(VectorOperators.B2F, F, 0);
      signed.add(256f, signed.lt(0f)).mul(1f / 255f).intoArray(x, dst + p);
    }
    Dataset.scale(bytes, src + p, x, dst + p, n - p);
  }
}
