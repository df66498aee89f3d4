package io.csfl.cluster;

import akka.actor.typed.Behavior;
import io.csfl.actor.Server;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.tensor.Model;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What one node runs, by role. Each part is present only when the node has that role.
 *
 * @param aggregator the strategy, initial model and rounds the aggregator starts from
 * @param clients    the virtual clients this node hosts, or may host when it shares them with other nodes
 * @param server     the server's settings and evaluator, and where its metrics go
 */
public record NodePlan(Set<String> roles, Optional<AggregatorPart> aggregator, Optional<ClientsHost.ClientPool> clients,
                       Optional<ServerPart> server) {
  public static final String SERVER = "server";
  public static final String AGGREGATOR = "aggregator";
  public static final String CLIENT = "client";
  public static final Set<String> ROLES = Set.of(SERVER, AGGREGATOR, CLIENT);

  public record AggregatorPart(FederatedStrategy strategy, Model initial, int rounds) {}

  /** @param checkpointer where the server saves each round's checkpoint (and the model after the last) */
  public record ServerPart(Server.Settings settings, Evaluator evaluator, MetricsCsv csv,
                           Consumer<List<RoundMetrics>> onEnd, boolean exitWhenDone, Server.Checkpointer checkpointer) {
    public ServerPart(Server.Settings settings, Evaluator evaluator, MetricsCsv csv, Consumer<List<RoundMetrics>> onEnd,
                      boolean exitWhenDone) {
      this(settings, evaluator, csv, onEnd, exitWhenDone, Server.Checkpointer.NONE);
    }
  }

  /** The name of the server singleton; Artery's large-message paths depend on it. */
  public static final String SERVER_NAME = "server";

  Behavior<Server.Event> sink() {
    ServerPart s = server.orElseThrow();
    return MetricsSink.create(s.csv(), s.onEnd(), s.exitWhenDone());
  }
}
