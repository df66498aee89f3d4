package io.csfl.strategy;

import java.util.Locale;

/**
 * How the server combines the clients' updates, so that one client cannot move the global model
 * arbitrarily far. The default, {@link #NONE}, is the plain example-weighted mean of every
 * algorithm, folded as updates arrive in memory O(model).
 *
 * <p><b>Clipping.</b> With a finite {@code clipNorm} C, each update is scaled down, before it is
 * folded, so that its L2 norm is at most C. The norm is taken over the update as the client sends
 * it, measured from the model the client was sent: for an algorithm whose clients send model
 * values (FedAvg, FL-PQSU, CS's dense tensors) it is the difference between the sent values and the
 * global model at the positions sent; for CS's complement that difference is the complement values
 * themselves (the global model is zero there); for algorithms that send deltas (top-k, STC) and for
 * CS's kept-weight signs it is the values sent. An update within C is folded unchanged.
 *
 * <p><b>Coordinate-wise rules.</b> {@link Rule#TRIMMED_MEAN} and {@link Rule#MEDIAN} combine, at
 * each position, the values of the clients that sent one there (so sparse complements and top-k
 * updates work; a position no client sent stays at zero, as with the mean). Every client counts
 * once, whatever example count it declared: a weight is itself a claim, and weighting would let one
 * client with a large share outvote the others. They need every update of the round at once:
 * memory grows to about 8 bytes per value sent per client (a float and its position), e.g. about
 * 16 MB for 10 dense MLP updates of 199,210 values, on top of the O(model) sums.
 *
 * @param rule     how the values at one position are combined
 * @param trim     for {@link Rule#TRIMMED_MEAN}: the fraction F of values dropped at each end, in [0, 0.5); else 0
 * @param clipNorm the L2 norm each update is scaled down to; {@code Double.POSITIVE_INFINITY} for no clipping
 */
public record RobustAggregation(Rule rule, double trim, double clipNorm) {
  /** How the values that clients sent for one position are combined into one. */
  public enum Rule {
    /** The example-weighted mean; streaming. */
    MEAN,
    /** At each position, the mean of the values left after dropping floor(F n) of the n values at each end. */
    TRIMMED_MEAN,
    /** At each position, the median of the values (the mean of the middle two for an even count). */
    MEDIAN
  }

  /** The plain weighted mean, no clipping. */
  public static final RobustAggregation NONE = new RobustAggregation(Rule.MEAN, 0, Double.POSITIVE_INFINITY);

  /**
   * Throws IllegalArgumentException without a rule, for a trim outside [0, 0.5) with
   * {@link Rule#TRIMMED_MEAN} or other than 0 with another rule, or for a clip norm that is not
   * positive.
   */
  public RobustAggregation {
    if (rule == null) {
      throw new IllegalArgumentException("an aggregation rule is required");
    }
    if (rule == Rule.TRIMMED_MEAN ? !(trim >= 0 && trim < 0.5) : trim != 0) {
      throw new IllegalArgumentException("the trimmed fraction must be in [0, 0.5) for trimmed-mean and 0 otherwise, got " + trim);
    }
    if (!(clipNorm > 0)) {
      throw new IllegalArgumentException("the clip norm must be positive, got " + clipNorm);
    }
  }

  /**
   * Parses the command-line form: {@code mean}, {@code trimmed-mean:F} or {@code median}.
   *
   * @param clipNorm the clip norm, or {@code Double.POSITIVE_INFINITY} for none
   * @throws IllegalArgumentException naming what is wrong
   */
  public static RobustAggregation parse(String rule, double clipNorm) {
    String key = rule.trim().toLowerCase(Locale.ROOT);
    if (key.equals("mean")) {
      return new RobustAggregation(Rule.MEAN, 0, clipNorm);
    }
    if (key.equals("median")) {
      return new RobustAggregation(Rule.MEDIAN, 0, clipNorm);
    }
    if (key.startsWith("trimmed-mean:")) {
      double f;
      try {
        f = Double.parseDouble(key.substring("trimmed-mean:".length()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad fraction in '" + rule + "' (expected trimmed-mean:F with F in [0, 0.5))");
      }
      if (!(f >= 0 && f < 0.5)) {
        throw new IllegalArgumentException("bad fraction in '" + rule + "' (expected trimmed-mean:F with F in [0, 0.5))");
      }
      return new RobustAggregation(Rule.TRIMMED_MEAN, f, clipNorm);
    }
    throw new IllegalArgumentException("unknown aggregation '" + rule + "' (expected mean, trimmed-mean:F or median)");
  }

  /** Whether updates can be folded as they arrive (the mean), rather than kept until the round closes. */
  public boolean streaming() {
    return rule == Rule.MEAN;
  }

  /** Whether updates are clipped at all. */
  public boolean clips() {
    return clipNorm != Double.POSITIVE_INFINITY;
  }

  @Override
  public String toString() {
    String r = switch (rule) {
      case MEAN -> "mean";
      case MEDIAN -> "median";
      case TRIMMED_MEAN -> "trimmed-mean:" + trim;
    };
    return clips() ? r + ", clip-norm " + clipNorm : r;
  }
}
