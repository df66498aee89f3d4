package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.serialization.SerializationExtension;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.codec.Payload;
import io.csfl.nn.Evaluation;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Payloads;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * Forged messages from a member that can reach the actors: each is refused with its reason, and the
 * global model is what the honest updates alone make it. Clients are probes, so a test can send
 * exactly what a misbehaving client would; every message goes through real serialization.
 */
class CheckedSendersTest {
  static final ActorTestKit testKit = TestModels.serializingTestKitWaitingForLogs();
  private static final String SIGNATURE = "random/64 clients=2 seed=9";
  private static final int EXAMPLES = 10;
  /** The longest a test waits for a message that follows actor work; the machine may be busy. */
  private static final Duration WAIT = Duration.ofSeconds(30);

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  /** A FedAvg federation of at most two clients, client-0000 and client-0001, with this signature. */
  private static ActorRef<Server.Command> server(ActorTestKit kit, Model initial, TestProbe<Server.Event> events) {
    ActorRef<Aggregator.Command> aggregator = kit.spawn(Aggregator.create(new FedAvg().newServer(initial, 1), new MagnitudePruner()));
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2)
        .roundTimeout(Duration.ofMinutes(5)).maxAttempts(1).seed(5).dataSignature(SIGNATURE).clients(2).build();
    return kit.spawn(Server.create(settings, aggregator, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
  }

  /** A probe for a client, registered with {@code server} as {@code id}. */
  private static TestProbe<Client.Command> registered(ActorTestKit kit, ActorRef<Server.Command> server, String id) {
    TestProbe<Client.Command> probe = kit.createTestProbe();
    server.tell(new Server.RegisterClient(id, probe.getRef()));
    return probe;
  }

  /** Answers the server's handshake as {@code id}, for the probe's own actor. */
  private static void describe(TestProbe<Client.Command> probe, String id, String signature) {
    probe.expectMessageClass(Client.Describe.class, WAIT).replyTo().tell(new Client.Description(id, signature, EXAMPLES, probe.getRef()));
  }

  /** A model far from {@code initial}: what a poisoning client sends. */
  private static Payload poisoned(Model initial) {
    ModelBuffer far = ModelBuffer.copyOf(initial);
    for (int t = 0; t < far.spec().tensorCount(); t++) {
      java.util.Arrays.fill(far.tensor(t), 1e4f);
    }
    return Payloads.dense(far.toModel());
  }

  private static Evaluation evaluate(Model model) {
    return Evaluator.of(TestModels.mlp(), TestModels.dataset()).evaluate(model);
  }

  @Test
  void idsAreTheFederationsAndNothingElse() {
    for (int index : new int[] {0, 7, 42, 999, 1000, 9999, 12345, 999_999_999}) {
      assertEquals(String.format("client-%04d", index), Client.id(index));
      assertEquals(OptionalInt.of(index), Client.index(Client.id(index)));
    }
    assertEquals("client-2147483647", Client.id(Integer.MAX_VALUE));
    assertEquals(OptionalInt.of(7), Client.index("client-0007"));
    assertEquals(OptionalInt.of(12345), Client.index("client-12345"));
    for (String bad : List.of("client-7", "client-00007", "client-0007 ", "Client-0007", "client--001", "mallory", "")) {
      assertTrue(Client.index(bad).isEmpty(), bad);
    }
  }

  @Test
  void theHandshakeRefusesIdsOutsideTheFederationForeignDataAndAnotherName() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Server.Event> events = testKit.createTestProbe();
    ActorRef<Server.Command> server = server(testKit, initial, events);
    TestProbe<Client.Command> first = registered(testKit, server, "client-0000");
    TestProbe<Client.Command> outside = registered(testKit, server, "client-0999");
    TestProbe<Client.Command> foreign = registered(testKit, server, "client-0001");
    TestProbe<Client.Command> impostor = registered(testKit, server, "client-0001");
    TestProbe<Client.Command> second = registered(testKit, server, "client-0001");
    server.tell(new Server.Start());
    describe(first, "client-0000", SIGNATURE);
    describe(outside, "client-0999", SIGNATURE);
    describe(foreign, "client-0001", "other data");
    describe(impostor, "client-0000", SIGNATURE);
    describe(second, "client-0001", SIGNATURE);

    Client.TrainRound toFirst = first.expectMessageClass(Client.TrainRound.class, WAIT);
    Client.TrainRound toSecond = second.expectMessageClass(Client.TrainRound.class, WAIT);
    Payload unchanged = Payloads.dense(initial);
    toFirst.replyTo().tell(TestModels.trained(toFirst, "client-0000", EXAMPLES, unchanged));
    toSecond.replyTo().tell(TestModels.trained(toSecond, "client-0001", EXAMPLES, unchanged));

    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(2, done.metrics().clientsSelected(), "only the two accepted clients are sampled");
    assertEquals(2, done.metrics().clientsCompleted());
    for (TestProbe<Client.Command> refused : List.of(outside, foreign, impostor)) {
      refused.expectNoMessage(Duration.ofMillis(100));
    }
    assertEquals(evaluate(initial).loss(), done.metrics().loss(), "the model is the mean of the two honest updates");
  }

  @Test
  void aServerThatKnowsThePartitionRefusesAClientDeclaringAnotherShare() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Server.Event> events = testKit.createTestProbe();
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(Aggregator.create(new FedAvg().newServer(initial, 1), new MagnitudePruner()));
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2)
        .roundTimeout(Duration.ofMinutes(5)).maxAttempts(1).seed(5).dataSignature(SIGNATURE).clients(2)
        .examplesPerClient(EXAMPLES, EXAMPLES).build();
    ActorRef<Server.Command> server = testKit.spawn(Server.create(settings, aggregator,
        Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    TestProbe<Client.Command> honest = registered(testKit, server, "client-0000");
    TestProbe<Client.Command> greedy = registered(testKit, server, "client-0001");
    server.tell(new Server.Start());
    describe(honest, "client-0000", SIGNATURE);
    LoggingTestKit.error("it declares " + Integer.MAX_VALUE + " examples, its share of the partition holds "
        + EXAMPLES).expect(testKit.system(), () -> {
          greedy.expectMessageClass(Client.Describe.class, WAIT).replyTo()
              .tell(new Client.Description("client-0001", SIGNATURE, Integer.MAX_VALUE, greedy.getRef()));
          return null;
        });
    Client.TrainRound order = honest.expectMessageClass(Client.TrainRound.class, WAIT);
    order.replyTo().tell(TestModels.trained(order, "client-0000", EXAMPLES, Payloads.dense(initial)));
    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(1, done.metrics().clientsSelected(), "only the client that declared its share was taken on");
    greedy.expectNoMessage(Duration.ofMillis(100));
    assertThrows(IllegalArgumentException.class, () -> Server.Settings.builder("fedavg").clients(3).examplesPerClient(1, 2).build());
    assertThrows(IllegalArgumentException.class, () -> Server.Settings.builder("fedavg").examplesPerClient(1, 0));
  }

  @Test
  void anUpdateClaimingOtherThanTheDeclaredExamplesIsRefusedAndTheRoundDoesNotWaitForIt() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Server.Event> events = testKit.createTestProbe();
    ActorRef<Server.Command> server = server(testKit, initial, events);
    TestProbe<Client.Command> honest = registered(testKit, server, "client-0000");
    TestProbe<Client.Command> boastful = registered(testKit, server, "client-0001");
    server.tell(new Server.Start());
    describe(honest, "client-0000", SIGNATURE);
    describe(boastful, "client-0001", SIGNATURE);

    Client.TrainRound toHonest = honest.expectMessageClass(Client.TrainRound.class, WAIT);
    Client.TrainRound round = boastful.expectMessageClass(Client.TrainRound.class, WAIT);
    round.replyTo().tell(TestModels.trained(round, "client-0001", 1_000_000_000, poisoned(initial)));
    toHonest.replyTo().tell(TestModels.trained(toHonest, "client-0000", EXAMPLES, Payloads.dense(initial)));

    // The round's deadline is five minutes: it ends here because every selected client answered.
    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(1, done.metrics().clientsCompleted());
    assertTrue(done.rejections().stream().anyMatch(r -> r.contains("client-0001") && r.contains("claims 1000000000 examples")
        && r.contains("declared " + EXAMPLES)), done.rejections().toString());
    assertEquals(evaluate(initial).loss(), done.metrics().loss(), "the refused update changed nothing");
  }

  /** Starts a federation of client-0000 and client-0001 (probes) and returns their round-1 orders, in that order. */
  private static List<Client.TrainRound> twoClientRound(Model initial, TestProbe<Server.Event> events,
                                                        TestProbe<Client.Command> first, TestProbe<Client.Command> second) {
    ActorRef<Server.Command> server = server(testKit, initial, events);
    server.tell(new Server.RegisterClient("client-0000", first.getRef()));
    server.tell(new Server.RegisterClient("client-0001", second.getRef()));
    server.tell(new Server.Start());
    describe(first, "client-0000", SIGNATURE);
    describe(second, "client-0001", SIGNATURE);
    return List.of(first.expectMessageClass(Client.TrainRound.class, WAIT), second.expectMessageClass(Client.TrainRound.class, WAIT));
  }

  @Test
  void aFailureCountsOnlyWithTheNonceOfTheQuestionToItsClient() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Server.Event> events = testKit.createTestProbe();
    TestProbe<Client.Command> other = testKit.createTestProbe();
    TestProbe<Client.Command> reporter = testKit.createTestProbe();
    List<Client.TrainRound> orders = twoClientRound(initial, events, other, reporter);
    Client.TrainRound toReporter = orders.get(1);

    // The client thinks its update was lost, but it arrives: the question it was asked goes unanswered.
    toReporter.replyTo().tell(new Client.Failed(1, "client-0001", toReporter.secret(), "update did not arrive"));
    Client.ConfirmFailure question = reporter.expectMessageClass(Client.ConfirmFailure.class, WAIT);
    assertEquals(1, question.round(), "the collector asks the named client itself");
    orders.get(0).replyTo().tell(new Client.FailureConfirmed(1, "client-0001", question.nonce() + 1, false));
    orders.get(0).replyTo().tell(TestModels.trained(orders.get(0), "client-0000", EXAMPLES, Payloads.dense(initial)));
    toReporter.replyTo().tell(TestModels.trained(toReporter, "client-0001", EXAMPLES, Payloads.dense(initial)));

    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(2, done.metrics().clientsCompleted(), "the reporter's update was still taken");
    assertTrue(done.rejections().stream().anyMatch(r -> r.contains("client-0001: a failure confirmed with a nonce")),
        done.rejections().toString());
    assertTrue(done.rejections().stream().anyMatch(r -> r.contains("client-0001: a failure report not confirmed before the client's update arrived")),
        done.rejections().toString());
    assertEquals(evaluate(initial).loss(), done.metrics().loss(), "the model is the mean of the two honest updates");
  }

  @Test
  void aFailureTheClientConfirmsEndsItsPartInTheRound() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Server.Event> events = testKit.createTestProbe();
    TestProbe<Client.Command> working = testKit.createTestProbe();
    TestProbe<Client.Command> failing = testKit.createTestProbe();
    List<Client.TrainRound> orders = twoClientRound(initial, events, working, failing);

    orders.get(1).replyTo().tell(new Client.Failed(1, "client-0001", orders.get(1).secret(), "out of memory"));
    Client.ConfirmFailure question = failing.expectMessageClass(Client.ConfirmFailure.class, WAIT);
    question.replyTo().tell(new Client.FailureConfirmed(1, "client-0001", question.nonce(), false));
    orders.get(0).replyTo().tell(TestModels.trained(orders.get(0), "client-0000", EXAMPLES, Payloads.dense(initial)));

    // The round's deadline is five minutes: it ends here because the failure was confirmed.
    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(1, done.metrics().clientsCompleted());
    assertEquals(2, done.metrics().clientsSelected());
  }

  /** An aggregator prepared for round 1, and the fold key it gave the round. */
  private record Prepared(ActorRef<Aggregator.Command> aggregator, long key) {}

  /** A FedAvg aggregator from {@code initial}, prepared for round 1 with {@code token} by {@code replies}. */
  private static Prepared preparedAggregator(Model initial, long token, TestProbe<Aggregator.Reply> replies) {
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(Aggregator.create(new FedAvg().newServer(initial, 1), new MagnitudePruner()));
    aggregator.tell(new Aggregator.PrepareRound(1, token, TestModels.sessionOf(aggregator, replies), List.of(), replies.getRef()));
    Aggregator.RoundPrepared prepared = replies.expectMessageClass(Aggregator.RoundPrepared.class, WAIT);
    assertEquals(token, prepared.token());
    return new Prepared(aggregator, prepared.key());
  }

  @Test
  void theAggregatorFoldsAndClosesOnlyWithTheAttemptsToken() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Aggregator.Reply> replies = testKit.createTestProbe();
    long token = 0x1234_5678_9ABCL;
    Prepared prepared = preparedAggregator(initial, token, replies);
    ActorRef<Aggregator.Command> aggregator = prepared.aggregator();
    long key = prepared.key();

    // Whoever sent the prepare knows its token; only the reply address learns the fold key.
    aggregator.tell(new Aggregator.Fold(1, token, "client-0000", EXAMPLES, poisoned(initial)));
    aggregator.tell(new Aggregator.CloseRound(1, key + 1, 0, replies.getRef()));
    aggregator.tell(new Aggregator.AbandonRound(1, token));
    aggregator.tell(new Aggregator.Fold(1, key, "client-0001", EXAMPLES, Payloads.dense(initial)));
    aggregator.tell(new Aggregator.CloseRound(1, key, 1, replies.getRef()));

    Aggregator.RoundAggregated done = replies.expectMessageClass(Aggregator.RoundAggregated.class, WAIT);
    assertEquals(token, done.token());
    assertEquals(1, done.accepted(), "the forged close and abandon were ignored: the round closed with the honest update");
    assertEquals(1, done.rejections().size(), done.rejections().toString());
    assertTrue(done.rejections().get(0).contains("client-0000") && done.rejections().get(0).contains("wrong token"),
        done.rejections().toString());
    assertEquals(initial, done.global(), "only the honest update, the initial model itself, was folded");
  }

  /** More refused messages than a report could list (Bounded.MAX_ENTRIES), to show it need not. */
  private static final int FLOOD = Bounded.MAX_ENTRIES + 500;

  /** A client id of about 4,000 characters with line breaks in it: refused, and in the report cut to one short line. */
  private static String forgedLongId() {
    return "client-\nforged log line\n" + "x".repeat(4_000);
  }

  @Test
  void aFloodOfRefusedRepliesIsCountedTheRoundGoesOnAndItsReportStaysSmall() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Server.Event> events = testKit.createTestProbe();
    List<Client.TrainRound> orders = twoClientRound(initial, events, testKit.createTestProbe(), testKit.createTestProbe());
    // A selected client knows the collector's address from its order: it sends replies the collector refuses.
    ActorRef<Client.Reply> collector = orders.get(0).replyTo();
    collector.tell(new Client.Failed(1, forgedLongId(), 1, "not selected"));
    for (int i = 1; i < FLOOD; i++) {
      collector.tell(new Client.Failed(2, "client-0000", orders.get(0).secret(), "a reply for another round"));
    }
    orders.forEach(o -> o.replyTo().tell(TestModels.trained(o, "client-000" + orders.indexOf(o), EXAMPLES, Payloads.dense(initial))));

    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(2, done.metrics().clientsCompleted(), "the honest updates were taken");
    assertEquals(evaluate(initial).loss(), done.metrics().loss(), "the refused replies changed nothing");
    assertEquals(Refusals.NAMED + 1, done.rejections().size(), "the first " + Refusals.NAMED + " named, the rest counted");
    assertEquals((FLOOD - Refusals.NAMED) + " more refused, not named", done.rejections().get(Refusals.NAMED));
    String first = done.rejections().get(0);
    assertTrue(first.startsWith("client client- forged log line xxx") && first.length() <= ControlChecks.MAX_PEER_TEXT_CHARS + 3,
        "the forged id is cut to one line: " + first.substring(0, Math.min(80, first.length())) + "... (" + first.length() + " chars)");
  }

  @Test
  void aFloodOfForgedFoldsIsCountedAndTheRoundAggregatedStaysSmall() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Aggregator.Reply> replies = testKit.createTestProbe();
    Prepared prepared = preparedAggregator(initial, 0x1234_5678_9ABCL, replies);
    ActorRef<Aggregator.Command> aggregator = prepared.aggregator();
    long key = prepared.key();

    Payload empty = new Payload(List.of(), io.csfl.codec.Precision.FP32);
    aggregator.tell(new Aggregator.Fold(1, key + 1, forgedLongId(), EXAMPLES, empty));
    for (int i = 1; i < FLOOD; i++) {
      aggregator.tell(new Aggregator.Fold(1, key + 1, "client-0000", EXAMPLES, empty));
    }
    aggregator.tell(new Aggregator.Fold(1, key, "client-0001", EXAMPLES, Payloads.dense(initial)));
    aggregator.tell(new Aggregator.CloseRound(1, key, 1, replies.getRef()));

    Aggregator.RoundAggregated done = replies.expectMessageClass(Aggregator.RoundAggregated.class, WAIT);
    assertEquals(1, done.accepted());
    assertEquals(initial, done.global(), "only the honest update, the initial model itself, was folded");
    assertEquals(Refusals.NAMED + 1, done.rejections().size(), "the first " + Refusals.NAMED + " named, the rest counted");
    assertEquals((FLOOD - Refusals.NAMED) + " more refused, not named", done.rejections().get(Refusals.NAMED));
    assertTrue(done.rejections().get(0).length() <= ControlChecks.MAX_PEER_TEXT_CHARS + 3 && !done.rejections().get(0).contains("\n"),
        "the forged id is cut to one line");
  }

  @Test
  void oneActorDescribedAsTwoClientsIsOneClientAndTheServerGoesOn() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Server.Event> events = testKit.createTestProbe();
    ActorRef<Server.Command> server = server(testKit, initial, events);
    TestProbe<Client.Command> twoFaced = testKit.createTestProbe();
    server.tell(new Server.RegisterClient("client-0000", twoFaced.getRef()));
    server.tell(new Server.RegisterClient("client-0001", twoFaced.getRef()));
    // One name is refused (an actor is watched once, as one client); the round goes on with the other.
    // Which one: the handshakes' answers reach the server in either order.
    String path = Pattern.quote(twoFaced.getRef().path().toString());
    Pattern refused = Pattern.compile(
        "refusing client (client-000[01]) at " + path + ": its actor is client (client-000[01]) already.*");
    AtomicReference<String> accepted = new AtomicReference<>();
    Client.TrainRound round = LoggingTestKit
        .custom(event -> {
          Matcher m = refused.matcher(event.message());
          if (event.level() != Level.ERROR || !m.matches() || m.group(1).equals(m.group(2))) {
            return false;
          }
          accepted.set(m.group(2));
          return true;
        })
        .expect(testKit.system(), () -> {
          server.tell(new Server.Start());
          describe(twoFaced, "client-0000", SIGNATURE);
          describe(twoFaced, "client-0001", SIGNATURE);
          return twoFaced.expectMessageClass(Client.TrainRound.class, WAIT);
        });
    round.replyTo().tell(TestModels.trained(round, accepted.get(), EXAMPLES, Payloads.dense(initial)));
    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(1, done.metrics().clientsSelected(), "one actor, one client");
    assertEquals(1, done.metrics().clientsCompleted());
  }

  @Test
  void aRegistrationFromAnotherNodeCannotBeSent() {
    Config remote = ConfigFactory.parseString("""
            akka.actor.provider = remote
            akka.actor.serialize-messages = on
            akka.remote.artery.canonical.hostname = "127.0.0.1"
            akka.remote.artery.canonical.port = 0
            """).withFallback(ConfigFactory.load());
    ActorTestKit home = ActorTestKit.create("home", remote);
    ActorTestKit foreign = ActorTestKit.create("foreign", remote);
    try {
      Model initial = TestModels.mlp().initialModel(1);
      TestProbe<Server.Event> events = home.createTestProbe();
      ActorRef<Server.Command> server = server(home, initial, events);
      TestProbe<Client.Command> local = home.createTestProbe();
      TestProbe<Client.Command> reachable = home.createTestProbe();
      TestProbe<Client.Command> intruder = foreign.createTestProbe();
      ActorRefResolver there = ActorRefResolver.get(foreign.system());
      ActorRef<Server.Command> remoteServer = there.resolveActorRef(ActorRefResolver.get(home.system()).toSerializationFormat(server));
      ActorRef<Client.Command> remoteProbe = there.resolveActorRef(ActorRefResolver.get(home.system()).toSerializationFormat(reachable.getRef()));

      Server.RegisterClient forged = new Server.RegisterClient("client-0000", intruder.getRef());
      assertThrows(Exception.class, () -> SerializationExtension.get(foreign.system()).findSerializerFor(forged),
          "a registration has no serializer, so no node can send one");
      remoteServer.tell(forged);
      remoteServer.tell(new Server.Start());
      // The same node reaches the server's node: the registration was dropped at the sender, in order before this.
      remoteProbe.tell(new Client.Describe(foreign.createTestProbe(Client.Description.class).getRef()));
      reachable.expectMessageClass(Client.Describe.class, WAIT);

      server.tell(new Server.RegisterClient("client-0000", local.getRef()));
      server.tell(new Server.Start());
      describe(local, "client-0000", SIGNATURE);
      Client.TrainRound round = local.expectMessageClass(Client.TrainRound.class, WAIT);
      round.replyTo().tell(TestModels.trained(round, "client-0000", EXAMPLES, Payloads.dense(initial)));
      Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
      assertEquals(1, done.metrics().clientsSelected(), "the foreign registration never reached the server");
      intruder.expectNoMessage(Duration.ofMillis(100));
    } finally {
      foreign.shutdownTestKit();
      home.shutdownTestKit();
    }
  }
}
