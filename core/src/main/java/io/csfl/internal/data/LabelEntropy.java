package io.csfl.internal.data;

import io.csfl.data.Dataset;
import java.util.List;

/**
 * How mixed the labels of a client's examples are, in bits: 0 for a single class, log2(classes)
 * for a uniform mix. The mean over clients is how label-skewed splits are compared: a Dirichlet
 * split's alpha names a distribution, this measures the split actually made.
 */
public final class LabelEntropy {
  private LabelEntropy() {}

  /** The entropy of the label distribution of {@code data}'s examples at {@code indices}. */
  public static double bits(Dataset data, int[] indices) {
    int[] counts = new int[data.classes()];
    for (int i : indices) {
      counts[data.label(i)]++;
    }
    double nats = 0;
    for (int c : counts) {
      if (c > 0) {
        double q = (double) c / indices.length;
        nats -= q * Math.log(q);
      }
    }
    return nats / Math.log(2);
  }

  /** The mean of {@link #bits} over the parts of a split. */
  public static double meanBits(Dataset data, List<int[]> parts) {
    return parts.stream().mapToDouble(p -> bits(data, p)).average().orElse(0);
  }
}
