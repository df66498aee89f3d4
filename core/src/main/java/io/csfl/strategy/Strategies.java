package io.csfl.strategy;

import io.csfl.codec.Precision;
import java.util.List;
import java.util.Locale;

/** The strategies selectable by name on the command line. */
public final class Strategies {
  public static final List<String> NAMES = List.of(FedAvg.NAME, ComplementSparsification.NAME, "cs-1bit", "cs-fp16",
      "cs-topk", TopKSparsification.NAME);

  private Strategies() {}

  public static FederatedStrategy byName(String name, StrategyParams p) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case FedAvg.NAME -> new FedAvg();
      case ComplementSparsification.NAME -> new ComplementSparsification(p.cs());
      case "cs-1bit" -> new ComplementSparsification("cs-1bit", p.cs(), new CsVariant(Precision.FP32, true, 1.0));
      case "cs-fp16" -> new ComplementSparsification("cs-fp16", p.cs(), new CsVariant(Precision.FP16, false, 1.0));
      case "cs-topk" -> new ComplementSparsification("cs-topk", p.cs(), new CsVariant(Precision.FP32, false, p.uplinkDensity()));
      case TopKSparsification.NAME -> new TopKSparsification(p.topkDensity());
      default -> throw new IllegalArgumentException("unknown algorithm '" + name + "' (expected one of " + String.join(", ", NAMES) + ")");
    };
  }
}
