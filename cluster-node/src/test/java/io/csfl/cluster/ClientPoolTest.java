package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.cluster.typed.Leave;
import io.csfl.actor.Client;
import io.csfl.nn.Architecture;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.strategy.FedAvg;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Client nodes started with {@code --client-ids auto} share the clients: each hosts an even,
 * contiguous share, and the shares are redrawn when a pool node joins or leaves, which is what
 * lets {@code docker compose --scale client=N} work.
 */
class ClientPoolTest {
  private static final int CLIENTS = 6;
  private final List<ActorSystem<?>> systems = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopAll() {
    systems.forEach(ActorSystem::terminate);
  }

  private ActorSystem<Void> poolNode(ActorSystem<?> joinTo) {
    NetworkTrainer trainer = new NetworkTrainer(Architecture.mlp(), new TrainingConfig(1, 8, OptimizerConfig.sgd(0.1, 0)));
    ClientsHost.ClientPool pool = ClientsHost.ClientPool.shared(CLIENTS, id -> Client.create(ClientsHost.clientId(id), ChurnTest.SIGNATURE,
        new FedAvg().newClient(), trainer, ChurnTest.randomData(8, 1), new int[] {id}, id));
    NodePlan plan = new NodePlan(Set.of(NodePlan.CLIENT, ClientsHost.POOL_ROLE), Optional.empty(), Optional.of(pool), Optional.empty());
    ActorSystem<Void> system = ActorSystem.create(NodeGuardian.create(plan), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", 0, plan.roles(), List.of(), ChurnTest.NODE_CONFIG));
    systems.add(system);
    Cluster.get(system).manager().tell(Join.create(joinTo == null ? system.address() : joinTo.address()));
    return system;
  }

  /** Waits until the receptionist lists every client once and the hosting nodes hold {@code expected} clients each. */
  private static Map<Address, Integer> awaitShares(ActorSystem<?> node, Map<Address, Integer> expected) throws Exception {
    Map<Address, Integer> shares = Map.of();
    for (int attempt = 0; attempt < 150; attempt++) {
      Receptionist.Listing listing = AskPattern.<Receptionist.Command, Receptionist.Listing>ask(node.receptionist(),
          replyTo -> Receptionist.find(Client.KEY, replyTo), Duration.ofSeconds(3), node.scheduler()).toCompletableFuture().get();
      Set<ActorRef<Client.Command>> clients = listing.getServiceInstances(Client.KEY);
      shares = clients.stream().collect(Collectors.toMap(c -> c.path().address().hasGlobalScope() ? c.path().address() : node.address(),
          c -> 1, Integer::sum));
      if (clients.size() == CLIENTS && shares.equals(expected)) {
        return shares;
      }
      Thread.sleep(100);
    }
    assertEquals(expected, shares, "client shares of the pool nodes");
    return shares;
  }

  @Test
  void poolNodesSplitTheClientsAndTakeThemBackWhenOneLeaves() throws Exception {
    ActorSystem<Void> a = poolNode(null);
    awaitShares(a, Map.of(a.address(), 6));

    ActorSystem<Void> b = poolNode(a);
    awaitShares(a, Map.of(a.address(), 3, b.address(), 3));

    ActorSystem<Void> c = poolNode(a);
    awaitShares(a, Map.of(a.address(), 2, b.address(), 2, c.address(), 2));

    Cluster.get(b).manager().tell(Leave.create(b.address()));
    awaitShares(a, Map.of(a.address(), 3, c.address(), 3));
  }
}
