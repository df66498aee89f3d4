package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * A node that hosts many clients registers one clients host ({@link Client#host}) and the server learns its clients
 * in batches: a real cluster on loopback of the server's node ("home", roles server and aggregator), a client node
 * ("clients", role client) and a member without the client role ("stranger", role aggregator), every message
 * serialized. Every check a single client's handshake gets still holds for each client a host describes.
 */
class HostedClientsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String SIGNATURE = "random/64 hosted";
  private ActorTestKit home;
  private ActorTestKit clients;
  private ActorTestKit stranger;

  @BeforeEach
  void cluster() throws InterruptedException {
    home = ActorTestKit.create("csfl", TestClusters.node(0, "server, aggregator", ""));
    clients = ActorTestKit.create("csfl", TestClusters.node(0, "client", ""));
    stranger = ActorTestKit.create("csfl", TestClusters.node(0, "aggregator", ""));
    TestClusters.form(WAIT, home, clients, stranger);
  }

  @AfterEach
  void cleanup() {
    stranger.shutdownTestKit();
    clients.shutdownTestKit();
    home.shutdownTestKit();
  }

  private static ActorRef<Client.Command> client(ActorTestKit node, int index, String signature) {
    return node.spawn(Client.create(Client.id(index), signature, new FedAvg().newClient(), TestModels.trainer(),
        TestModels.dataset(), new int[] {index % 64}, index), Client.id(index), Client.DISPATCHER);
  }

  private static void register(ActorTestKit node, Behavior<Client.HostCommand> host) {
    node.system().receptionist().tell(Receptionist.register(Client.HOST_KEY, node.spawn(host)));
  }

  /** Waits until the home node's receptionist lists {@code count} clients hosts. */
  private void awaitHosts(int count) {
    TestProbe<Receptionist.Listing> listings = home.createTestProbe();
    home.system().receptionist().tell(Receptionist.subscribe(Client.HOST_KEY, listings.getRef()));
    listings.fishForMessage(WAIT, l -> l.getServiceInstances(Client.HOST_KEY).size() == count
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
  }

  private ActorRef<Server.Command> server(Server.Settings settings, TestProbe<Server.Event> events) {
    home.system().receptionist().tell(Receptionist.register(Aggregator.KEY,
        home.spawn(Aggregator.create(new FedAvg().newServer(TestModels.mlp().initialModel(1), 1), new MagnitudePruner()))));
    return home.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()),
        "server", Server.DISPATCHER);
  }

  /** One log event of {@code level} whose message holds all of {@code parts}. */
  private static LoggingTestKit logged(Level level, String... parts) {
    return LoggingTestKit.empty().withLogLevel(level).withCustom(e -> Stream.of(parts).allMatch(e.message()::contains));
  }

  /** Runs {@code action} and waits until every one of {@code expected} has been logged. */
  private void expectAll(List<LoggingTestKit> expected, Runnable action) {
    if (expected.isEmpty()) {
      action.run();
    } else {
      expected.get(0).expect(home.system(), () -> {
        expectAll(expected.subList(1, expected.size()), action);
        return null;
      });
    }
  }

  @Test
  void aServerOnANodeWithoutTheServerRoleSaysSoInItsOwnLog() {
    // Every client, host and aggregator elsewhere refuses it, each in its own node's log.
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(1).seed(5).clients(1).build();
    logged(Level.ERROR, "this node does not have the cluster role 'server'", "akka.cluster.roles").expect(stranger.system(), () ->
        stranger.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()),
            stranger.createTestProbe(Server.Event.class).getRef()), "server", Server.DISPATCHER));
  }

  @Test
  void aSignatureRefusalNamesTheWordsThatDiffer() {
    assertEquals("'lr=0.05 local-epochs=2' against 'lr=0.01 local-epochs=5'",
        Server.signatureDifference("data/60000/ab clients=30 lr=0.05 local-epochs=2 seed=7", "data/60000/ab clients=30 lr=0.01 local-epochs=5 seed=7"));
    assertEquals("'other' against ''", Server.signatureDifference("a b other", "a b"));
    // A data word's digest says nothing to an operator: what differs is said in words.
    assertEquals("'fashion-mnist-train/60000/9bff83c9' against 'fashion-mnist-train/60000/564cf844' (the same data set and "
            + "example count with other contents: another file, or other preprocessing (standardization, class count))",
        Server.signatureDifference("fashion-mnist-train/60000/9bff83c9 clients=30", "fashion-mnist-train/60000/564cf844 clients=30"));
    assertEquals("'a.csv/500/0000abcd' against 'a.csv/499/0000abcd' (the same data set with 500 training examples against 499)",
        Server.signatureDifference("a.csv/500/0000abcd seed=1", "a.csv/499/0000abcd seed=1"));
    assertEquals("'a.csv/500/0000abcd' against 'b.csv/500/0000abcd' (another data set)",
        Server.signatureDifference("a.csv/500/0000abcd", "b.csv/500/0000abcd"));
    assertEquals("'a.csv/500/0000abcd lr=0.1' against 'b.csv/500/0000abcd lr=0.2' (another data set)",
        Server.signatureDifference("a.csv/500/0000abcd lr=0.1", "b.csv/500/0000abcd lr=0.2"));
  }

  /**
   * A verdict counts (a refusal is logged at error level, and the host's status, which its node's readiness follows,
   * shows it) only from a server-role member and with the host's verdict key, which only a server the host answered
   * learns. A request for the descriptions changes nothing; a verdict of another server starts over.
   */
  @Test
  void aHostBelievesAVerdictOnlyFromAServerItAnswered() {
    ActorRef<Client.HostCommand> host = clients.spawn(Client.host(List.of(client(clients, 0, SIGNATURE), client(clients, 1, SIGNATURE))));
    ActorRef<Client.HostCommand> seenFromStranger = TestClusters.reachedFrom(stranger, clients, host);
    ActorRef<Client.HostCommand> seenFromHome = TestClusters.reachedFrom(home, clients, host);
    ActorRef<Server.Command> notAServer = stranger.spawn(Behaviors.<Server.Command>ignore());
    ActorRef<Server.Command> aServer = home.spawn(Behaviors.<Server.Command>ignore());
    TestProbe<Client.HostStatus> published = clients.createTestProbe();
    clients.system().eventStream().tell(new akka.actor.typed.eventstream.EventStream.Subscribe<>(Client.HostStatus.class, published.getRef()));
    // A member without the server role cannot make the host say its clients were refused.
    expectAll(List.of(logged(Level.WARN, "the clients host ignored a verdict on its clients", "server role")),
        () -> seenFromStranger.tell(new Client.HostVerdict(1, "forged", notAServer, 0)));
    // Nor can a server-role member that does not know the host's verdict key.
    expectAll(List.of(logged(Level.WARN, "the clients host ignored a verdict on its clients", "verdict key")),
        () -> seenFromHome.tell(new Client.HostVerdict(1, "guessed", aServer, 0)));
    TestProbe<Client.Descriptions> descriptions = home.createTestProbe();
    seenFromHome.tell(new Client.DescribeHosted(0, descriptions.getRef()));
    long key = descriptions.receiveMessage(WAIT).verdictKey();
    expectAll(List.of(logged(Level.WARN, "the clients host ignored a verdict on its clients", "verdict key")),
        () -> seenFromHome.tell(new Client.HostVerdict(1, "guessed", aServer, key + 1)));
    published.expectNoMessage(Duration.ofMillis(200));

    expectAll(List.of(logged(Level.ERROR, "refused 1 of the 2 clients hosted here", "their lr")),
        () -> seenFromHome.tell(new Client.HostVerdict(1, "their lr", aServer, key)));
    assertEquals(new Client.HostStatus(host, 2, 1, "their lr"), published.receiveMessage(WAIT));
    seenFromHome.tell(new Client.HostVerdict(5, "their\nlr", aServer, key));
    assertEquals(new Client.HostStatus(host, 2, 2, "their lr"), published.receiveMessage(WAIT), "never more than it hosts");

    // Asking for the descriptions again (anyone can make the host do that) changes nothing, nor the key.
    seenFromHome.tell(new Client.DescribeHosted(0, descriptions.getRef()));
    assertEquals(key, descriptions.receiveMessage(WAIT).verdictKey());
    seenFromHome.tell(new Client.HostVerdict(0, "", aServer, key));
    // Taken in order: once the next (ignored) verdict is logged, the one before it has been handled.
    expectAll(List.of(logged(Level.WARN, "the clients host ignored a verdict on its clients", "verdict key")),
        () -> seenFromHome.tell(new Client.HostVerdict(1, "barrier", aServer, key + 1)));
    published.expectNoMessage(Duration.ofMillis(500));
    // Another server's verdict (a failover, or a restarted server) starts over.
    ActorRef<Server.Command> nextServer = home.spawn(Behaviors.<Server.Command>ignore());
    seenFromHome.tell(new Client.HostVerdict(1, "their momentum", nextServer, key));
    assertEquals(new Client.HostStatus(host, 2, 1, "their momentum"), published.receiveMessage(WAIT));
    seenFromHome.tell(new Client.HostVerdict(0, "", home.spawn(Behaviors.<Server.Command>ignore()), key));
    assertEquals(new Client.HostStatus(host, 2, 0, ""), published.receiveMessage(WAIT));
  }

  /**
   * Once the server that runs (on the oldest Up member with the server role) has shaken hands with a host and a
   * client, a handshake from another server-role node (a standby, or an address any member can name) cannot take
   * them over: they would refuse the running server's orders from then on.
   */
  @Test
  void aServerNodeThatDoesNotRunTheServerCannotTakeTheClientsOver() throws InterruptedException {
    // A site that runs a standby server beside clients of its own.
    ActorTestKit standby = ActorTestKit.create("csfl", TestClusters.node(0, "server, client", ""));
    try {
      akka.cluster.typed.Cluster.get(standby.system()).manager().tell(akka.cluster.typed.Join.create(home.system().address()));
      TestClusters.awaitUp(WAIT, home, clients, stranger, standby);
      ActorRef<Client.HostCommand> host = clients.spawn(Client.host(List.of(client(clients, 0, SIGNATURE))));
      ActorRef<Client.Command> single = client(clients, 1, SIGNATURE);
      TestProbe<Client.Descriptions> fromHome = home.createTestProbe();
      TestProbe<Client.Description> describedToHome = home.createTestProbe();
      TestClusters.reachedFrom(home, clients, host).tell(new Client.DescribeHosted(0, fromHome.getRef()));
      fromHome.receiveMessage(WAIT);
      TestClusters.reachedFrom(home, clients, single).tell(new Client.Describe(describedToHome.getRef()));
      describedToHome.receiveMessage(WAIT);

      TestProbe<Client.Descriptions> fromStandby = standby.createTestProbe();
      TestProbe<Client.Description> describedToStandby = standby.createTestProbe();
      expectAll(List.of(logged(Level.WARN, "the clients host refused a handshake", "not the oldest Up member with the server role")),
          () -> TestClusters.reachedFrom(standby, clients, host).tell(new Client.DescribeHosted(0, fromStandby.getRef())));
      expectAll(List.of(logged(Level.WARN, "client client-0001 refused a handshake", "not the oldest Up member with the server role")),
          () -> TestClusters.reachedFrom(standby, clients, single).tell(new Client.Describe(describedToStandby.getRef())));
      fromStandby.expectNoMessage(Duration.ofMillis(200));
      describedToStandby.expectNoMessage(Duration.ofMillis(200));
      // Nor can a handshake that names the standby's own node take the clients it hosts.
      ActorRef<Client.HostCommand> standbyHost = standby.spawn(Client.host(List.of(client(standby, 2, SIGNATURE))));
      TestClusters.reachedFrom(home, standby, standbyHost).tell(new Client.DescribeHosted(0, fromHome.getRef()));
      fromHome.receiveMessage(WAIT);
      expectAll(List.of(logged(Level.WARN, "the clients host refused a handshake", "not the oldest Up member with the server role")),
          () -> standbyHost.tell(new Client.DescribeHosted(0, fromStandby.getRef())));
      // The running server's node is still answered.
      TestClusters.reachedFrom(home, clients, host).tell(new Client.DescribeHosted(0, fromHome.getRef()));
      fromHome.receiveMessage(WAIT);
    } finally {
      standby.shutdownTestKit();
    }
  }

  @Test
  void aListedClientThatTheServerRefusesIsToldOnceWhileListedButNotByAMemberWithoutTheServerRole() {
    ActorRef<Client.Command> other = client(clients, 0, "random/64 other");
    ActorRef<Client.Command> seenFromStranger = TestClusters.reachedFrom(stranger, clients, other);
    logged(Level.WARN, "client client-0000 ignored a refusal of itself", "server role").expect(home.system(), () -> {
      seenFromStranger.tell(new Client.Refused("forged", stranger.spawn(Behaviors.<Server.Command>ignore())));
      return null;
    });

    TestProbe<Server.Event> events = home.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(1).roundTimeout(Duration.ofMinutes(5))
        .seed(5).clients(4).dataSignature(SIGNATURE).build();
    expectAll(List.of(
        logged(Level.ERROR, "refusing client client-0000", "its data signature differs from this server's: 'other' against 'hosted'"),
        logged(Level.ERROR, "client client-0000: the server at", "refused this client and will not train it",
            "its data signature differs from this server's: 'other' against 'hosted'")),
        () -> {
          clients.system().receptionist().tell(Receptionist.register(Client.KEY, other));
          server(settings, events);
        });

    // Another listing (a second client with other data registers): the first, which cannot have
    // changed what it describes, is not asked, refused and told again.
    ActorRef<Client.Command> another = client(clients, 1, "random/64 another");
    LoggingTestKit.error("refusing client client-0000").withOccurrences(0).expect(home.system(), () -> {
      logged(Level.ERROR, "refusing client client-0001", "'another' against 'hosted'").expect(home.system(), () -> {
        clients.system().receptionist().tell(Receptionist.register(Client.KEY, another));
        return null;
      });
      events.expectNoMessage(Duration.ofMillis(500));
      return null;
    });
  }

  @Test
  void clientsOfAHostRefusedForOneReasonAreOneLine() {
    // A site whose data differ: all of its clients are refused alike.
    register(clients, Client.host(IntStream.range(0, 7).mapToObj(i -> client(clients, i, "random/64 other")).toList()));
    awaitHosts(1);
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2).roundTimeout(Duration.ofMinutes(5))
        .seed(5).clients(8).dataSignature(SIGNATURE).build();
    LoggingTestKit.error("refusing client").withOccurrences(0).expect(home.system(), () ->
        logged(Level.ERROR, "refusing 7 clients (client-0000, client-0001, client-0002, client-0003, client-0004 and 2 more)",
            "its data signature differs from this server's: 'other' against 'hosted'; they will not be trained on")
            .expect(home.system(), () -> server(settings, home.createTestProbe())));
  }

  @Test
  void aServerTakesOnAllClientsOfAHostInBatches() {
    int count = 2 * Client.MAX_BATCH + 50;
    List<ActorRef<Client.Command>> hosted = IntStream.range(0, count).mapToObj(i -> client(clients, i, SIGNATURE)).toList();
    register(clients, Client.host(hosted));

    TestProbe<Server.Event> events = home.createTestProbe();
    server(Server.Settings.builder("fedavg").rounds(1).clientsPerRound(3).roundTimeout(Duration.ofMinutes(5))
        .seed(5).clients(count).minClients(count).dataSignature(SIGNATURE).build(), events);

    // The server starts by itself only once all of them are registered: three batches.
    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(3, done.metrics().clientsSelected());
    assertEquals(3, done.metrics().clientsCompleted(), "the hosted clients obey the server their host answered");
  }

  @Test
  void everyHostedClientIsCheckedAndAHostOnlyOnANodeWithTheClientRole() {
    // On the client node: two good clients, one with other data, one outside the federation's 4.
    register(clients, Client.host(List.of(client(clients, 0, SIGNATURE), client(clients, 1, SIGNATURE),
        client(clients, 2, "random/64 other"), client(clients, 9, SIGNATURE))));
    // A good client, announced by a host on a member without the client role.
    register(stranger, Client.host(List.of(client(stranger, 3, SIGNATURE))));
    // A client of the server's own node, claimed by a host on the client node.
    ActorRef<Client.Command> elsewhere = client(home, 3, SIGNATURE);
    ActorRef<Client.Command> elsewhereSeenFromClients = TestClusters.reachedFrom(clients, home, elsewhere);
    register(clients, answering(0, 1, List.of(new Client.Description(Client.id(3), SIGNATURE, 1, elsewhereSeenFromClients))));
    // A host that announces more clients than the federation has.
    register(clients, answering(0, 1000, List.of(new Client.Description(Client.id(3), SIGNATURE, 1, client(clients, 3, SIGNATURE)))));
    // (A description that names no id never reaches the server: the control serializer refuses a
    // null field, ControlSerializerTest.)
    awaitHosts(4);

    TestProbe<Server.Event> events = home.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(10).roundTimeout(Duration.ofMinutes(5))
        .seed(5).clients(4).dataSignature(SIGNATURE).build();
    AtomicReference<ActorRef<Server.Command>> server = new AtomicReference<>();
    expectAll(List.of(
        logged(Level.ERROR, "refusing client client-0002", "its data signature differs from this server's: 'other' against 'hosted'"),
        logged(Level.ERROR, "refusing client client-0009", "is not one of the federation's 4"),
        logged(Level.WARN, "refused the clients host registered at", "not a member with the client role"),
        logged(Level.ERROR, "refusing client client-0003", "not on its host's node"),
        logged(Level.ERROR, "refusing the clients host", "it announces 1000 clients, more than the 4"),
        // The host on the client node says so too, with the first refusal.
        logged(Level.ERROR, "refused 2 of the 4 clients hosted here", "client client-0002: its data signature differs")),
        () -> server.set(server(settings, events)));

    server.get().tell(new Server.Start());
    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(2, done.metrics().clientsSelected(), "only client-0000 and client-0001 were taken on");
    assertEquals(2, done.metrics().clientsCompleted());
  }

  /**
   * A server started with {@code settings} once a host on the client node describes client-0000,
   * {@code second} (client-0001) and a client-0002 the server refuses, whose logged refusal shows
   * that the two before it were taken on.
   */
  private ActorRef<Server.Command> serverWithTwoOfThreeHostedClients(ActorRef<Client.Command> second, Server.Settings settings,
                                                                     TestProbe<Server.Event> events) {
    register(clients, Client.host(List.of(client(clients, 0, SIGNATURE), second, client(clients, 2, "random/64 other"))));
    awaitHosts(1);
    AtomicReference<ActorRef<Server.Command>> server = new AtomicReference<>();
    expectAll(List.of(logged(Level.ERROR, "refusing client client-0002", "its data signature differs from this server's: 'other' against 'hosted'")),
        () -> server.set(server(settings, events)));
    return server.get();
  }

  /**
   * A hosted client seen to go while it runs (its node rejoined after a freeze, and the watch went
   * through the old incarnation's association) is taken on again: its host, still listed, is asked
   * again. Without that, this federation waits for a second client and aborts after the grace.
   */
  @Test
  void aHostedClientSeenToGoWhileItRunsIsTakenOnAgainThroughItsHost() {
    ActorRef<Client.Command> second = client(clients, 1, SIGNATURE);
    TestProbe<Server.Event> events = home.createTestProbe();
    ActorRef<Server.Command> server = serverWithTwoOfThreeHostedClients(second, Server.Settings.builder("fedavg").rounds(2).clientsPerRound(2)
        .minCompleted(2).clientGrace(Duration.ofSeconds(45)).roundTimeout(Duration.ofMinutes(5)).seed(5).clients(3).dataSignature(SIGNATURE)
        .build(), events);

    server.tell(new Server.ClientGone(Client.id(1), TestClusters.reachedFrom(home, clients, second)));
    server.tell(new Server.Start());
    for (int round = 1; round <= 2; round++) {
      Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
      assertEquals(2, done.metrics().clientsCompleted(), "round " + round + ": " + done.metrics());
    }
  }

  @Test
  void aClientHandedOverToAnotherHostIsTakenOnOnceItsPredecessorIsGone() {
    // Host A: client-0000 and client-0001, both taken on.
    ActorRef<Client.Command> first = client(clients, 1, SIGNATURE);
    TestProbe<Server.Event> events = home.createTestProbe();
    ActorRef<Server.Command> server = serverWithTwoOfThreeHostedClients(first, Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2)
        .roundTimeout(Duration.ofMinutes(5)).seed(5).clients(3).dataSignature(SIGNATURE).build(), events);

    // Host B takes client-0001 over (a pool node starting a client another node gives up) while
    // host A's is still there: the server keeps it aside, and takes it on once host A's is gone.
    ActorRef<Client.Command> second = clients.spawn(Client.create(Client.id(1), SIGNATURE, new FedAvg().newClient(),
        TestModels.trainer(), TestModels.dataset(), new int[] {1}, 1), "moved-" + Client.id(1), Client.DISPATCHER);
    // Host B's node says so too: its client is not trained yet.
    expectAll(List.of(logged(Level.WARN, "client client-0001", "is still registered", "taken on once that one is gone"),
            logged(Level.WARN, "takes 1 of the 1 clients hosted here on only once the actors of the same ids")),
        () -> register(clients, Client.host(List.of(second))));
    expectAll(List.of(logged(Level.WARN, "took on client client-0001", "moved-client-0001", "is gone")),
        () -> clients.stop(first));

    server.tell(new Server.Start());
    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(2, done.metrics().clientsSelected());
    assertEquals(2, done.metrics().clientsCompleted(), "client-0001 trained on host B's actor");
  }

  @Test
  void aHostedClientThatAnswersItsIntroductionLateIsAskedForAgainAndTrained() {
    // A host whose second client was still busy when it introduced the server: its first answer
    // describes one client and says one has not answered; asked again, it describes the other.
    Client.Description first = new Client.Description(Client.id(0), SIGNATURE, 1, client(clients, 0, SIGNATURE));
    Client.Description late = new Client.Description(Client.id(1), SIGNATURE, 1, client(clients, 1, SIGNATURE));
    register(clients, Behaviors.receiveMessage(m -> {
      if (m instanceof Client.DescribeHosted d) {
        d.replyTo().tell(d.from() == 0 ? new Client.Descriptions(0, 1, List.of(first), 1, 0) : new Client.Descriptions(1, 2, List.of(late), 0, 0));
      }
      return Behaviors.same();
    }));
    awaitHosts(1);
    TestProbe<Server.Event> events = home.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2).roundTimeout(Duration.ofMinutes(5))
        .seed(5).clients(2).dataSignature(SIGNATURE).build();
    AtomicReference<ActorRef<Server.Command>> server = new AtomicReference<>();
    TestModels.withServerLogAt(ch.qos.logback.classic.Level.INFO, () -> {
      expectAll(List.of(logged(Level.WARN, "described 1 clients; 1 more have not answered its introduction yet"),
          logged(Level.INFO, "described 1 more clients; 0 have still not answered")),
          () -> server.set(server(settings, events)));
      return null;
    });

    server.get().tell(new Server.Start());
    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(2, done.metrics().clientsSelected(), "the late client was taken on");
    assertEquals(2, done.metrics().clientsCompleted());
  }

  /** A forged host on the client node: whatever it is asked, it answers one batch of {@code described} out of {@code total}. */
  private static Behavior<Client.HostCommand> answering(int from, int total, List<Client.Description> described) {
    return Behaviors.receiveMessage(m -> {
      if (m instanceof Client.DescribeHosted d) {
        d.replyTo().tell(new Client.Descriptions(from, total, described));
      }
      return Behaviors.same();
    });
  }

  @Test
  void aBatchIsBoundedAndConsistentAtItsFactory() {
    ActorRef<Client.Command> nobody = home.createTestProbe(Client.Command.class).getRef();
    List<Client.Description> tooMany = new ArrayList<>();
    for (int i = 0; i <= Client.MAX_BATCH; i++) {
      tooMany.add(new Client.Description(Client.id(i), SIGNATURE, 1, nobody));
    }
    assertThrows(IllegalArgumentException.class, () -> new Client.Descriptions(0, 10_000, tooMany));
    List<Client.Description> two = tooMany.subList(0, 2);
    assertThrows(IllegalArgumentException.class, () -> new Client.Descriptions(0, 1, two), "past its total");
    assertThrows(IllegalArgumentException.class, () -> new Client.Descriptions(-1, 5, two));
    assertThrows(IllegalArgumentException.class, () -> new Client.Descriptions(0, 5, List.of()), "empty before its total");
    assertThrows(IllegalArgumentException.class, () -> new Client.DescribeHosted(-1, home.createTestProbe(Client.Descriptions.class).getRef()));
    assertEquals(2, new Client.Descriptions(3, 5, two).clients().size());
    assertThrows(IllegalArgumentException.class, () -> new Client.Descriptions(0, 2, two, -1, 0), "unanswered below 0");
    assertEquals(3, new Client.Descriptions(5, 5, List.of(), 3, 0).unanswered(), "none described yet of the late ones");
  }
}
