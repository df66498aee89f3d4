package io.csfl.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.ClusterSingletonSettings;
import akka.cluster.typed.SingletonActor;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Server;

/**
 * The root of a cluster node: spawns what the node's roles call for. The aggregator (with its
 * pruning child) registers with the receptionist; clients live under {@code /user/clients}; the
 * server is a cluster singleton on the {@code server} role that finds both through the receptionist.
 */
public final class NodeGuardian {
  private NodeGuardian() {}

  public static Behavior<Void> create(NodePlan plan) {
    return Behaviors.setup(ctx -> {
      plan.aggregator().ifPresent(a -> {
        ActorRef<Aggregator.Command> aggregator = ctx.spawn(Behaviors.supervise(
                Aggregator.create(a.strategy().newServer(a.initial(), a.rounds()), a.strategy().pruner()))
            .onFailure(SupervisorStrategy.restart().withLimit(3, java.time.Duration.ofMinutes(1))), "aggregator");
        ctx.getSystem().receptionist().tell(Receptionist.register(Aggregator.KEY, aggregator));
      });
      plan.clients().ifPresent(pool -> ctx.spawn(ClientsHost.create(pool), "clients"));
      plan.server().ifPresent(s -> {
        ActorRef<Server.Event> sink = ctx.spawn(plan.sink(), "metrics");
        ClusterSingleton.get(ctx.getSystem()).init(
            SingletonActor.of(Server.createDiscovering(s.settings(), s.evaluator(), sink, s.checkpointer()), NodePlan.SERVER_NAME)
                .withSettings(ClusterSingletonSettings.create(ctx.getSystem()).withRole(NodePlan.SERVER))
                .withProps(Server.DISPATCHER));
      });
      return Behaviors.empty();
    });
  }
}
