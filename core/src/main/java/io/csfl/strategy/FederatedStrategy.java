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

  /** The server side, starting from {@code initial}, for a run of {@code totalRounds} rounds. */
  ServerAlgorithm newServer(Model initial, int totalRounds);

  /** The client side; one per client, so a strategy may keep per-client state (error feedback). */
  ClientAlgorithm newClient();
}
