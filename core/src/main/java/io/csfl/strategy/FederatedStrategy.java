package io.csfl.strategy;

import io.csfl.tensor.Model;

/**
 * A federated algorithm: what the server sends, what a client returns, how the server folds the
 * returns into the next global model. Actors only ever talk to this interface, so adding an
 * algorithm never touches them.
 */
public interface FederatedStrategy {
  /** The name used on the command line and in metrics.csv, e.g. {@code fedavg} or {@code cs}. */
  String name();

  /** The server side, starting from {@code initial}, for a run of {@code totalRounds} rounds, with the plain mean. */
  default ServerAlgorithm newServer(Model initial, int totalRounds) {
    return newServer(initial, totalRounds, RobustAggregation.NONE);
  }

  /**
   * As above, combining the clients' updates by {@code aggregation} (clipping, trimmed mean or
   * median), so that one client cannot drag the global model away.
   */
  ServerAlgorithm newServer(Model initial, int totalRounds, RobustAggregation aggregation);

  /**
   * This strategy with every server it makes combining updates by {@code aggregation}: for a
   * command line or a node that chooses the rule once for whatever algorithm runs.
   */
  default FederatedStrategy withAggregation(RobustAggregation aggregation) {
    return Configured.of(this).withAggregation(aggregation);
  }

  /** The client side; one per client, so a strategy may keep per-client state (error feedback). */
  ClientAlgorithm newClient();

  /**
   * How the aggregator computes this strategy's masks when the server asks for them:
   * per-tensor magnitude pruning, the CS paper's, unless {@link #withPruner} chose another.
   */
  default Pruner pruner() {
    return new MagnitudePruner();
  }

  /** This strategy with its masks computed by {@code pruner}: for a command line that chooses it once. */
  default FederatedStrategy withPruner(Pruner pruner) {
    return Configured.of(this).withPruner(pruner);
  }
}
