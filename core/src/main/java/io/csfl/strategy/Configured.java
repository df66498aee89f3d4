package io.csfl.strategy;

import io.csfl.tensor.Model;

/**
 * A strategy with the aggregation rule and the pruner that a command line or a node chose once,
 * for whatever algorithm runs; see {@link FederatedStrategy#withAggregation} and
 * {@link FederatedStrategy#withPruner}. Choosing again replaces that choice instead of wrapping
 * the strategy once more.
 */
record Configured(FederatedStrategy inner, RobustAggregation aggregation, Pruner pruner) implements FederatedStrategy {
  /** {@code strategy} as it is configured now: the plain mean and its own pruner unless chosen. */
  static Configured of(FederatedStrategy strategy) {
    return strategy instanceof Configured c ? c : new Configured(strategy, RobustAggregation.NONE, strategy.pruner());
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds) {
    return inner.newServer(initial, totalRounds, aggregation);
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds, RobustAggregation other) {
    return inner.newServer(initial, totalRounds, other);
  }

  @Override
  public ClientAlgorithm newClient() {
    return inner.newClient();
  }

  @Override
  public FederatedStrategy withAggregation(RobustAggregation other) {
    return new Configured(inner, other, pruner);
  }

  @Override
  public FederatedStrategy withPruner(Pruner other) {
    return new Configured(inner, aggregation, other);
  }
}
