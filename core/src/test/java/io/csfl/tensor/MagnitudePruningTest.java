package io.csfl.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MagnitudePruningTest {
  private static void assertSameMaskForEveryKeep(float[] values, String what) {
    int n = values.length;
    for (int keep = 0; keep <= n; keep++) {
      Mask expected = SortedMagnitudePruning.topMagnitude(values, keep);
      Mask actual = MagnitudePruning.topMagnitude(values, keep);
      assertEquals(expected, actual, what + ", keep " + keep + " of " + n);
      assertEquals(keep, actual.cardinality(), what + ", keep " + keep);
    }
  }

  @Test
  void matchesTheSortOnTiesZerosAndNegativeZeros() {
    Random rng = new Random(11);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + rng.nextInt(150);
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        v[i] = switch (rng.nextInt(6)) {
          case 0 -> 0f;
          case 1 -> -0f;
          case 2 -> rng.nextBoolean() ? 0.5f : -0.5f; // many equal magnitudes of both signs
          case 3 -> Float.MIN_VALUE * (1 + rng.nextInt(3)) * (rng.nextBoolean() ? 1 : -1); // subnormals
          default -> (float) rng.nextGaussian();
        };
      }
      assertSameMaskForEveryKeep(v, "trial " + trial);
    }
  }

  @Test
  void matchesTheSortWhenMagnitudesShareHighBitsButDifferInTheLowest() {
    // Neighbouring floats: the first two passes cannot tell them apart, the last one must.
    float[] v = new float[130];
    float x = 1.2345f;
    for (int i = 0; i < v.length; i++) {
      v[i] = (i % 2 == 0 ? 1 : -1) * Float.intBitsToFloat(Float.floatToRawIntBits(x) + (i * 37) % 11);
    }
    assertSameMaskForEveryKeep(v, "neighbouring floats");
  }

  @Test
  void matchesTheSortWithInfinitiesAndExtremes() {
    float[] v = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
        Float.MIN_NORMAL, -Float.MIN_VALUE, 1f, -1f, 1f};
    assertSameMaskForEveryKeep(v, "extremes");
  }

  @Test
  void allEqualMagnitudesKeepTheFirstPositions() {
    float[] v = new float[200];
    for (int i = 0; i < v.length; i++) {
      v[i] = i % 3 == 0 ? -0.25f : 0.25f;
    }
    Mask mask = MagnitudePruning.topMagnitude(v, 70);
    for (int i = 0; i < v.length; i++) {
      assertEquals(i < 70, mask.get(i), "position " + i);
    }
  }

  @Test
  void matchesTheSortOnAModelSizedTensor() {
    Random rng = new Random(5);
    float[] v = new float[300_000];
    for (int i = 0; i < v.length; i++) {
      // Quantised values: thousands of ties at every threshold.
      v[i] = rng.nextInt(10) == 0 ? 0f : Math.round(rng.nextGaussian() * 200) / 1024f;
    }
    for (double sparsity : new double[] {0, 0.5, 0.9, 0.99, 0.999999}) {
      int keep = MagnitudePruning.keptCount(v.length, sparsity);
      assertEquals(SortedMagnitudePruning.topMagnitude(v, keep), MagnitudePruning.topMagnitude(v, keep), "sparsity " + sparsity);
    }
  }

  @Test
  void oneThresholdAcrossTensorsMatchesTheSortOfTheirConcatenation() {
    Random rng = new Random(17);
    for (int trial = 0; trial < 50; trial++) {
      float[][] tensors = new float[1 + rng.nextInt(4)][];
      java.util.List<Values> values = new java.util.ArrayList<>();
      int total = 0;
      for (int t = 0; t < tensors.length; t++) {
        tensors[t] = new float[rng.nextInt(90)];
        float scale = 1 + rng.nextInt(3); // some layers larger than others
        for (int i = 0; i < tensors[t].length; i++) {
          tensors[t][i] = rng.nextInt(4) == 0 ? 0.5f : rng.nextInt(8) == 0 ? -0f : scale * Math.round(rng.nextGaussian() * 8) / 8f;
        }
        values.add(Values.copyOf(tensors[t]));
        total += tensors[t].length;
      }
      float[] all = new float[total];
      int at = 0;
      for (float[] t : tensors) {
        System.arraycopy(t, 0, all, at, t.length);
        at += t.length;
      }
      for (int keep = 0; keep <= total; keep += 1 + keep / 7) {
        Mask expected = SortedMagnitudePruning.topMagnitude(all, keep);
        Mask[] actual = MagnitudePruning.topMagnitude(values, keep);
        at = 0;
        for (int t = 0; t < tensors.length; t++) {
          for (int i = 0; i < tensors[t].length; i++, at++) {
            assertEquals(expected.get(at), actual[t].get(i), "trial " + trial + ", keep " + keep + ", tensor " + t + "[" + i + "]");
          }
        }
      }
    }
  }
}
