package io.csfl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.internal.data.LabelEntropy;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** FedProx's Synthetic(alpha, beta): shapes, device sizes, the per-device split, determinism. */
class SyntheticFederatedTest {
  @Test
  void aSeedAlwaysGivesTheSameDataAndAnotherSeedOtherData() {
    Splits a = SyntheticFederated.generate(1, 1, 5);
    Splits b = SyntheticFederated.generate(1, 1, 5);
    assertEquals(a.train().fingerprint(), b.train().fingerprint());
    assertEquals(a.test().fingerprint(), b.test().fingerprint());
    assertNotEquals(a.train().fingerprint(), SyntheticFederated.generate(1, 1, 6).train().fingerprint());
    assertNotEquals(a.train().fingerprint(), SyntheticFederated.generate(0, 0, 5).train().fingerprint());
  }

  @Test
  void thirtyDevicesOfSixtyFeaturesAndTenClassesSplitNinetyTenPerDevice() {
    Splits s = SyntheticFederated.generate(0.5, 0.5, 1);
    Dataset train = s.train();
    assertArrayEquals(new int[] {60}, train.shape());
    assertEquals(10, train.classes());
    assertEquals(30, train.groupCount());
    assertEquals("f_00000", train.groupNames().get(0));
    int[] trainSizes = sizes(train);
    int[] testSizes = sizes(s.test());
    for (int k = 0; k < 30; k++) {
      int n = trainSizes[k] + testSizes[k];
      assertTrue(n >= 50, "device " + k + " has " + n + " examples, the minimum is 50");
      assertEquals((int) (0.9 * n), trainSizes[k], "device " + k);
    }
    // Lognormal(4, 2) sizes: a long tail, the largest device far above the median.
    int[] sorted = trainSizes.clone();
    Arrays.sort(sorted);
    assertTrue(sorted[29] > 5 * sorted[15], Arrays.toString(sorted));
    // Every device's model is its own: more than one class overall, and labels are not uniform per device.
    assertTrue(Arrays.stream(trainSizes).sum() == train.size());
    List<int[]> parts = Partitioner.parse("natural").split(train, 30, new Random(1));
    assertTrue(LabelEntropy.meanBits(train, parts) < Math.log(10) / Math.log(2) - 0.3,
        "devices' labels are skewed, mean entropy " + LabelEntropy.meanBits(train, parts));
  }

  @Test
  void featuresFollowTheDecayingVariance() {
    // With beta 0 each device's feature means are N(0, 1); within a device feature j varies with sd j^-0.6.
    Dataset train = SyntheticFederated.generate(0, 0, 3).train();
    int device = 0;
    double[] sum = new double[60];
    double[] sumSq = new double[60];
    int n = 0;
    float[] x = new float[60];
    int[] y = new int[1];
    for (int i = 0; i < train.size(); i++) {
      if (train.group(i) == device) {
        train.fill(new int[] {i}, 0, 1, x, y);
        for (int j = 0; j < 60; j++) {
          sum[j] += x[j];
          sumSq[j] += x[j] * x[j];
        }
        n++;
      }
    }
    double sd0 = Math.sqrt(sumSq[0] / n - Math.pow(sum[0] / n, 2));
    double sd59 = Math.sqrt(sumSq[59] / n - Math.pow(sum[59] / n, 2));
    assertEquals(1.0, sd0, 0.35, "feature 1 has variance 1");
    assertEquals(Math.pow(60, -0.6), sd59, 0.06, "feature 60 has variance 60^-1.2");
  }

  @Test
  void everyOtherPartitionerWorksOnItToo() {
    Dataset train = SyntheticFederated.generate(1, 1, 2).train();
    for (String spec : List.of("iid", "shards:2", "dirichlet:0.5", "dirichlet-capped:0.5")) {
      List<int[]> parts = Partitioner.parse(spec).split(train, 20, new Random(4));
      assertEquals(train.size(), parts.stream().mapToInt(p -> p.length).sum(), spec);
    }
  }

  @Test
  void negativeParametersAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> SyntheticFederated.generate(-1, 0, 1));
  }

  private static int[] sizes(Dataset d) {
    int[] n = new int[30];
    for (int i = 0; i < d.size(); i++) {
      n[d.group(i)]++;
    }
    return n;
  }
}
