package io.csfl.testkit;

import io.csfl.metrics.RoundMetrics;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a finished {@link Federation} run gives a test to assert on: the server's metrics of every
 * round (accuracy, loss, clients selected and completed, bytes), which clients trained in which
 * round, and which node hosted which client.
 */
public final class FederationResult {
  private final List<RoundMetrics> rounds;
  private final ClientChurn.Trained trained;
  private final Map<String, List<String>> clientsByNode;

  FederationResult(List<RoundMetrics> rounds, ClientChurn.Trained trained, Map<String, List<String>> clientsByNode) {
    this.rounds = List.copyOf(rounds);
    this.trained = trained;
    this.clientsByNode = Map.copyOf(clientsByNode);
  }

  /** The metrics of every round, in order: element 0 is round 1. */
  public List<RoundMetrics> rounds() {
    return rounds;
  }

  /** The metrics of round {@code round}, counted from 1 as the server counts. */
  public RoundMetrics round(int round) {
    if (round < 1 || round > rounds.size()) {
      throw new IllegalArgumentException("round " + round + " is not among the " + rounds.size() + " rounds of this run");
    }
    return rounds.get(round - 1);
  }

  /**
   * The ids of the clients that received round {@code round}'s model and trained on it (after
   * churn: a client that dropped out is not in it, a straggler is). Whether the update arrived in
   * time is in {@link RoundMetrics#clientsCompleted()}.
   */
  public Set<String> trained(int round) {
    return trained.in(round);
  }

  /** The ids of the clients hosted by {@code node}, for assertions about a node that was killed or joined late. */
  public List<String> clientsOn(String node) {
    List<String> ids = clientsByNode.get(node);
    if (ids == null) {
      throw new IllegalArgumentException("no node " + node + " in this run; its nodes are " + clientsByNode.keySet());
    }
    return ids;
  }
}
