package io.csfl.bench;

import io.csfl.codec.TestMasks;
import io.csfl.internal.wire.MaskCoder;
import io.csfl.internal.wire.WireWriter;
import io.csfl.tensor.Mask;
import java.util.Locale;

/**
 * Prints, for random masks of n = 1,000,000 positions, the coded size against the entropy bound
 * n * H(d) / 8 bytes. Sizes, not times: one run says all.
 */
public final class MaskSizeReport {
  private MaskSizeReport() {}

  public static void main(String[] args) {
    int n = 1_000_000;
    System.out.println("| density | coded bytes | entropy bound n*H(d)/8 | coded / bound | bitmap bytes |");
    System.out.println("|---:|---:|---:|---:|---:|");
    for (double d : new double[] {0.5, 0.3, 0.1, 0.01}) {
      Mask mask = TestMasks.random(n, d, 42);
      WireWriter w = new WireWriter(n / 8 + 64);
      MaskCoder.encode(mask, w);
      double p = mask.density();
      double bound = n * (-p * Math.log(p) - (1 - p) * Math.log(1 - p)) / Math.log(2) / 8;
      System.out.printf(Locale.ROOT, "| %.2f | %,d | %,.0f | %.4f | %,d |%n", d, w.size(), bound, w.size() / bound, (n + 7) / 8);
    }
  }
}
