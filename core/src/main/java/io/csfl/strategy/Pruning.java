package io.csfl.strategy;

import io.csfl.tensor.Model;

/** A strategy whose masks come from a chosen {@link Pruner}; see {@link FederatedStrategy#withPruner}. */
record Pruning(FederatedStrategy inner, Pruner pruner) implements FederatedStrategy {
  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds) {
    return inner.newServer(initial, totalRounds);
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds, RobustAggregation aggregation) {
    return inner.newServer(initial, totalRounds, aggregation);
  }

  @Override
  public ClientAlgorithm newClient() {
    return inner.newClient();
  }

  @Override
  public FederatedStrategy withAggregation(RobustAggregation aggregation) {
    return new Pruning(inner.withAggregation(aggregation), pruner);
  }
}
