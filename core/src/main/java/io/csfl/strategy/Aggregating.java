package io.csfl.strategy;

import io.csfl.tensor.Model;

/** A strategy whose servers use a fixed {@link RobustAggregation} unless told another; see {@link FederatedStrategy#withAggregation}. */
record Aggregating(FederatedStrategy inner, RobustAggregation aggregation) implements FederatedStrategy {
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
  public Pruner pruner() {
    return inner.pruner();
  }
}
