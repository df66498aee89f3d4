package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The vector fold must add to the same bits as the scalar one, or a round's mean would depend on the JVM's flags. */
class FoldTest {
  private static final int SIZE = 10_007;

  @Test
  void theTestJvmHasTheVectorApi() {
    assertTrue(Fold.VECTORIZED, "surefire starts the JVM with --add-modules jdk.incubator.vector");
  }

  @Test
  void denseUpdatesFoldToTheSameBits() {
    Random rng = new Random(1);
    for (int size : new int[] {0, 1, 3, 7, 8, 9, 31, SIZE}) {
      assertSameBits(null, values(rng, size), rng);
    }
  }

  @Test
  void sparseUpdatesFoldToTheSameBits() {
    Random rng = new Random(2);
    // 10% (runs of one, mostly), a complement of that (long runs with gaps), and half: every mix of run lengths.
    for (double density : new double[] {0.01, 0.1, 0.5, 0.9, 0.99, 1}) {
      int[] positions = positions(rng, density);
      assertSameBits(positions, values(rng, positions.length), rng);
    }
    // Consecutive positions that do not start at 0: a values section over one block of a tensor.
    int[] block = IntStream.range(101, 5003).toArray();
    assertSameBits(block, values(rng, block.length), rng);
  }

  @Test
  void signUpdatesFoldToTheSameBits() {
    Random rng = new Random(3);
    for (double density : new double[] {0.1, 0.9}) {
      int[] positions = positions(rng, density);
      float step = (float) (rng.nextGaussian() * 1e-3);
      float[] signs = new float[positions.length];
      for (int j = 0; j < signs.length; j++) {
        signs[j] = rng.nextBoolean() ? step : -step;
      }
      assertSameBits(positions, signs, rng);
    }
  }

  /** Folds ten updates with varied weights into equal random sums both ways and compares every bit. */
  private static void assertSameBits(int[] positions, float[] values, Random rng) {
    double[] start = new double[SIZE];
    for (int i = 0; i < SIZE; i++) {
      start[i] = rng.nextGaussian() * Math.pow(10, rng.nextInt(9) - 4);
    }
    double[] scalar = start.clone();
    double[] vector = start.clone();
    for (int client = 0; client < 10; client++) {
      // Example counts make exact products; other weights round them, where a fused multiply-add would differ.
      double weight = client % 2 == 0 ? 1 + rng.nextInt(5000) : rng.nextDouble() * 1000;
      Fold.scalar(scalar, positions, values, weight);
      VectorFold.into(vector, positions, values, weight);
    }
    assertArrayEquals(bits(scalar), bits(vector), "positions " + (positions == null ? "all" : positions.length));
    assertTrue(!Arrays.equals(bits(start), bits(scalar)) || values.length == 0, "the fold changed nothing");
  }

  private static long[] bits(double[] a) {
    return Arrays.stream(a).mapToLong(Double::doubleToRawLongBits).toArray();
  }

  /** Values over many magnitudes, where a fused multiply-add or another order would round differently. */
  private static float[] values(Random rng, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(9) - 4));
    }
    return v;
  }

  private static int[] positions(Random rng, double density) {
    return IntStream.range(0, SIZE).filter(i -> rng.nextDouble() < density).toArray();
  }
}
