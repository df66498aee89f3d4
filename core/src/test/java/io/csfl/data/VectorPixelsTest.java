package io.csfl.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The SIMD pixel scaling gives the scalar loop's floats to the bit, at every byte value, offset and length. */
class VectorPixelsTest {
  @Test
  void everyByteValueScalesToTheScalarLoopsBits() {
    assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "surefire starts the JVM with --add-modules jdk.incubator.vector");
    byte[] bytes = new byte[256 * 3];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    assertSame(bytes, 0, bytes.length);
  }

  @Test
  void anyOffsetAndLengthIncludingTails() {
    Random rng = new Random(5);
    byte[] bytes = new byte[2000];
    rng.nextBytes(bytes);
    for (int trial = 0; trial < 500; trial++) {
      int src = rng.nextInt(200);
      assertSame(bytes, src, rng.nextInt(bytes.length - src));
    }
  }

  private static void assertSame(byte[] bytes, int src, int n) {
    int dst = 3;
    float[] scalar = new float[dst + n + 5];
    float[] vector = new float[dst + n + 5];
    java.util.Arrays.fill(scalar, -7f);
    java.util.Arrays.fill(vector, -7f);
    Dataset.scale(bytes, src, scalar, dst, n);
    VectorPixels.scale(bytes, src, vector, dst, n);
    for (int i = 0; i < scalar.length; i++) {
      assertEquals(Float.floatToRawIntBits(scalar[i]), Float.floatToRawIntBits(vector[i]), "at " + i + " (src " + src + ", n " + n + ")");
    }
  }
}
