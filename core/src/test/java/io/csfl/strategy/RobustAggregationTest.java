package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Clipping, trimmed mean and median against naive computations, on dense and on sparse updates. */
class RobustAggregationTest {
  private static final int SIZE = 40;
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("k", 8, 5), TensorSpec.bias("b", 3)));

  private static float[] gaussian(Random rng, int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rng.nextGaussian() * scale);
    }
    return v;
  }

  private static Payload dense(float[] kernel, float[] bias) {
    return new Payload(List.of(new DenseSection(0, Values.copyOf(kernel)), new DenseSection(1, Values.copyOf(bias))));
  }

  /** Naive L2 clipping of one update's difference from {@code base}, both tensors together. */
  private static float[][] clipped(float[][] update, float[][] base, double c) {
    double squares = 0;
    for (int t = 0; t < update.length; t++) {
      for (int i = 0; i < update[t].length; i++) {
        squares += Math.pow(update[t][i] - base[t][i], 2);
      }
    }
    double scale = Math.min(1, c / Math.sqrt(squares));
    float[][] out = new float[update.length][];
    for (int t = 0; t < update.length; t++) {
      out[t] = new float[update[t].length];
      for (int i = 0; i < out[t].length; i++) {
        out[t][i] = (float) (base[t][i] + scale * (update[t][i] - base[t][i]));
      }
    }
    return out;
  }

  private static double median(List<Float> values) {
    float[] v = sorted(values);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : ((double) v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private static double trimmedMean(List<Float> values, double f) {
    float[] v = sorted(values);
    int k = (int) Math.floor(f * v.length);
    double s = 0;
    for (int i = k; i < v.length - k; i++) {
      s += v[i];
    }
    return s / (v.length - 2 * k);
  }

  private static float[] sorted(List<Float> values) {
    float[] v = new float[values.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = values.get(i);
    }
    Arrays.sort(v);
    return v;
  }

  @Test
  void clippingScalesTheDifferenceFromTheSentModelDownToTheNormAndLeavesSmallUpdatesAlone() throws InvalidUpdateException {
    Random rng = new Random(1);
    float[][] base = {gaussian(rng, SIZE, 1), gaussian(rng, 3, 1)};
    Model global = Model.copyOf(SPEC, base);
    double c = 2.0;
    List<float[][]> updates = new ArrayList<>();
    int[] examples = {5, 7, 11};
    for (double spread : new double[] {0.01, 1, 1e4}) {
      float[][] u = {gaussian(rng, SIZE, spread), gaussian(rng, 3, spread)};
      for (int t = 0; t < 2; t++) {
        for (int i = 0; i < u[t].length; i++) {
          u[t][i] += base[t][i];
        }
      }
      updates.add(u);
    }
    WeightedSum sum = new WeightedSum(SPEC, new RobustAggregation(RobustAggregation.Rule.MEAN, 0, c));
    for (int k = 0; k < updates.size(); k++) {
      sum.add(dense(updates.get(k)[0], updates.get(k)[1]), examples[k], t -> WeightedSum.Expect.DENSE, global);
    }
    for (int t = 0; t < 2; t++) {
      double[] expected = new double[base[t].length];
      for (int k = 0; k < updates.size(); k++) {
        float[] clip = clipped(updates.get(k), base, c)[t];
        for (int i = 0; i < expected.length; i++) {
          expected[i] += examples[k] * (double) clip[i] / 23;
        }
      }
      float[] mean = sum.mean(t);
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], mean[i], 1e-5 * (1 + Math.abs(expected[i])), "tensor " + t + " position " + i);
      }
    }
    // The smallest update is within the norm: alone, it comes out exactly as sent.
    WeightedSum one = new WeightedSum(SPEC, new RobustAggregation(RobustAggregation.Rule.MEAN, 0, c));
    one.add(dense(updates.get(0)[0], updates.get(0)[1]), 5, t -> WeightedSum.Expect.DENSE, global);
    assertArrayEquals(updates.get(0)[0], one.mean(0));
  }

  @Test
  void anUpdateOfDifferencesIsClippedByItsOwnNorm() throws InvalidUpdateException {
    float[] kernel = new float[SIZE];
    kernel[0] = 30;
    kernel[1] = 40;
    WeightedSum sum = new WeightedSum(SPEC, new RobustAggregation(RobustAggregation.Rule.MEDIAN, 0, 5));
    sum.add(dense(kernel, new float[3]), 1, t -> WeightedSum.Expect.DENSE);
    float[] out = sum.mean(0);
    assertEquals(3f, out[0], 1e-6);
    assertEquals(4f, out[1], 1e-6);
  }

  @Test
  void medianAndTrimmedMeanCombineOnlyTheClientsThatSentEachPosition() throws InvalidUpdateException {
    Random rng = new Random(7);
    int clients = 9;
    List<List<Float>> byPosition = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      byPosition.add(new ArrayList<>());
    }
    List<Payload> updates = new ArrayList<>();
    for (int k = 0; k < clients; k++) {
      // Each client sends a different random subset of the kernel; position 0 by nobody.
      List<Integer> chosen = new ArrayList<>();
      for (int i = 1; i < SIZE; i++) {
        if (rng.nextDouble() < 0.5) {
          chosen.add(i);
        }
      }
      int[] positions = chosen.stream().mapToInt(Integer::intValue).toArray();
      float[] values = gaussian(rng, positions.length, 1);
      if (k == 0) {
        Arrays.fill(values, 1e4f);
      }
      for (int j = 0; j < positions.length; j++) {
        byPosition.get(positions[j]).add(values[j]);
      }
      updates.add(new Payload(List.of(new MaskedSection(0, Mask.fromPositions(SIZE, positions), Values.copyOf(values)),
          new MaskedSection(1, Mask.fromPositions(3, new int[0]), Values.copyOf(new float[0])))));
    }
    RobustAggregation median = RobustAggregation.parse("median", Double.POSITIVE_INFINITY);
    RobustAggregation trimmed = RobustAggregation.parse("trimmed-mean:0.2", Double.POSITIVE_INFINITY);
    for (RobustAggregation rule : List.of(median, trimmed)) {
      WeightedSum sum = new WeightedSum(SPEC, rule);
      for (int k = 0; k < clients; k++) {
        // Example weights differ wildly: the coordinate-wise rules count every client once.
        sum.add(updates.get(k), k == 0 ? 1_000_000 : 1 + k, t -> WeightedSum.Expect.anySubset(SPEC.tensor(t)));
      }
      float[] out = sum.mean(0);
      assertEquals(0f, out[0], "a position nobody sent stays at zero");
      for (int i = 1; i < SIZE; i++) {
        List<Float> values = byPosition.get(i);
        double expected = values.isEmpty() ? 0 : rule == median ? median(values) : trimmedMean(values, 0.2);
        assertEquals(expected, out[i], 1e-6 * (1 + Math.abs(expected)), rule + " at position " + i + " over " + values);
      }
      assertArrayEquals(new float[3], sum.mean(1));
      sum.reset();
      assertArrayEquals(new float[SIZE], sum.mean(0), "reset forgets the round's updates");
    }
  }

  @Test
  void oneScaledUpdateAmongTenMovesTheMedianLittleAndTheMeanFar() throws InvalidUpdateException {
    Random rng = new Random(3);
    Model global = Model.zeros(SPEC);
    List<Payload> updates = new ArrayList<>();
    for (int k = 0; k < 10; k++) {
      float[] kernel = gaussian(rng, SIZE, 0.1);
      if (k == 0) {
        for (int i = 0; i < SIZE; i++) {
          kernel[i] *= 1e4f;
        }
      }
      updates.add(dense(kernel, new float[3]));
    }
    float worstMean = 0;
    float worstMedian = 0;
    WeightedSum mean = new WeightedSum(SPEC);
    WeightedSum median = new WeightedSum(SPEC, RobustAggregation.parse("median", Double.POSITIVE_INFINITY));
    for (Payload u : updates) {
      mean.add(u, 100, t -> WeightedSum.Expect.DENSE, global);
      median.add(u, 100, t -> WeightedSum.Expect.DENSE, global);
    }
    for (int i = 0; i < SIZE; i++) {
      worstMean = Math.max(worstMean, Math.abs(mean.mean(0)[i]));
      worstMedian = Math.max(worstMedian, Math.abs(median.mean(0)[i]));
    }
    assertTrue(worstMean > 10, "the mean follows the attacker: " + worstMean);
    assertTrue(worstMedian < 1, "the median stays with the honest clients: " + worstMedian);
  }

  @Test
  void theCommandLineFormIsCheckedWithAClearMessage() {
    assertEquals(RobustAggregation.NONE, RobustAggregation.parse(" Mean ", Double.POSITIVE_INFINITY));
    assertEquals(new RobustAggregation(RobustAggregation.Rule.TRIMMED_MEAN, 0.1, 3), RobustAggregation.parse("trimmed-mean:0.1", 3));
    for (String bad : List.of("trimmed-mean:0.5", "trimmed-mean:-0.1", "trimmed-mean:x", "trimmed-mean:NaN", "mode", "")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RobustAggregation.parse(bad, 1));
      assertTrue(e.getMessage().contains("trimmed-mean") || e.getMessage().contains("aggregation"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> RobustAggregation.parse("median", 0));
    assertThrows(IllegalArgumentException.class, () -> RobustAggregation.parse("median", Double.NaN));
  }
}
