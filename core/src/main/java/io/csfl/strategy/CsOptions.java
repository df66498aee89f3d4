package io.csfl.strategy;

/**
 * Complement Sparsification settings; defaults are the reference code's (s = 0.5, eta = 1.5, no
 * warm-up), and a server that remembers {@link #DEFAULT_DOWNLINK_HISTORY} rounds of global models.
 *
 * @param sparsityStart server sparsity of the first mask
 * @param sparsityEnd   server sparsity of the last mask; the schedule is linear between them
 * @param serverRate    eta, the scale of the clients' complement in D = S + eta * A
 * @param warmupRounds  dense FedAvg rounds before the first pruning
 * @param downlinkHistory how many recent global models the server keeps to send a returning
 *     client only what changed since the one it holds (a {@link Patches patch}); 0 sends every
 *     client the whole sparse model, as the paper counts it. Wire coding only: what each client
 *     starts from is the same to the bit.
 */
public record CsOptions(double sparsityStart, double sparsityEnd, double serverRate, int warmupRounds, int downlinkHistory) {
  /** About three times the mean gap between two selections of a client at 10% sampling. */
  public static final int DEFAULT_DOWNLINK_HISTORY = 32;

  /**
   * Throws IllegalArgumentException unless both sparsities are in [0, 1), the server rate is
   * positive and finite, and the warm-up rounds and downlink history are not negative.
   */
  public CsOptions {
    requireSparsity(sparsityStart);
    requireSparsity(sparsityEnd);
    if (!(serverRate > 0) || !Double.isFinite(serverRate)) {
      throw new IllegalArgumentException("server rate (eta) must be a positive number, got " + serverRate);
    }
    if (warmupRounds < 0) {
      throw new IllegalArgumentException("warm-up rounds must be >= 0, got " + warmupRounds);
    }
    if (downlinkHistory < 0) {
      throw new IllegalArgumentException("downlink history must be >= 0 rounds, got " + downlinkHistory);
    }
  }

  /**
   * The reference code's settings: sparsity 0.5 throughout, eta 1.5, no warm-up,
   * {@link #DEFAULT_DOWNLINK_HISTORY} rounds of history.
   */
  public static CsOptions defaults() {
    return new CsOptions(0.5, 0.5, 1.5, 0, DEFAULT_DOWNLINK_HISTORY);
  }

  /**
   * These options with sparsity {@code s} from first to last mask (a constant schedule); throws
   * IllegalArgumentException unless {@code s} is in [0, 1).
   */
  public CsOptions withSparsity(double s) {
    return new CsOptions(s, s, serverRate, warmupRounds, downlinkHistory);
  }

  private static void requireSparsity(double s) {
    if (!(s >= 0 && s < 1)) {
      throw new IllegalArgumentException("sparsity must be in [0, 1), got " + s);
    }
  }

  /**
   * Sparsity of the mask used in {@code round} (the one made at the end of round - 1): linear
   * from start, for the first pruned round, to end, for the last round of the run.
   */
  public double sparsityFor(int round, int totalRounds) {
    int first = warmupRounds + 2;
    if (totalRounds <= first || round <= first) {
      return sparsityStart;
    }
    double f = Math.min(1.0, (double) (round - first) / (totalRounds - first));
    return sparsityStart + f * (sparsityEnd - sparsityStart);
  }
}
