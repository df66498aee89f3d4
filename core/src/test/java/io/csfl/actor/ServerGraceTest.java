package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Payloads;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server rides out the loss of its aggregator and of clients: it watches the aggregator and
 * retries at once with another, waits a grace for one to register when none is left, and waits a
 * grace for clients to come back when too few are registered. Clients are probes registered with
 * the receptionist, so the test decides exactly when a round is under way; aggregators are real,
 * and every message goes through real serialization. The round timeout is 5 minutes and no wait in
 * a test is more than a minute: a retry that waited for the timeout would fail the test.
 */
class ServerGraceTest {
  private static final String SIGNATURE = "random/64 grace";
  /** What the server expects of an aggregator, and what {@link #aggregator(String)} says of itself. */
  private static final String AGGREGATOR_SIGNATURE = "model=mlp server-rate=1.5";
  private static final int EXAMPLES = 10;
  private static final Duration ROUND_TIMEOUT = Duration.ofMinutes(5);
  /** The longest a test waits for a message that follows actor work; well below the round timeout. */
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** A fresh system per test, so that one test's registrations are not listed in another's. */
  private final ActorTestKit testKit = TestModels.serializingTestKitWaitingForLogs();
  private final Model initial = TestModels.mlp().initialModel(1);
  private final TestProbe<Server.Event> events = testKit.createTestProbe();

  @AfterEach
  void cleanup() {
    testKit.shutdownTestKit();
  }

  /** A real aggregator, registered with the receptionist, and what its strategy saw. */
  private record Spawned(ActorRef<Aggregator.Command> ref, List<Integer> prepared, AtomicInteger restoredAt) {}

  /** A FedAvg aggregator registered with the receptionist, of the signature the server expects. */
  private Spawned aggregator(String name) {
    return aggregator(name, AGGREGATOR_SIGNATURE);
  }

  /** A FedAvg aggregator registered with the receptionist, of {@code signature}. */
  private Spawned aggregator(String name, String signature) {
    List<Integer> prepared = new CopyOnWriteArrayList<>();
    AtomicInteger restoredAt = new AtomicInteger(-1);
    ObservedAlgorithm observed = new ObservedAlgorithm(new FedAvg().newServer(initial, 1), prepared, restoredAt);
    ActorRef<Aggregator.Command> ref = testKit.spawn(Aggregator.create(observed, new MagnitudePruner(), signature), name);
    testKit.system().receptionist().tell(Receptionist.register(Aggregator.KEY, ref));
    return new Spawned(ref, prepared, restoredAt);
  }

  /** A client probe registered with the receptionist that has answered the server's handshake as {@code id}. */
  private TestProbe<Client.Command> client(String id) {
    TestProbe<Client.Command> probe = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(Client.KEY, probe.getRef()));
    probe.expectMessageClass(Client.Describe.class, WAIT).replyTo()
        .tell(new Client.Description(id, SIGNATURE, EXAMPLES, probe.getRef()));
    return probe;
  }

  /**
   * {@link #client(String)}, returning once the server has registered the client: the handshake's
   * answer goes through an ask, so the server may take it later than messages the test sends after.
   * The server says so only at DEBUG, which this test's logging passes for the server alone.
   */
  private TestProbe<Client.Command> registered(String id) {
    return TestModels.expectServerDebug(testKit, "registered client " + id, () -> client(id));
  }

  /** The two clients of a run, and what each was asked in the round the run was stopped at. */
  private record UnderWay(TestProbe<Client.Command> c0, TestProbe<Client.Command> c1, Client.TrainRound asked0) {}

  /**
   * Starts a discovering server of two clients, both needed in every round, plays the rounds before
   * {@code round}, and returns once both clients are asked for {@code round}: that round is under way.
   */
  private UnderWay runUntilAsked(int rounds, int maxAttempts, Duration aggregatorGrace, int round) {
    List<TestProbe<Client.Command>> c = start(rounds, maxAttempts, aggregatorGrace);
    for (int r = 1; r < round; r++) {
      playRound(r, c.get(0), c.get(1));
    }
    Client.TrainRound asked0 = asked(c.get(0), round);
    asked(c.get(1), round);
    return new UnderWay(c.get(0), c.get(1), asked0);
  }

  /** Starts a discovering server of two clients, both needed in every round, and registers the two; returns them. */
  private List<TestProbe<Client.Command>> start(int rounds, int maxAttempts, Duration aggregatorGrace) {
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(rounds).clientsPerRound(2)
        .roundTimeout(ROUND_TIMEOUT).minCompleted(2).maxAttempts(maxAttempts).seed(5).minClients(2)
        .dataSignature(SIGNATURE).aggregatorSignature(AGGREGATOR_SIGNATURE).clients(2).aggregatorGrace(aggregatorGrace)
        .clientGrace(Server.Settings.DEFAULT_CLIENT_GRACE).build();
    testKit.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    return List.of(client(Client.id(0)), client(Client.id(1)));
  }

  private static Client.TrainRound asked(TestProbe<Client.Command> probe, int round) {
    Client.TrainRound request = probe.expectMessageClass(Client.TrainRound.class, WAIT);
    assertEquals(round, request.round());
    return request;
  }

  private void answer(Client.TrainRound request, String id) {
    request.replyTo().tell(TestModels.trained(request, id, EXAMPLES, Payloads.dense(initial)));
  }

  /** Both clients are asked for {@code round} and answer; the round completes. */
  private void playRound(int round, TestProbe<Client.Command> a, TestProbe<Client.Command> b) {
    answer(asked(a, round), Client.id(0));
    answer(asked(b, round), Client.id(1));
    assertEquals(round, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
  }

  /** Plays the rounds from {@code round} on; the run finishes with every round exactly once, in order. */
  private void finishFrom(int round, int rounds, TestProbe<Client.Command> a, TestProbe<Client.Command> b) {
    List<Integer> expected = new ArrayList<>();
    for (int r = 1; r <= rounds; r++) {
      if (r >= round) {
        playRound(r, a, b);
      }
      expected.add(r);
    }
    Server.Finished finished = events.expectMessageClass(Server.Finished.class, WAIT);
    assertEquals(expected, finished.rounds().stream().map(RoundMetrics::round).toList(), "every round exactly once, in order");
  }

  @Test
  void aLostAggregatorIsReplacedAtOnceByAnotherListedOneAndTheRoundIsNotCountedAsFailed() {
    Spawned a = aggregator("aggregator-a");
    Spawned b = aggregator("aggregator-b");
    // One attempt per round: a retry that counted as a failed attempt would abort the run.
    UnderWay run = runUntilAsked(4, 1, Server.Settings.DEFAULT_AGGREGATOR_GRACE, 3);

    // Round 3 is under way at the aggregator in use when it is lost; its clients never answer.
    Spawned lost = a.prepared().contains(3) ? a : b;
    Spawned replacement = lost == a ? b : a;
    assertTrue(!replacement.prepared().contains(3), "exactly one aggregator prepared round 3");
    testKit.stop(lost.ref());

    finishFrom(3, 4, run.c0(), run.c1());
    assertEquals(2, replacement.restoredAt().get(), "the replacement resumed from the model of round 2");
    assertEquals(List.of(3, 4), replacement.prepared(), "the replacement ran rounds 3 and 4, and only those");
  }

  @Test
  void withNoAggregatorLeftTheRoundWaitsForOneToRegisterWithinTheGrace() {
    Spawned only = aggregator("aggregator-1");
    UnderWay run = runUntilAsked(4, 1, Server.Settings.DEFAULT_AGGREGATOR_GRACE, 3);

    LoggingTestKit.warn("round 3: no aggregator is registered; waiting up to 2m for one to register")
        .expect(testKit.system(), () -> {
          testKit.stop(only.ref());
          return null;
        });
    events.expectNoMessage(Duration.ofMillis(200));
    Spawned replacement = aggregator("aggregator-2");

    finishFrom(3, 4, run.c0(), run.c1());
    assertEquals(List.of(1, 2, 3), only.prepared(), "the first aggregator was lost in round 3");
    assertEquals(-1, only.restoredAt().get());
    assertEquals(2, replacement.restoredAt().get(), "the replacement resumed from the model of round 2");
    assertEquals(List.of(3, 4), replacement.prepared());
  }

  @Test
  void withNoAggregatorRegisteredWithinTheGraceTrainingIsAbortedNamingIt() {
    Spawned only = aggregator("aggregator-1");
    runUntilAsked(3, 3, Duration.ofSeconds(1), 2);
    testKit.stop(only.ref());

    Server.Aborted aborted = events.expectMessageClass(Server.Aborted.class, WAIT);
    assertEquals(2, aborted.round());
    assertEquals("no aggregator registered within the aggregator grace of 1s", aborted.reason());
  }

  /** Why the server refuses an aggregator of signature {@code model=mlp server-rate=2.0}. */
  private static final String OTHER_RATE = "its signature differs from this server's: 'server-rate=2.0' against 'server-rate=1.5'";

  @Test
  void anAggregatorOfAnotherSignatureIsRefusedAndToldWhyAndTheRoundWaitsForOneThatFits() {
    Spawned other = aggregator("aggregator-other", "model=mlp server-rate=2.0");
    List<List<TestProbe<Client.Command>>> clients = new ArrayList<>();
    // The server says so, the refused aggregator's node says so, and the round waits for another.
    LoggingTestKit.error("refusing the aggregator at").withMessageContains("aggregator-other: " + OTHER_RATE).expect(testKit.system(), () ->
        LoggingTestKit.error("the server refused this aggregator and will not use it: " + OTHER_RATE).expect(testKit.system(), () ->
            LoggingTestKit.warn("round 1: no aggregator is registered that this server can use; waiting up to 2m for one to register")
                .expect(testKit.system(), () -> clients.add(start(2, 1, Server.Settings.DEFAULT_AGGREGATOR_GRACE)))));
    events.expectNoMessage(Duration.ofMillis(200));

    Spawned fits = aggregator("aggregator-fits");
    finishFrom(1, 2, clients.get(0).get(0), clients.get(0).get(1));
    assertEquals(List.of(), other.prepared(), "the refused aggregator prepared nothing");
    assertEquals(List.of(1, 2), fits.prepared());
    // What the node's readiness asks: the refused aggregator says why, the other was used.
    awaitStatus(other, OTHER_RATE);
    awaitStatus(fits, "");
  }

  /** The last {@link Aggregator.Status} each aggregator published, as the node's readiness check hears it. */
  private final Map<ActorRef<Aggregator.Command>, String> statuses = statusesOn(testKit);

  private static Map<ActorRef<Aggregator.Command>, String> statusesOn(ActorTestKit kit) {
    Map<ActorRef<Aggregator.Command>, String> statuses = new ConcurrentHashMap<>();
    ActorRef<Aggregator.Status> listener = kit.spawn(Behaviors.receiveMessage(status -> {
      statuses.put(status.aggregator(), status.refusal());
      return Behaviors.same();
    }));
    kit.system().eventStream().tell(new EventStream.Subscribe<>(Aggregator.Status.class, listener));
    return statuses;
  }

  /** Waits until {@code aggregator}'s last published status says {@code refusal} (empty: not refused). */
  private void awaitStatus(Spawned aggregator, String refusal) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!refusal.equals(statuses.get(aggregator.ref())) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    assertEquals(refusal, statuses.get(aggregator.ref()), "the status " + aggregator.ref().path() + " published last");
  }

  /** A refusal holds until a server prepares the aggregator for a round (a new server, after a failover, say). */
  @Test
  void aRefusedAggregatorCountsAsRefusedUntilAServerPreparesIt() {
    Spawned refused = aggregator("aggregator-refused", "model=mlp server-rate=2.0");
    TestProbe<Aggregator.Reply> server = testKit.createTestProbe();
    long session = TestModels.sessionOf(refused.ref(), server);
    refused.ref().tell(new Aggregator.Refused(session, "another server-rate"));
    awaitStatus(refused, "another server-rate");
    // A first contact (a server's probe) and an acceptance without the key change nothing.
    assertEquals(session, TestModels.sessionOf(refused.ref(), server));
    LoggingTestKit.warn("ignored an acceptance of this aggregator without its session key").expect(testKit.system(), () -> {
      refused.ref().tell(new Aggregator.Accepted(session + 1));
      return null;
    });
    awaitStatus(refused, "another server-rate");
    refused.ref().tell(new Aggregator.PrepareRound(1, 7, session, List.of(), server.getRef()));
    server.expectMessageClass(Aggregator.RoundPrepared.class, WAIT);
    awaitStatus(refused, "");
    refused.ref().tell(new Aggregator.Refused(session, "another server-rate"));
    awaitStatus(refused, "another server-rate");
    // A server that checked it and would use it (a standby, asked when it registers).
    refused.ref().tell(new Aggregator.Accepted(session));
    awaitStatus(refused, "");
  }

  @Test
  void anAggregatorOfAnotherSignatureListedBesideOneThatFitsIsNeverUsedWhicheverIsPickedFirst() {
    Spawned other = aggregator("aggregator-other", "model=mlp server-rate=2.0");
    Spawned fits = aggregator("aggregator-fits");
    List<TestProbe<Client.Command>> c = start(3, 1, Server.Settings.DEFAULT_AGGREGATOR_GRACE);
    finishFrom(1, 3, c.get(0), c.get(1));
    assertEquals(List.of(), other.prepared());
    assertEquals(List.of(1, 2, 3), fits.prepared());
  }

  /**
   * A standby aggregator of another signature, registered while the run uses one that fits, is refused when it
   * registers (its node says so and is not ready), not first at the failover that would need it.
   */
  @Test
  void aStandbyAggregatorOfAnotherSignatureIsRefusedWhenItRegisters() {
    Spawned fits = aggregator("aggregator-fits");
    List<TestProbe<Client.Command>> c = start(2, 1, Server.Settings.DEFAULT_AGGREGATOR_GRACE);
    playRound(1, c.get(0), c.get(1));
    Spawned standby = LoggingTestKit.error("refusing the aggregator at").withMessageContains("aggregator-standby: " + OTHER_RATE).expect(testKit.system(), () ->
        LoggingTestKit.error("the server refused this aggregator and will not use it: " + OTHER_RATE).expect(testKit.system(), () ->
            aggregator("aggregator-standby", "model=mlp server-rate=2.0")));
    finishFrom(2, 2, c.get(0), c.get(1));
    assertEquals(List.of(1, 2), fits.prepared());
    awaitStatus(fits, "");
    awaitStatus(standby, OTHER_RATE);
    assertEquals(List.of(), standby.prepared());
  }

  @Test
  void withOnlyAnAggregatorOfAnotherSignatureTrainingIsAbortedNamingTheRefusal() {
    aggregator("aggregator-other", "model=mlp server-rate=2.0");
    start(2, 3, Duration.ofSeconds(1));

    Server.Aborted aborted = events.expectMessageClass(Server.Aborted.class, WAIT);
    assertEquals(1, aborted.round());
    assertTrue(aborted.reason().startsWith("no aggregator registered within the aggregator grace of 1s; the last aggregator refused: "),
        aborted.reason());
    assertTrue(aborted.reason().endsWith("/user/aggregator-other: " + OTHER_RATE), aborted.reason());
  }

  @Test
  void anAttemptTheAggregatorDiscardsIsRetriedAtOnceNotAfterTheRoundTimeout() {
    // The first close adds up to no valid model (as values beyond the float range would).
    List<Integer> prepared = new CopyOnWriteArrayList<>();
    ObservedAlgorithm overflowing = new ObservedAlgorithm(new FedAvg().newServer(initial, 1), prepared, new AtomicInteger(-1),
        new AtomicInteger(1));
    ActorRef<Aggregator.Command> ref = testKit.spawn(Aggregator.create(overflowing, new MagnitudePruner(), AGGREGATOR_SIGNATURE),
        "aggregator-overflowing");
    testKit.system().receptionist().tell(Receptionist.register(Aggregator.KEY, ref));
    List<TestProbe<Client.Command>> c = start(1, 2, Server.Settings.DEFAULT_AGGREGATOR_GRACE);
    Client.TrainRound asked0 = asked(c.get(0), 1);
    Client.TrainRound asked1 = asked(c.get(1), 1);

    LoggingTestKit.warn("round 1 attempt 1: the aggregator discarded the attempt: the folded updates do not make a valid model")
        .expect(testKit.system(), () -> {
          answer(asked0, Client.id(0));
          answer(asked1, Client.id(1));
          return null;
        });
    // Attempt 2 follows at once (the round timeout is 5 minutes), and the round completes.
    finishFrom(1, 1, c.get(0), c.get(1));
    assertEquals(List.of(1, 1), prepared, "round 1 was prepared twice");
  }

  @Test
  void tooFewClientsMakeTheRoundWaitForThemToComeBackWithinTheGrace() {
    aggregator("aggregator-1");
    UnderWay run = runUntilAsked(3, 3, Server.Settings.DEFAULT_AGGREGATOR_GRACE, 2);
    LoggingTestKit.warn("round 2: client client-0001 dropped out").expect(testKit.system(), () -> {
      run.c1().stop();
      return null;
    });
    // The one update is too few; with one client registered and two needed, the round waits.
    LoggingTestKit.warn("round 2: 1 clients are registered, a round needs 2; waiting up to 2m for more to register")
        .expect(testKit.system(), () -> {
          answer(run.asked0(), Client.id(0));
          return null;
        });
    events.expectNoMessage(Duration.ofMillis(200));

    finishFrom(2, 3, run.c0(), client(Client.id(1)));
  }

  /**
   * Starts a discovering server of two clients, of which one update completes a round, that waits
   * up to {@code wait} for lost clients; registers both and plays round 1, in which client 1 stops
   * after being asked. Returns client 0, which is asked next for round 2.
   */
  private TestProbe<Client.Command> loseClientOneInRoundOne(int rounds, Duration wait) {
    aggregator("aggregator-1");
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(rounds).clientsPerRound(2)
        .roundTimeout(ROUND_TIMEOUT).minCompleted(1).maxAttempts(1).seed(5).minClients(2)
        .dataSignature(SIGNATURE).aggregatorSignature(AGGREGATOR_SIGNATURE).clients(2).lostClientWait(wait).build();
    testKit.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    TestProbe<Client.Command> c0 = client(Client.id(0));
    TestProbe<Client.Command> c1 = client(Client.id(1));
    answer(asked(c0, 1), Client.id(0));
    asked(c1, 1);
    c1.stop();
    assertEquals(1, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
    return c0;
  }

  @Test
  void aRoundWaitsForLostClientsAndSamplesThemOnceTheyRegisterAgain() {
    List<TestProbe<Client.Command>> c0 = new ArrayList<>();
    LoggingTestKit.warn("round 2: 1 clients registered earlier are gone (client-0001); waiting up to 1m for them to register")
        .expect(testKit.system(), () -> c0.add(loseClientOneInRoundOne(2, Duration.ofMinutes(1))));
    c0.get(0).expectNoMessage(Duration.ofMillis(300)); // round 2 is not sampled while it waits
    TestProbe<Client.Command> back = client(Client.id(1));
    answer(asked(c0.get(0), 2), Client.id(0));
    answer(asked(back, 2), Client.id(1));
    RoundMetrics round2 = events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics();
    assertEquals(2, round2.round());
    assertEquals(2, round2.clientsCompleted(), "the client that came back was sampled and trained");
    events.expectMessageClass(Server.Finished.class, WAIT);
  }

  @Test
  void lostClientsThatDoNotComeBackWithinTheWaitAreWaitedForOnceAndTheRunGoesOn() {
    List<TestProbe<Client.Command>> c0 = new ArrayList<>();
    // One wait in rounds 2 to 4: the client that stayed away is not waited for again.
    LoggingTestKit.warn("waiting up to 1s for them to register").withOccurrences(1).expect(testKit.system(), () ->
        LoggingTestKit.warn("round 2: 1 lost clients did not register again within 1s (client-0001); the round samples without them")
            .expect(testKit.system(), () -> {
              c0.add(loseClientOneInRoundOne(4, Duration.ofSeconds(1)));
              for (int round = 2; round <= 4; round++) {
                answer(asked(c0.get(0), round), Client.id(0));
                assertEquals(round, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
              }
              events.expectMessageClass(Server.Finished.class, WAIT);
              return null;
            }));
  }

  @Test
  void aClientWaitedForInVainThatReturnsAndIsLostAgainIsWaitedForAgain() {
    List<TestProbe<Client.Command>> c0 = new ArrayList<>();
    LoggingTestKit.warn("waiting up to 1s for them to register").withOccurrences(2).expect(testKit.system(), () ->
        LoggingTestKit.warn("round 4: 1 lost clients did not register again within 1s (client-0001)")
            .expect(testKit.system(), () -> {
              c0.add(loseClientOneInRoundOne(4, Duration.ofSeconds(1)));
              Client.TrainRound round2 = asked(c0.get(0), 2); // after the wait in vain
              // Registered (not only answered) before round 2's update is sent, so before round 3 samples.
              TestProbe<Client.Command> back = registered(Client.id(1));
              answer(round2, Client.id(0));
              assertEquals(2, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
              asked(back, 3);
              back.stop();
              answer(asked(c0.get(0), 3), Client.id(0));
              assertEquals(3, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
              answer(asked(c0.get(0), 4), Client.id(0));
              assertEquals(4, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
              events.expectMessageClass(Server.Finished.class, WAIT);
              return null;
            }));
  }

  @Test
  void aClientThatLeavesWhileTheAggregatorPreparesTheRoundIsNotSentIt() {
    TestProbe<Aggregator.Command> aggregator = testKit.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2)
        .roundTimeout(ROUND_TIMEOUT).maxAttempts(1).seed(5).dataSignature(SIGNATURE).clients(2).build();
    ActorRef<Server.Command> server = testKit.spawn(
        Server.create(settings, aggregator.getRef(), Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    List<TestProbe<Client.Command>> clients = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      TestProbe<Client.Command> probe = testKit.createTestProbe();
      server.tell(new Server.RegisterClient(Client.id(i), probe.getRef()));
      clients.add(probe);
    }
    server.tell(new Server.Start());
    for (int i = 0; i < 2; i++) {
      clients.get(i).expectMessageClass(Client.Describe.class, WAIT).replyTo()
          .tell(new Client.Description(Client.id(i), SIGNATURE, EXAMPLES, clients.get(i).getRef()));
    }
    Aggregator.PrepareRound prepare = aggregator.expectMessageClass(Aggregator.PrepareRound.class, WAIT);

    // Both were sampled; one stops before the downlink is ready.
    clients.get(1).stop();
    testKit.createTestProbe().expectTerminated(clients.get(1).getRef(), WAIT);
    prepare.replyTo().tell(new Aggregator.RoundPrepared(1, prepare.token(), Payloads.dense(initial), java.util.Map.of()));

    answer(asked(clients.get(0), 1), Client.id(0));
    Aggregator.Command closing = aggregator.expectMessageClass(Aggregator.Command.class, WAIT);
    if (closing instanceof Aggregator.Fold) {
      closing = aggregator.expectMessageClass(Aggregator.Command.class, WAIT);
    }
    assertEquals(1, ((Aggregator.CloseRound) closing).updates(), "the round closes with the update of the client that stayed");
  }

  @Test
  void missingClientsOfTheFederationAreNamedOncePerRound() {
    aggregator("aggregator-1");
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(2).clientsPerRound(2)
        .roundTimeout(ROUND_TIMEOUT).maxAttempts(1).seed(5).minClients(2).dataSignature(SIGNATURE).clients(6).build();
    testKit.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    LoggingTestKit.warn("4 of the federation's 6 clients are not registered and cannot be sampled: "
            + "client-0001, client-0003..client-0005")
        .withOccurrences(2)
        .expect(testKit.system(), () -> {
          TestProbe<Client.Command> c0 = client(Client.id(0));
          TestProbe<Client.Command> c2 = client(Client.id(2));
          for (int round = 1; round <= 2; round++) {
            answer(asked(c0, round), Client.id(0));
            answer(asked(c2, round), Client.id(2));
            assertEquals(round, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
          }
          events.expectMessageClass(Server.Finished.class, WAIT);
          return null;
        });
  }

  /** A discovering server of a 1-round run that needs one client of {@code clients}, with an aggregator registered. */
  private ActorRef<Server.Command> discoveringServer(int clients) {
    aggregator("aggregator-1");
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(1)
        .roundTimeout(ROUND_TIMEOUT).maxAttempts(1).seed(5).minClients(1).dataSignature(SIGNATURE).clients(clients).build();
    return testKit.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
  }

  /** Once {@code probe} is asked again after its missed handshake, it answers as client 0, trains round 1, and the round completes. */
  private void answersWhenAskedAgain(TestProbe<Client.Command> probe) {
    Duration again = Server.HANDSHAKE_TIMEOUT.plus(Server.ASK_AGAIN_AFTER).plus(WAIT);
    probe.expectMessageClass(Client.Describe.class, again).replyTo()
        .tell(new Client.Description(Client.id(0), SIGNATURE, EXAMPLES, probe.getRef()));
    answer(asked(probe, 1), Client.id(0));
    assertEquals(1, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
  }

  /**
   * A Describe lost on its way (as on a connection to a node still starting) is not the end: the
   * listed client is asked again, and the server starts once it answers. Without that, a server
   * waiting for its last client would wait forever, since the receptionist lists a client once.
   */
  @Test
  void aListedClientThatMissedItsHandshakeIsAskedAgain() {
    discoveringServer(1);
    TestProbe<Client.Command> probe = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(Client.KEY, probe.getRef()));
    probe.expectMessageClass(Client.Describe.class, WAIT); // lost: never answered
    answersWhenAskedAgain(probe);
  }

  /**
   * One actor registered twice under its name, silent at first: both handshakes time out, it is
   * asked again once, and the server starts once it answers (the second timeout counted the wait
   * twice, for one timer, and round 1 never began).
   */
  @Test
  void anActorRegisteredTwiceThatMissedBothHandshakesIsWaitedForOnce() {
    ActorRef<Server.Command> server = discoveringServer(1);
    TestProbe<Client.Command> probe = testKit.createTestProbe();
    server.tell(new Server.RegisterClient(Client.id(0), probe.getRef()));
    server.tell(new Server.RegisterClient(Client.id(0), probe.getRef()));
    probe.expectMessageClass(Client.Describe.class, WAIT); // both lost: never answered
    probe.expectMessageClass(Client.Describe.class, WAIT);
    answersWhenAskedAgain(probe);
  }

  /**
   * Two listed clients that never answer, listed some seconds apart, do not hold round 1 back once
   * their first handshakes have timed out: each is asked again every few seconds, and counting
   * those asks kept one of the two in flight at every moment, so the server never began.
   */
  @Test
  void twoSilentListedClientsDoNotHoldTheStartOnceTheirFirstHandshakesTimedOut() throws InterruptedException {
    discoveringServer(3);
    TestProbe<Client.Command> silent = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(Client.KEY, silent.getRef()));
    silent.expectMessageClass(Client.Describe.class, WAIT);
    TestProbe<Client.Command> answering = client(Client.id(0));
    Thread.sleep(Server.HANDSHAKE_TIMEOUT.toMillis() / 3); // the second silent one's asks fall between the first's
    TestProbe<Client.Command> silentToo = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(Client.KEY, silentToo.getRef()));
    silentToo.expectMessageClass(Client.Describe.class, WAIT);
    Duration bothTimedOut = Server.HANDSHAKE_TIMEOUT.plus(Server.ASK_AGAIN_AFTER).plus(WAIT);
    answer(answering.expectMessageClass(Client.TrainRound.class, bothTimedOut), Client.id(0));
    assertEquals(1, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
  }

  @Test
  void idsAreNamedAsRunsAndDurationsAsTheCommandLineWritesThem() {
    assertEquals("client-0000", Server.ranges(List.of(0)));
    assertEquals("client-0000..client-0002, client-0004, client-0009..client-0010", Server.ranges(List.of(0, 1, 2, 4, 9, 10)));
    List<Integer> scattered = new ArrayList<>();
    for (int i = 0; i < 2 * (Server.NAMED_RANGES + 3); i += 2) {
      scattered.add(i);
    }
    assertTrue(Server.ranges(scattered).endsWith("client-0038 and 3 more runs"), Server.ranges(scattered));
    assertEquals("client-0001..client-0002, client-0007", Server.named(List.of("client-0007", "client-0001", "client-0002")));
    assertEquals("client-0003, edge-a, edge-b", Server.named(List.of("edge-b", "client-0003", "edge-a")));
    assertEquals("edge-a", Server.named(List.of("edge-a")));
    assertEquals("2m", Server.human(Duration.ofMinutes(2)));
    assertEquals("1m30s", Server.human(Duration.ofSeconds(90)));
    assertEquals("500ms", Server.human(Duration.ofMillis(500)));
    assertThrows(IllegalArgumentException.class, () -> Server.Settings.builder("cs").aggregatorGrace(Duration.ofSeconds(-1)));
  }
}
