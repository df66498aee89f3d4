package io.csfl.cluster;

import akka.actor.ActorSystem;
import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.stream.StreamSupport;

/**
 * The readiness check of a CSFL node, behind Akka Management's {@code /ready}: a node is ready
 * when its member is Up and what its roles call for is in place, as the rest of the federation
 * would find it, and the server has not refused it. An aggregator node is ready once the
 * receptionist lists its aggregator, while no server has refused that aggregator since one last
 * prepared it; a client node once it lists the node's clients host, which is registered after all
 * the clients it names have started, while the server whose verdict the host believed last refused
 * none of them, and (a pool node) once its view of the pool includes itself; a server node once it
 * runs the server singleton's manager, which starts the server here or hands it over. A node that
 * is joining, rejoining or leaving is not ready.
 *
 * <p>Akka Management creates it by reflection, once per ActorSystem, and calls it per request.
 */
public final class NodeReadiness implements Supplier<CompletionStage<Boolean>> {
  /** How many clients a client node should host: the size of its fixed range, or the total for a pool node. */
  public static final String CLIENTS_KEY = "csfl.readiness.clients";
  /** Per lookup; Akka Management gives the whole check {@code akka.management.health-checks.check-timeout}. */
  private static final Duration LOOKUP = Duration.ofSeconds(1);

  private final akka.actor.typed.ActorSystem<?> system;

  public NodeReadiness(ActorSystem system) {
    this.system = Adapter.toTyped(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    Member self = Cluster.get(system).selfMember();
    if (self.status() != MemberStatus.up()) {
      return CompletableFuture.completedFuture(false);
    }
    List<CompletableFuture<Boolean>> parts = new ArrayList<>();
    NodeStatus status = NodeStatus.get(system);
    if (self.hasRole(NodePlan.AGGREGATOR)) {
      parts.add(noneRefused(Aggregator.KEY, status));
    }
    if (self.hasRole(NodePlan.CLIENT)) {
      parts.add(expectedClients(self) == Integer.MAX_VALUE ? CompletableFuture.completedFuture(false)
          : noneRefused(Client.HOST_KEY, status));
    }
    if (self.hasRole(NodePlan.SERVER)) {
      parts.add(Adapter.toClassic(system).actorSelection("/system/singletonManager" + NodePlan.SERVER_NAME)
          .resolveOne(LOOKUP).toCompletableFuture().handle((ref, failure) -> failure == null));
    }
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
        .thenApply(all -> parts.stream().allMatch(CompletableFuture::join));
  }

  /**
   * The clients this node should host now: its share of the pool's Up members for a pool node,
   * else {@link #CLIENTS_KEY}; at least one when the key is absent (a node embedded without it).
   */
  private int expectedClients(Member self) {
    var config = system.settings().config();
    int configured = config.hasPath(CLIENTS_KEY) ? config.getInt(CLIENTS_KEY) : 1;
    if (!self.hasRole(ClientsHost.POOL_ROLE)) {
      return configured;
    }
    List<String> pool = StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up() && m.hasRole(ClientsHost.POOL_ROLE))
        .map(m -> m.address().toString()).toList();
    if (!pool.contains(self.address().toString())) {
      return Integer.MAX_VALUE; // the cluster's view has not caught up with this node yet
    }
    return ClientShares.of(self.address().toString(), pool, configured).size();
  }

  /**
   * Whether the receptionist now lists at least one of {@code key}'s services on this node, and a server refused
   * none of them ({@link NodeStatus}); false if the receptionist does not answer in time.
   */
  private <T> CompletableFuture<Boolean> noneRefused(ServiceKey<T> key, NodeStatus status) {
    Address selfAddress = Cluster.get(system).selfMember().address();
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            replyTo -> Receptionist.find(key, replyTo), LOOKUP, system.scheduler())
        .toCompletableFuture()
        .thenApply(listing -> {
          List<ActorRef<T>> local = listing.getServiceInstances(key).stream()
              .filter(ref -> ref.path().address().hasLocalScope() || ref.path().address().equals(selfAddress)).toList();
          return !local.isEmpty() && local.stream().noneMatch(status::isRefused);
        })
        .exceptionally(slow -> false);
  }
}
