package io.csfl.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.Props;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.Behaviors;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Client;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which of this node's clients hosts and aggregators a server refused, as their
 * {@link Client.HostStatus} and {@link Aggregator.Status} on the node's event stream say: the
 * readiness check ({@link NodeReadiness}) reads it here instead of asking the actors, which may be
 * busy (an aggregator folds a round's updates on its own thread). Created by {@link NodeGuardian}
 * before it starts them, so that it hears every status they publish.
 */
final class NodeStatus implements Extension {
  /** The refused actors. */
  private final Set<ActorRef<?>> refused = ConcurrentHashMap.newKeySet();

  private NodeStatus(ActorSystem<?> system) {
    ActorRef<Object> listener = system.systemActorOf(listen(), "csfl-node-status", Props.empty());
    // Subscribed here, before the node's actors start: a status they publish cannot overtake it.
    system.eventStream().tell(new EventStream.Subscribe<>(Client.HostStatus.class, listener.narrow()));
    system.eventStream().tell(new EventStream.Subscribe<>(Aggregator.Status.class, listener.narrow()));
  }

  private Behavior<Object> listen() {
    return Behaviors.receiveMessage(status -> {
      if (status instanceof Client.HostStatus host) {
        record(host.host(), host.refused() > 0 ? host.reason() : "");
      } else if (status instanceof Aggregator.Status aggregator) {
        record(aggregator.aggregator(), aggregator.refusal());
      }
      return Behaviors.same();
    });
  }

  private void record(ActorRef<?> actor, String refusal) {
    if (refusal.isEmpty()) {
      refused.remove(actor);
    } else {
      refused.add(actor);
    }
  }

  /** Whether a server refused {@code actor} (a clients host: any of its clients) and has not taken it on since. */
  boolean isRefused(ActorRef<?> actor) {
    return refused.contains(actor);
  }

  static NodeStatus get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  static final class Id extends ExtensionId<NodeStatus> {
    private static final Id INSTANCE = new Id();

    @Override
    public NodeStatus createExtension(ActorSystem<?> system) {
      return new NodeStatus(system);
    }
  }
}
