package io.csfl.bench;

import io.csfl.data.Dataset;
import io.csfl.data.FashionMnist;
import io.csfl.data.Partitioner;
import io.csfl.internal.data.LabelEntropy;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

/**
 * Prints the mean label entropy per client (bits) of the label-skewed splits of the Fashion-MNIST
 * training set among 100 clients, for the seeds the results pages use, as {@code csfl simulate}
 * draws them ({@code --partition SPEC --seed S}). A uniform mix of the ten classes is 3.32 bits.
 */
public final class PartitionReport {
  private static final int CLIENTS = 100;
  private static final long[] SEEDS = {1, 2, 3};

  private PartitionReport() {}

  public static void main(String[] args) {
    List<String> specs = args.length > 0 ? List.of(args)
        : List.of("dirichlet:0.3", "dirichlet-capped:0.3", "dirichlet:0.5", "dirichlet-capped:0.5", "shards:2", "iid");
    Dataset train = FashionMnist.load(Optional.empty()).train();
    System.out.println("| partition | seed 1 | seed 2 | seed 3 | mean |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (String spec : specs) {
      StringBuilder row = new StringBuilder("| " + spec + " |");
      double sum = 0;
      for (long seed : SEEDS) {
        double bits = LabelEntropy.meanBits(train, Partitioner.parse(spec).split(train, CLIENTS, new Random(seed)));
        sum += bits;
        row.append(String.format(Locale.ROOT, " %.3f |", bits));
      }
      System.out.println(row.append(String.format(Locale.ROOT, " %.3f |", sum / SEEDS.length)));
    }
  }
}
