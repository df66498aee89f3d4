package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.cluster.typed.Leave;
import io.csfl.actor.Client;
import io.csfl.actor.Server;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.strategy.FedAvg;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Client nodes started with {@code --client-ids auto} share the clients: each hosts its
 * {@link ClientShares} share, and the shares are redrawn when a pool node joins or leaves, which is
 * what lets {@code docker compose --scale client=N} work.
 */
class ClientPoolTest {
  private static final int CLIENTS = 12;
  private final List<ActorSystem<?>> systems = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopAll() {
    systems.forEach(ActorSystem::terminate);
  }

  private ActorSystem<Void> poolNode(ActorSystem<?> joinTo) {
    return poolNode(joinTo, ChurnTest.SIGNATURE);
  }

  /** A pool node whose clients describe their data with {@code signature}. */
  private ActorSystem<Void> poolNode(ActorSystem<?> joinTo, String signature) {
    NetworkTrainer trainer = new NetworkTrainer(Architecture.mlp(), new TrainingConfig(1, 8, OptimizerConfig.sgd(0.1, 0)));
    ClientsHost.ClientPool pool = ClientsHost.ClientPool.shared(CLIENTS, id -> Client.create(ClientsHost.clientId(id), signature,
        new FedAvg().newClient(), trainer, ChurnTest.randomData(CLIENTS, 1), new int[] {id}, id));
    NodePlan plan = new NodePlan(Set.of(NodePlan.CLIENT, ClientsHost.POOL_ROLE), Optional.empty(), Optional.of(pool), Optional.empty());
    ActorSystem<Void> system = ActorSystem.create(NodeGuardian.create(plan), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", 0, plan.roles(), List.of(), ChurnTest.NODE_CONFIG));
    systems.add(system);
    Cluster.get(system).manager().tell(Join.create(joinTo == null ? system.address() : joinTo.address()));
    return system;
  }

  /** The clients each node should host when {@code nodes} form the pool. */
  private static Map<Address, Set<Integer>> sharesOf(ActorSystem<?>... nodes) {
    List<String> members = Stream.of(nodes).map(n -> n.address().toString()).toList();
    return Stream.of(nodes).collect(Collectors.toMap(ActorSystem::address,
        n -> Set.copyOf(ClientShares.of(n.address().toString(), members, CLIENTS))));
  }

  /** Waits until each node's clients host describes the clients that node should host, every client once. */
  private void awaitShares(Map<Address, Set<Integer>> expected) throws Exception {
    Map<Address, Set<Integer>> shares = Map.of();
    // Membership converges, stays quiet for csfl.client-pool.settle, then the shares are redrawn:
    // seconds each, more on a busy machine; the deadline only ends a test that would never pass.
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      shares = systems.stream().filter(n -> !n.getWhenTerminated().toCompletableFuture().isDone() && expected.containsKey(n.address()))
          .collect(Collectors.toMap(ActorSystem::address, this::described));
      if (withoutEmpty(shares).equals(withoutEmpty(expected))) {
        return;
      }
      Thread.sleep(100);
    }
    assertEquals(withoutEmpty(expected), withoutEmpty(shares), "clients hosted by each pool node");
  }

  /**
   * The node that asks the clients hosts for their clients, or null for each host's own node: once a host has shaken
   * hands with a server, it answers only that server's node (or the oldest server-role member).
   */
  private ActorSystem<?> askedFrom;

  /** The clients {@code node}'s registered clients host describes, asked from {@link #askedFrom}; empty if it does not answer. */
  private Set<Integer> described(ActorSystem<?> node) {
    ActorSystem<?> asker = askedFrom == null ? node : askedFrom;
    try {
      Receptionist.Listing listing = AskPattern.<Receptionist.Command, Receptionist.Listing>ask(node.receptionist(),
          replyTo -> Receptionist.find(Client.HOST_KEY, replyTo), Duration.ofSeconds(3), node.scheduler()).toCompletableFuture().get();
      Set<Integer> ids = new TreeSet<>();
      for (ActorRef<Client.HostCommand> host : listing.getServiceInstances(Client.HOST_KEY)) {
        if (host.path().address().hasLocalScope()) {
          ActorRef<Client.HostCommand> reached = ActorRefResolver.get(asker).resolveActorRef(ActorRefResolver.get(node).toSerializationFormat(host));
          Client.Descriptions batch = AskPattern.<Client.HostCommand, Client.Descriptions>ask(reached,
              replyTo -> new Client.DescribeHosted(0, replyTo), Duration.ofSeconds(3), asker.scheduler()).toCompletableFuture().get();
          batch.clients().forEach(c -> ids.add(Client.index(c.clientId()).getAsInt()));
        }
      }
      return ids;
    } catch (Exception stale) { // a host stopped at a reshare, still listed
      return Set.of();
    }
  }

  private static Map<Address, Set<Integer>> withoutEmpty(Map<Address, Set<Integer>> shares) {
    return shares.entrySet().stream().filter(e -> !e.getValue().isEmpty())
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  /**
   * A pool node whose clients the server refuses (its flags or data differ from the server's) would keep its share
   * of the pool's clients from training for as long as it runs: the other pool node takes that share over, while
   * the refused node stays a member, keeps its clients and lists itself as refused.
   */
  @Test
  void thePoolHostsTheShareOfANodeWhoseClientsTheServerRefused() throws Exception {
    Path out = Files.createTempDirectory("pool-refused");
    // A server that waits for more clients than there are: it only handshakes.
    Architecture mlp = Architecture.mlp();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2).roundTimeout(Duration.ofSeconds(30))
        .minClients(CLIENTS + 1).dataSignature(ChurnTest.SIGNATURE).build();
    NodePlan serverPlan = new NodePlan(Set.of(NodePlan.SERVER), Optional.empty(), Optional.empty(), Optional.of(
        new NodePlan.ServerPart(settings, Evaluator.of(mlp, ChurnTest.randomData(CLIENTS, 1)), out.resolve("metrics.csv"), rounds -> {})));
    ActorSystem<Void> server = ActorSystem.create(NodeGuardian.create(serverPlan), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", 0, serverPlan.roles(), List.of(), ChurnTest.NODE_CONFIG));
    systems.add(server);
    askedFrom = server;
    Cluster.get(server).manager().tell(Join.create(server.address()));
    ActorSystem<Void> good = poolNode(server);
    ActorSystem<Void> refused = poolNode(server, ChurnTest.SIGNATURE.replace("seed=1", "seed=2"));

    // The good node may have hosted every client before the other one joined: first the refusal, then the shares.
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!refusedMembers(good).equals(Set.of(refused.address().toString())) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(Set.of(refused.address().toString()), refusedMembers(good), "the refused node lists itself as refused");
    awaitShares(sharesOf(good));
    assertEquals(CLIENTS, described(good).size(), "the accepted node hosts every client");
    assertTrue(Cluster.get(good).state().getMembers().toString().contains(refused.address().toString()), "still a member");
  }

  /** The pool members {@code node}'s receptionist lists as refused. */
  private static Set<String> refusedMembers(ActorSystem<?> node) throws Exception {
    Receptionist.Listing listing = AskPattern.<Receptionist.Command, Receptionist.Listing>ask(node.receptionist(),
        replyTo -> Receptionist.find(ClientsHost.REFUSED_POOL_MEMBER, replyTo), Duration.ofSeconds(3), node.scheduler())
        .toCompletableFuture().get();
    return listing.getServiceInstances(ClientsHost.REFUSED_POOL_MEMBER).stream().map(r -> r.path().address().toString())
        .collect(Collectors.toSet());
  }

  @Test
  void poolNodesSplitTheClientsAndTakeThemBackWhenOneLeaves() throws Exception {
    ActorSystem<Void> a = poolNode(null);
    awaitShares(sharesOf(a));

    ActorSystem<Void> b = poolNode(a);
    awaitShares(sharesOf(a, b));

    ActorSystem<Void> c = poolNode(a);
    Map<Address, Set<Integer>> three = sharesOf(a, b, c);
    assertTrue(three.values().stream().filter(share -> !share.isEmpty()).count() >= 2,
        "the " + CLIENTS + " clients should spread over more than one node: " + three);
    awaitShares(three);

    Cluster.get(b).manager().tell(Leave.create(b.address()));
    Map<Address, Set<Integer>> two = sharesOf(a, c);
    assertTrue(two.get(a.address()).containsAll(three.get(a.address())) && two.get(c.address()).containsAll(three.get(c.address())),
        "the nodes that stay keep their clients: " + three + " -> " + two);
    awaitShares(two);
  }
}
