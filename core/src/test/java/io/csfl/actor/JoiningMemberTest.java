package io.csfl.actor;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.Address;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Down;
import akka.cluster.typed.Join;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import java.time.Duration;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client listed from a node that is still joining is handshaken only once its node is up: Akka
 * does not tell a watcher of an actor on a joining node that the actor stopped, so a round's
 * collector would wait out its timeout for such a client. The client's node stays joining while
 * a member that vanished without leaving is unreachable, until that member is downed; every
 * message is serialized.
 */
class JoiningMemberTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** No WeaklyUp: a joining node stays joining while a member is unreachable. */
  private static final String HOLD = "akka.cluster.allow-weakly-up-members = off";
  private ActorTestKit home;
  private ActorTestKit clients;
  private ActorTestKit third;

  @AfterEach
  void cleanup() {
    for (ActorTestKit kit : new ActorTestKit[] {third, clients, home}) {
      if (kit != null) {
        kit.shutdownTestKit();
      }
    }
  }

  @Test
  void aClientOnAJoiningNodeIsHandshakenOnceItsNodeIsUp() throws InterruptedException {
    home = ActorTestKit.create("csfl", TestClusters.node(0, "server, aggregator", HOLD));
    // A member that vanishes without leaving: unreachable, it keeps the leader from moving anyone
    // Up until it is downed.
    third = ActorTestKit.create("csfl", TestClusters.node(0, "client", HOLD + """

        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.cluster.run-coordinated-shutdown-when-down = off
        """));
    TestClusters.form(WAIT, home, third);
    Address vanished = third.system().address();
    third.shutdownTestKit();
    third = null;
    awaitUnreachable(home, vanished);

    clients = ActorTestKit.create("csfl", TestClusters.node(0, "client", HOLD));
    Cluster.get(clients.system()).manager().tell(Join.create(home.system().address()));
    awaitJoining(home, clients.system().address());
    TestProbe<Client.Command> client = clients.createTestProbe(Client.Command.class);
    clients.system().receptionist().tell(Receptionist.register(Client.KEY, client.getRef()));
    TestProbe<Receptionist.Listing> listings = home.createTestProbe();
    home.system().receptionist().tell(Receptionist.subscribe(Client.KEY, listings.getRef()));
    listings.fishForMessage(WAIT, l -> l.getServiceInstances(Client.KEY).size() == 1
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());

    home.system().receptionist().tell(Receptionist.register(Aggregator.KEY,
        home.spawn(Aggregator.create(new FedAvg().newServer(TestModels.mlp().initialModel(1), 1), new MagnitudePruner()))));
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(1).roundTimeout(Duration.ofMinutes(5))
        .seed(5).clients(1).build();
    home.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()),
        home.createTestProbe(Server.Event.class).getRef()), "server", Server.DISPATCHER);
    // Listed, but its node is joining: not asked yet.
    client.expectNoMessage(Duration.ofSeconds(3));
    awaitJoining(home, clients.system().address());

    Cluster.get(home.system()).manager().tell(new Down(vanished));
    TestClusters.awaitUp(WAIT, home, clients);
    client.expectMessageClass(Client.Describe.class, WAIT);
  }

  private static java.util.stream.Stream<akka.cluster.Member> members(ActorTestKit kit) {
    return StreamSupport.stream(Cluster.get(kit.system()).state().getMembers().spliterator(), false);
  }

  /** Waits until {@code kit} sees the member at {@code address} unreachable. */
  private static void awaitUnreachable(ActorTestKit kit, Address address) throws InterruptedException {
    await(() -> StreamSupport.stream(Cluster.get(kit.system()).state().getUnreachable().spliterator(), false)
        .anyMatch(m -> m.address().equals(address)), address + " unreachable");
  }

  /** Waits until {@code kit} sees the member at {@code address} joining. */
  private static void awaitJoining(ActorTestKit kit, Address address) throws InterruptedException {
    await(() -> members(kit).anyMatch(m -> m.address().equals(address) && m.status() == MemberStatus.joining()), address + " joining");
  }

  private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " not seen within " + WAIT);
      }
      Thread.sleep(50);
    }
  }
}
