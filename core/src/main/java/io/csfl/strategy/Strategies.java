package io.csfl.strategy;

import java.util.List;
import java.util.Locale;

/** The strategies selectable by name on the command line. */
public final class Strategies {
  public static final List<String> NAMES = List.of(FedAvg.NAME, ComplementSparsification.NAME);

  private Strategies() {}

  public static FederatedStrategy byName(String name, CsOptions cs) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case FedAvg.NAME -> new FedAvg();
      case ComplementSparsification.NAME -> new ComplementSparsification(cs);
      default -> throw new IllegalArgumentException("unknown algorithm '" + name + "' (expected one of " + String.join(", ", NAMES) + ")");
    };
  }
}
