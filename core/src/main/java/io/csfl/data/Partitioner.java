package io.csfl.data;

import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Splits a dataset's example indices among clients. Deterministic for a seed, so a client node
 * can compute its own clients' partitions from the same flags as the server.
 */
public interface Partitioner {
  /** The spec of the split the data came with: one client per group. */
  String NATURAL = "natural";

  /** One ascending index array per client; every client gets at least one example. */
  List<int[]> split(Dataset data, int clients, Random rng);

  /** The spec string this partitioner parses from. */
  String spec();

  /**
   * {@code iid}, {@code shards:K}, {@code dirichlet:ALPHA} (each class divided among the clients by
   * Dirichlet(ALPHA) proportions) or {@code dirichlet-capped:ALPHA} (the same, but a client stops
   * receiving examples once it holds its fair share, as in common FL code: more skewed), or
   * {@code natural} (one client per group of a dataset with groups).
   */
  static Partitioner parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    String[] parts = s.split(":", 2);
    try {
      return switch (parts[0]) {
        case "iid" -> {
          if (parts.length > 1) {
            throw new IllegalArgumentException("iid takes no parameter");
          }
          yield new IidPartitioner();
        }
        case NATURAL -> {
          if (parts.length > 1) {
            throw new IllegalArgumentException("natural takes no parameter");
          }
          yield new NaturalPartitioner();
        }
        case "shards" -> new ShardPartitioner(whole(requireArg(parts, "shards:K"), "K"));
        case "dirichlet" -> new DirichletPartitioner(number(requireArg(parts, "dirichlet:ALPHA"), "ALPHA"), false);
        case "dirichlet-capped" -> new DirichletPartitioner(number(requireArg(parts, "dirichlet-capped:ALPHA"), "ALPHA"), true);
        default -> throw new IllegalArgumentException("unknown kind '" + parts[0] + "'");
      };
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad partition '" + spec + "': " + e.getMessage()
          + " (expected iid, shards:K, dirichlet:ALPHA, dirichlet-capped:ALPHA or natural)", e);
    }
  }

  private static int whole(String text, String what) {
    try {
      return Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be a whole number, got '" + text + "'");
    }
  }

  private static double number(String text, String what) {
    double v;
    try {
      v = Double.parseDouble(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be a number, got '" + text + "'");
    }
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException(what + " must be a finite number, got '" + text + "'");
    }
    return v;
  }

  private static String requireArg(String[] parts, String form) {
    if (parts.length < 2 || parts[1].isBlank()) {
      throw new IllegalArgumentException("needs a parameter, as in " + form);
    }
    return parts[1];
  }

  /**
   * For implementations: checks that {@code clients} is between 1 and the number of examples, so that each client
   * can get at least one.
   *
   * @throws IllegalArgumentException otherwise, naming both counts
   */
  static void requireClients(Dataset data, int clients) {
    if (clients <= 0 || clients > data.size()) {
      throw new IllegalArgumentException("cannot split " + data.size() + " examples among " + clients + " clients");
    }
  }
}
