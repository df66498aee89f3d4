package io.csfl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.internal.data.LabelEntropy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The two Dirichlet splits of the real Fashion-MNIST training labels among 100 clients. */
class DirichletPartitionerTest {
  private static final int CLIENTS = 100;
  private static final long[] SEEDS = {1, 2, 3};
  private static Dataset train;

  @BeforeAll
  static void load() {
    Path data = Stream.iterate(Path.of("").toAbsolutePath(), p -> p != null, Path::getParent)
        .map(p -> p.resolve("data/fashion-mnist")).filter(Files::isDirectory).findFirst()
        .orElseThrow(() -> new IllegalStateException("data/fashion-mnist not found above " + Path.of("").toAbsolutePath()));
    train = FashionMnist.loadFrom(data).train();
  }

  private static double meanEntropyOverSeeds(String spec) {
    return Arrays.stream(SEEDS).mapToDouble(seed -> LabelEntropy.meanBits(train, split(spec, seed))).average().orElseThrow();
  }

  private static List<int[]> split(String spec, long seed) {
    return Partitioner.parse(spec).split(train, CLIENTS, new Random(seed));
  }

  /**
   * When each class is divided by Dirichlet(alpha) among many clients, a client's label mix is
   * close to a Dirichlet(alpha, ..., alpha) draw over the 10 (equally frequent) classes, whose
   * expected entropy is psi(10 alpha + 1) - psi(alpha + 1) nats (2.06 bits at 0.3, 2.41 at 0.5).
   * The mean over 3 x 100 clients has a standard deviation near 0.03 bits; the band is 0.1. The
   * capped split falls well below it: the test tells the two apart.
   */
  @Test
  void theTextbookSplitGivesClientsTheLabelMixOfDirichletAlpha() {
    for (double alpha : new double[] {0.3, 0.5}) {
      double theory = (digamma(10 * alpha + 1) - digamma(alpha + 1)) / Math.log(2);
      double textbook = meanEntropyOverSeeds("dirichlet:" + alpha);
      double capped = meanEntropyOverSeeds("dirichlet-capped:" + alpha);
      assertEquals(theory, textbook, 0.1, "dirichlet:" + alpha);
      assertTrue(capped < theory - 0.15, "dirichlet-capped:" + alpha + " has " + capped + " bits, theory " + theory);
    }
  }

  /** psi(x) for x > 0: the recurrence up to 6, then the asymptotic series. */
  static double digamma(double x) {
    double shift = 0;
    while (x < 6) {
      shift -= 1 / x;
      x += 1;
    }
    double f = 1 / (x * x);
    return shift + Math.log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f / 240)));
  }

  @Test
  void digammaMatchesKnownValues() {
    assertEquals(-0.5772156649, digamma(1), 1e-9);
    assertEquals(2 - 0.5772156649 - 2 * Math.log(2), digamma(1.5), 1e-9);
  }

  @Test
  void everyExampleGoesToExactlyOneClientAndEveryClientCanTrain() {
    for (String spec : List.of("dirichlet:0.3", "dirichlet:0.1", "dirichlet-capped:0.3")) {
      List<int[]> parts = split(spec, 1);
      int[] seen = new int[train.size()];
      for (int[] part : parts) {
        assertTrue(part.length >= DirichletPartitioner.MIN_EXAMPLES, spec + ": a client with " + part.length + " examples");
        for (int i : part) {
          seen[i]++;
        }
      }
      assertTrue(Arrays.stream(seen).allMatch(n -> n == 1), spec);
      List<int[]> again = split(spec, 1);
      for (int c = 0; c < CLIENTS; c++) {
        assertArrayEquals(parts.get(c), again.get(c), spec + " with the same seed");
      }
    }
  }

  /** The capped convention is the split {@code dirichlet:A} used to make, to the index. */
  @Test
  void theCappedSplitIsTheOneDirichletUsedToMake() {
    int[][] expected = {{1996613795, -1966548685, 1150644287}, {-1002495323, -1481033669, -936688683}};
    double[] alphas = {0.3, 0.5};
    for (int a = 0; a < alphas.length; a++) {
      for (int s = 0; s < SEEDS.length; s++) {
        List<int[]> parts = split("dirichlet-capped:" + alphas[a], SEEDS[s]);
        assertEquals(expected[a][s], Arrays.deepHashCode(parts.toArray(int[][]::new)), "alpha " + alphas[a] + ", seed " + SEEDS[s]);
      }
    }
  }
}
