package io.csfl.data;

import io.csfl.internal.data.Shuffle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Label-skewed split (Hsu et al. 2019), {@code dirichlet:ALPHA}: each class's examples are divided
 * among the clients in proportions drawn from Dirichlet(alpha), independently per class; small
 * alpha gives few classes per client. A client's label mix is then close to a Dirichlet(alpha)
 * draw over the classes, as the literature assumes when it quotes alpha.
 *
 * <p>{@code dirichlet-capped:ALPHA} is the variant of common FL code: a client that already holds
 * its fair share of examples gets none of the classes drawn after that. Clients then hold fewer
 * classes than Dirichlet(alpha) says (on Fashion-MNIST with 100 clients and alpha 0.3, about 1.8
 * bits of label entropy per client where the plain split has about 2.1), so results under it
 * are not comparable to results quoted for Dirichlet(alpha).
 *
 * <p>A client with almost no examples cannot train, so in both variants the whole split is drawn
 * again, continuing the seeded stream, until every client holds at least {@link #MIN_EXAMPLES}
 * examples (or fewer than that for tiny datasets). The result is a split conditioned on that
 * minimum, which for the settings above is met by the first draw or nearly so.
 */
final class DirichletPartitioner implements Partitioner {
  static final int MIN_EXAMPLES = 10;
  private static final int MAX_ATTEMPTS = 1000;
  private final double alpha;
  private final boolean capped;

  DirichletPartitioner(double alpha, boolean capped) {
    if (!(alpha > 0) || !Double.isFinite(alpha)) {
      throw new IllegalArgumentException("alpha must be a positive number, got " + alpha);
    }
    this.alpha = alpha;
    this.capped = capped;
  }

  @Override
  public List<int[]> split(Dataset data, int clients, Random rng) {
    Partitioner.requireClients(data, clients);
    int minSize = Math.min(MIN_EXAMPLES, data.size() / clients);
    int[][] byClass = indicesByClass(data);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      List<List<Integer>> parts = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        parts.add(new ArrayList<>());
      }
      double fairShare = (double) data.size() / clients;
      for (int[] classIndices : byClass) {
        int[] shuffled = classIndices.clone();
        Shuffle.inPlace(shuffled, rng);
        double[] p = sampleDirichlet(clients, rng);
        double total = 0;
        for (int c = 0; c < clients; c++) {
          if (capped && parts.get(c).size() >= fairShare) {
            p[c] = 0;
          }
          total += p[c];
        }
        int from = 0;
        double cumulative = 0;
        for (int c = 0; c < clients; c++) {
          cumulative += total > 0 ? p[c] / total : 1.0 / clients;
          int to = c == clients - 1 ? shuffled.length : (int) Math.round(cumulative * shuffled.length);
          for (int i = from; i < to; i++) {
            parts.get(c).add(shuffled[i]);
          }
          from = Math.max(from, to);
        }
      }
      if (parts.stream().allMatch(l -> l.size() >= Math.max(1, minSize))) {
        List<int[]> out = new ArrayList<>(clients);
        for (List<Integer> l : parts) {
          out.add(l.stream().mapToInt(Integer::intValue).sorted().toArray());
        }
        return out;
      }
    }
    throw new IllegalArgumentException(spec() + " left a client with fewer than " + minSize
        + " examples in " + MAX_ATTEMPTS + " draws; use fewer clients or a larger alpha");
  }

  private static int[][] indicesByClass(Dataset data) {
    int[] counts = new int[data.classes()];
    for (int i = 0; i < data.size(); i++) {
      counts[data.label(i)]++;
    }
    int[][] out = new int[data.classes()][];
    for (int c = 0; c < out.length; c++) {
      out[c] = new int[counts[c]];
    }
    int[] fill = new int[data.classes()];
    for (int i = 0; i < data.size(); i++) {
      int l = data.label(i);
      out[l][fill[l]++] = i;
    }
    return Arrays.stream(out).filter(a -> a.length > 0).toArray(int[][]::new);
  }

  private double[] sampleDirichlet(int k, Random rng) {
    double[] g = new double[k];
    double sum = 0;
    for (int i = 0; i < k; i++) {
      g[i] = sampleGamma(alpha, rng);
      sum += g[i];
    }
    for (int i = 0; i < k; i++) {
      g[i] = sum > 0 ? g[i] / sum : 1.0 / k;
    }
    return g;
  }

  /** Marsaglia and Tsang (2000); shape below 1 through Gamma(a + 1) * U^(1/a). */
  static double sampleGamma(double shape, Random rng) {
    if (shape < 1) {
      return sampleGamma(shape + 1, rng) * Math.pow(rng.nextDouble(), 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = rng.nextGaussian();
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = rng.nextDouble();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
        return d * v;
      }
    }
  }

  @Override
  public String spec() {
    return (capped ? "dirichlet-capped:" : "dirichlet:") + alpha;
  }
}
