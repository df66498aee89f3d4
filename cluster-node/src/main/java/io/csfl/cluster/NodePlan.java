package io.csfl.cluster;

import io.csfl.actor.Server;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.tensor.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What one node runs, by role. Each part is present only when the node has that role.
 *
 * @param aggregator the strategy, initial model and rounds the aggregator starts from
 * @param clients    the virtual clients this node hosts, or may host when it shares them with other nodes
 * @param server     the server's settings and evaluator, and where its metrics go
 * @param exitWhenDone whether the node leaves the cluster, and its process exits, when the run ends
 */
public record NodePlan(Set<String> roles, Optional<AggregatorPart> aggregator, Optional<ClientsHost.ClientPool> clients,
                       Optional<ServerPart> server, boolean exitWhenDone) {
  public static final String SERVER = io.csfl.actor.Server.ROLE;
  public static final String AGGREGATOR = io.csfl.actor.Aggregator.ROLE;
  public static final String CLIENT = "client";
  public static final Set<String> ROLES = Set.of(SERVER, AGGREGATOR, CLIENT);

  /** A node that stays up when the run ends. */
  public NodePlan(Set<String> roles, Optional<AggregatorPart> aggregator, Optional<ClientsHost.ClientPool> clients,
                  Optional<ServerPart> server) {
    this(roles, aggregator, clients, server, false);
  }

  /**
   * @param signature how the aggregator computes, sent to the server: a server that expects a
   *                  signature ({@link Server.Settings#aggregatorSignature()}) uses the aggregator
   *                  only if it is that one; a server that expects none uses any
   */
  public record AggregatorPart(FederatedStrategy strategy, Model initial, int rounds, String signature) {
    /** An aggregator that does not describe itself: a server that expects no signature uses it. */
    public AggregatorPart(FederatedStrategy strategy, Model initial, int rounds) {
      this(strategy, initial, rounds, "");
    }
  }

  /**
   * @param metricsCsv   where the rounds go; opened only when the server starts on this node
   * @param checkpointer where the server saves each round's checkpoint (and the model after the last)
   * @param resumeFrom   asked each time the server starts on this node: the checkpoint to continue
   *                     after (the last one the server nodes share), or empty to start at round 1
   * @param claim        called each time the server starts on this node, before anything is read:
   *                     claims what the server writes (its directories) for this process, and returns
   *                     what gives the claim up, which is closed when the server stops on this node.
   *                     An {@link IllegalStateException} says that another process holds the claim:
   *                     the server does not start, and tries again after a back-off until the claim
   *                     succeeds, so that two processes never write one run's files at once
   */
  public record ServerPart(Server.Settings settings, Evaluator evaluator, Path metricsCsv,
                           Consumer<List<RoundMetrics>> onEnd, Server.Checkpointer checkpointer,
                           Supplier<Optional<Checkpoint>> resumeFrom, Supplier<AutoCloseable> claim) {
    /** A server that claims nothing: the application keeps other processes from its files. */
    public ServerPart(Server.Settings settings, Evaluator evaluator, Path metricsCsv, Consumer<List<RoundMetrics>> onEnd,
                      Server.Checkpointer checkpointer, Supplier<Optional<Checkpoint>> resumeFrom) {
      this(settings, evaluator, metricsCsv, onEnd, checkpointer, resumeFrom, () -> () -> { });
    }

    /** A server that saves nothing and always starts at round 1. */
    public ServerPart(Server.Settings settings, Evaluator evaluator, Path metricsCsv, Consumer<List<RoundMetrics>> onEnd) {
      this(settings, evaluator, metricsCsv, onEnd, Server.Checkpointer.NONE, Optional::empty);
    }
  }

  /** The name of the server singleton; Artery's large-message paths depend on it. */
  public static final String SERVER_NAME = "server";
}
