package io.csfl.node;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import com.typesafe.config.Config;
import io.csfl.cluster.ClusterConfig;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** Cluster nodes in this JVM on loopback ports, configured as {@code csfl node} configures them, and stopped together. */
final class LoopbackNodes implements AutoCloseable {
  private final Config common;
  private final List<ActorSystem<?>> systems = new CopyOnWriteArrayList<>();

  /** @param common settings of every node, over its transport */
  LoopbackNodes(Config common) {
    this.common = common;
  }

  /** A node with {@code transport} (TLS or insecure) that joins {@code joinTo}, or forms a cluster of its own when null. */
  ActorSystem<Void> start(Config transport, ActorSystem<?> joinTo) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", 0, Set.of(), List.of(), common.withFallback(transport)));
    systems.add(system);
    Cluster.get(system).manager().tell(Join.create(joinTo == null ? system.address() : joinTo.address()));
    return system;
  }

  @Override
  public void close() {
    systems.forEach(ActorSystem::terminate);
  }
}
