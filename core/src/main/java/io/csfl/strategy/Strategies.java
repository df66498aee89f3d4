package io.csfl.strategy;

import io.csfl.codec.Precision;
import java.util.List;
import java.util.Locale;

/** The strategies selectable by name on the command line. */
public final class Strategies {
  /** Every name {@link #byName} takes, besides {@code cs:S}; unmodifiable. */
  public static final List<String> NAMES = List.of(FedAvg.NAME, ComplementSparsification.NAME, "cs-1bit", "cs-fp16",
      "cs-topk", "cs-1bit-topk", TopKSparsification.NAME, SparseTernaryCompression.NAME, PrunedUpdateSharing.NAME);

  private Strategies() {}

  /**
   * The name of CS at {@code sparsity}, {@code cs:S} with S in its shortest spelling: the name
   * {@link #byName} gives it however S is written ({@code cs:0.70}, {@code cs:.7}).
   */
  public static String csAt(double sparsity) {
    return ComplementSparsification.NAME + ":" + java.math.BigDecimal.valueOf(sparsity).stripTrailingZeros().toPlainString();
  }

  /**
   * A name from {@link #NAMES}, or {@code cs:S} for the paper's CS at server sparsity S (so that
   * several sparsities run side by side on the same data and client samples).
   */
  public static FederatedStrategy byName(String name, StrategyParams p) {
    String key = name.trim().toLowerCase(Locale.ROOT);
    if (key.startsWith(ComplementSparsification.NAME + ":")) {
      double s;
      try {
        s = Double.parseDouble(key.substring(3));
      } catch (NumberFormatException e) {
        s = Double.NaN;
      }
      if (!(s >= 0 && s < 1)) {
        throw new IllegalArgumentException("bad sparsity in '" + name + "' (expected cs:S with S in [0, 1))");
      }
      // One name per sparsity: cs:0.5 and cs:0.50 are one algorithm, listed twice if both are given.
      return new ComplementSparsification(csAt(s), p.cs().withSparsity(s), CsVariant.paper());
    }
    return switch (key) {
      case FedAvg.NAME -> new FedAvg();
      case ComplementSparsification.NAME -> new ComplementSparsification(p.cs());
      case "cs-1bit" -> new ComplementSparsification("cs-1bit", p.cs(), new CsVariant(Precision.FP32, true, 1.0));
      case "cs-fp16" -> new ComplementSparsification("cs-fp16", p.cs(), new CsVariant(Precision.FP16, false, 1.0));
      case "cs-topk" -> new ComplementSparsification("cs-topk", p.cs(), new CsVariant(Precision.FP32, false, p.uplinkDensity()));
      case "cs-1bit-topk" -> new ComplementSparsification("cs-1bit-topk", p.cs(), new CsVariant(Precision.FP32, true, p.uplinkDensity()));
      case TopKSparsification.NAME -> new TopKSparsification(p.topkDensity());
      case SparseTernaryCompression.NAME -> new SparseTernaryCompression(p.topkDensity());
      case PrunedUpdateSharing.NAME -> new PrunedUpdateSharing(PrunedUpdateSharing.PAPER_SPARSITY);
      default -> throw new IllegalArgumentException("unknown algorithm '" + name + "' (expected one of " + String.join(", ", NAMES) + ")");
    };
  }
}
