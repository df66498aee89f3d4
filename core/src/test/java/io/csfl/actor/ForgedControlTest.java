package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.receptionist.Receptionist;
import io.csfl.checkpoint.TensorFile;
import io.csfl.internal.transfer.Transfers;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Payloads;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A certified member without the server's role forges control messages: the server's node
 * ("home", roles server and aggregator) and the intruder's ("intruder", role client) form a real
 * cluster on loopback, every message serialized. Each forged message is refused with a logged
 * reason, and what the honest protocol computes is unchanged.
 */
class ForgedControlTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String SIGNATURE = "random/64 forged";
  private static ActorTestKit home;
  private static ActorTestKit intruder;

  @BeforeAll
  static void cluster() throws InterruptedException {
    home = ActorTestKit.create("csfl", TestClusters.node(0, "server, aggregator", ""));
    intruder = ActorTestKit.create("csfl", TestClusters.node(0, "client", ""));
    TestClusters.form(WAIT, home, intruder);
  }

  @AfterAll
  static void cleanup() {
    intruder.shutdownTestKit();
    home.shutdownTestKit();
  }

  /** {@code ref}, an actor of the home node, as the intruder's node reaches it. */
  private static <T> ActorRef<T> fromIntruder(ActorRef<T> ref) {
    return TestClusters.reachedFrom(intruder, home, ref);
  }

  private static ActorRef<Aggregator.Command> aggregator(Model initial) {
    return home.spawn(Aggregator.create(new FedAvg().newServer(initial, 3), new MagnitudePruner()));
  }

  private static Model poisoned(Model initial) {
    ModelBuffer far = ModelBuffer.copyOf(initial);
    java.util.Arrays.fill(far.tensor(0), 1e4f);
    return far.toModel();
  }

  /** A message with a whole model is sent as the actors send it: in chunks, from the intruder's node. */
  private static <T> void viaTransfers(ActorRef<T> to, T message) {
    Transfers.get(intruder.system()).tell(to, message, intruder.system().ignoreRef());
  }

  private static void expectWarning(String text, Runnable send) {
    LoggingTestKit.warn(text).expect(home.system(), () -> {
      send.run();
      return null;
    });
  }

  @Test
  void aPrepareOrResumeFromAnotherMemberIsRefusedAndOneNamingTheServerTeachesItNothing() {
    Model initial = TestModels.mlp().initialModel(1);
    ActorRef<Aggregator.Command> aggregator = aggregator(initial);
    ActorRef<Aggregator.Command> remote = fromIntruder(aggregator);
    TestProbe<Aggregator.Reply> forger = intruder.createTestProbe();
    TestProbe<Aggregator.Reply> server = home.createTestProbe();
    long guess = 0x5E55L;

    expectWarning("refused a prepare of round 1: its reply address",
        () -> remote.tell(new Aggregator.PrepareRound(1, 42, 0, List.of(), forger.getRef())));
    expectWarning("refused a resume of round 1: its reply address",
        () -> viaTransfers(remote, new Aggregator.Resume(1, 42, guess, poisoned(initial), List.of(), forger.getRef())));
    forger.expectNoMessage(Duration.ofMillis(200));

    // The member names the server's reply address: the session key goes there, not to the member.
    ActorRef<Aggregator.Reply> serverAsNamed = fromIntruder(server.getRef());
    expectWarning("refused a resume of round 2: it carries a wrong session key",
        () -> viaTransfers(remote, new Aggregator.Resume(2, 42, guess, poisoned(initial), List.of(), serverAsNamed)));
    assertEquals(42, server.expectMessageClass(Aggregator.SessionKey.class, WAIT).token());
    expectWarning("refused a prepare of round 1: it carries a wrong session key",
        () -> remote.tell(new Aggregator.PrepareRound(1, 42, guess, List.of(), serverAsNamed)));
    server.expectMessageClass(Aggregator.SessionKey.class, WAIT);

    long session = TestModels.sessionOf(aggregator, server);
    aggregator.tell(new Aggregator.PrepareRound(1, 7, session, List.of(), server.getRef()));
    Aggregator.RoundPrepared prepared = server.expectMessageClass(Aggregator.RoundPrepared.class, WAIT);
    assertEquals(7, prepared.token());
    expectWarning("refused the update of client client-0000: update not passed on by the collector",
        () -> viaTransfers(remote, new Aggregator.Fold(1, 42, "client-0000", 10, Payloads.dense(poisoned(initial)))));
    expectWarning("refused a close of round 1 without the current attempt's token",
        () -> remote.tell(new Aggregator.CloseRound(1, 42, 1, forger.getRef())));

    aggregator.tell(new Aggregator.Fold(1, prepared.key(), "client-0001", 10, Payloads.dense(initial)));
    aggregator.tell(new Aggregator.CloseRound(1, prepared.key(), 1, server.getRef()));
    Aggregator.RoundAggregated done = server.expectMessageClass(Aggregator.RoundAggregated.class, WAIT);
    assertEquals(1, done.accepted());
    assertTrue(done.rejections().get(0).contains("wrong token"), done.rejections().toString());
    assertEquals(initial, done.global(), "the forged resume restored nothing, and only the honest update was folded");
    forger.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void thePruningStrategyCannotBeAskedFromAnotherNode() {
    // Its requests and answers have no serializer: they stay on the aggregator's node, so no
    // member can have it prune for them, whatever reply address they name.
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<PruningStrategy.MasksComputed> forger = intruder.createTestProbe();
    akka.serialization.Serialization serialization = akka.serialization.SerializationExtension.get(intruder.system());
    assertTrue(serialization.serialize(new PruningStrategy.ComputeMasks(1, initial, 0.5, forger.getRef())).isFailure());
    assertTrue(serialization.serialize(new PruningStrategy.MasksComputed(1, java.util.Optional.of(new MagnitudePruner().masks(initial, 0.5)), 1, null)).isFailure());
    ActorRef<PruningStrategy.Command> pruning = home.spawn(PruningStrategy.create(new MagnitudePruner()));
    TestProbe<PruningStrategy.MasksComputed> aggregator = home.createTestProbe();
    pruning.tell(new PruningStrategy.ComputeMasks(1, initial, 0.5, aggregator.getRef()));
    assertEquals(1, aggregator.expectMessageClass(PruningStrategy.MasksComputed.class, WAIT).round());
  }

  @Test
  void controlMessagesThatDoNotFitTheAggregatorAreRefused() {
    Model initial = TestModels.mlp().initialModel(1);
    ActorRef<Aggregator.Command> aggregator = aggregator(initial);
    TestProbe<Aggregator.Reply> server = home.createTestProbe();
    long session = TestModels.sessionOf(aggregator, server);
    Model otherArchitecture = Model.zeros(ModelSpec.of(List.of(TensorSpec.bias("b", 3))));
    long largest = initial.spec().tensors().stream().mapToLong(TensorSpec::size).max().orElseThrow();
    float[] tooBig = new float[(int) largest + 1];
    TensorFile oversized = TensorFile.EMPTY.withF32("residual", new long[] {tooBig.length}, tooBig);
    TensorFile infinite = TensorFile.EMPTY.withF32("residual", new long[] {1}, new float[] {Float.POSITIVE_INFINITY});

    expectWarning("round 0 is not positive",
        () -> aggregator.tell(new Aggregator.PrepareRound(0, 1, session, List.of(), server.getRef())));
    expectWarning("a held model of round 2, outside 0 to 1",
        () -> aggregator.tell(new Aggregator.PrepareRound(2, 1, session, List.of(2), server.getRef())));
    expectWarning("held round 0 listed twice",
        () -> aggregator.tell(new Aggregator.PrepareRound(2, 1, session, List.of(0, 0), server.getRef())));
    expectWarning("its model is",
        () -> aggregator.tell(new Aggregator.Resume(2, 1, session, otherArchitecture, List.of(), server.getRef())));
    expectWarning("state tensor residual has " + tooBig.length + " values",
        () -> aggregator.tell(new Aggregator.Resume(2, 1, session, poisoned(initial), List.of(), server.getRef(), oversized)));
    expectWarning("state tensor residual has a non-finite value",
        () -> aggregator.tell(new Aggregator.Resume(2, 1, session, poisoned(initial), List.of(), server.getRef(), infinite)));
    // A resume from the server (it has the session key) that cannot be taken is answered with why,
    // so the server need not wait for a round that never comes; a refused prepare is not.
    for (String reason : List.of("its model is", "state tensor residual has " + tooBig.length + " values",
        "state tensor residual has a non-finite value")) {
      Aggregator.ResumeRefused refused = server.expectMessageClass(Aggregator.ResumeRefused.class, WAIT);
      assertEquals(2, refused.round());
      assertEquals(1, refused.token());
      assertTrue(refused.reason().contains(reason), refused.reason());
    }
    server.expectNoMessage(Duration.ofMillis(200));

    aggregator.tell(new Aggregator.PrepareRound(3, 7, session, List.of(), server.getRef()));
    long key = server.expectMessageClass(Aggregator.RoundPrepared.class, WAIT).key();
    expectWarning("round 2 is before the current round 3",
        () -> aggregator.tell(new Aggregator.PrepareRound(2, 8, session, List.of(), server.getRef())));
    expectWarning("round 5 skips ahead of the current round 3",
        () -> aggregator.tell(new Aggregator.PrepareRound(5, 8, session, List.of(), server.getRef())));
    aggregator.tell(new Aggregator.Fold(3, key, "client-0000", 10, Payloads.dense(initial)));
    aggregator.tell(new Aggregator.CloseRound(3, key, 1, server.getRef()));
    Aggregator.RoundAggregated done = server.expectMessageClass(Aggregator.RoundAggregated.class, WAIT);
    assertEquals(7, done.token());
    assertEquals(initial, done.global(), "no refused message changed the model");
  }

  @Test
  void anAggregatorOnAMemberWithoutTheAggregatorRoleIsNotUsed() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Aggregator.Command> impostor = intruder.createTestProbe();
    intruder.system().receptionist().tell(Receptionist.register(Aggregator.KEY, impostor.getRef()));
    TestProbe<Receptionist.Listing> listings = home.createTestProbe();
    home.system().receptionist().tell(Receptionist.subscribe(Aggregator.KEY, listings.getRef()));
    listings.fishForMessage(WAIT, l -> l.getServiceInstances(Aggregator.KEY).size() == 1
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());

    TestProbe<Server.Event> events = home.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(1).roundTimeout(Duration.ofMinutes(5))
        .minCompleted(1).maxAttempts(1).seed(5).minClients(1).dataSignature(SIGNATURE).build();
    expectWarning("refused the aggregator registered at", () -> home.spawn(
        Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef())));

    ActorRef<Aggregator.Command> honest = aggregator(initial);
    home.system().receptionist().tell(Receptionist.register(Aggregator.KEY, honest));
    ActorRef<Client.Command> client = home.spawn(Client.create("client-0000", SIGNATURE, new FedAvg().newClient(),
        TestModels.trainer(), TestModels.dataset(), new int[] {0, 1, 2, 3}, 1), "client-0000", Client.DISPATCHER);
    home.system().receptionist().tell(Receptionist.register(Client.KEY, client));

    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(1, done.metrics().clientsCompleted(), "the round ran on the honest aggregator");
    impostor.expectNoMessage(Duration.ofMillis(200));
  }

  /**
   * Two selected clients: client-0000 on the intruder's node, client-0001 (the victim) on the
   * server's. The intruder's client knows the victim's id and the round's reply address, and sends
   * an update (in chunks, as big updates go) and a failure report in the victim's name, with its own
   * secret or none. Each is refused and logged, the victim is not even asked about the failure, and
   * the round completes with both honest updates, the intruder's own sent in chunks too.
   */
  @Test
  void aSelectedClientCannotAnswerInAnotherSelectedClientsName() {
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Server.Event> events = home.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2).roundTimeout(Duration.ofMinutes(5))
        .maxAttempts(1).seed(5).dataSignature(SIGNATURE).clients(2).build();
    ActorRef<Server.Command> server = home.spawn(Server.create(settings, aggregator(initial),
        Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    TestProbe<Client.Command> mallory = intruder.createTestProbe();
    TestProbe<Client.Command> victim = home.createTestProbe();
    server.tell(new Server.RegisterClient("client-0000", TestClusters.reachedFrom(home, intruder, mallory.getRef())));
    server.tell(new Server.RegisterClient("client-0001", victim.getRef()));
    server.tell(new Server.Start());
    int examples = 10;
    mallory.expectMessageClass(Client.Describe.class, WAIT).replyTo()
        .tell(new Client.Description("client-0000", SIGNATURE, examples, mallory.getRef()));
    victim.expectMessageClass(Client.Describe.class, WAIT).replyTo()
        .tell(new Client.Description("client-0001", SIGNATURE, examples, victim.getRef()));
    Client.TrainRound order = mallory.expectMessageClass(Client.TrainRound.class, WAIT);
    Client.TrainRound victimsOrder = victim.expectMessageClass(Client.TrainRound.class, WAIT);

    String refusal = "refused a reply of client client-0001: it does not carry the secret sent with the client's order";
    Model poisoned = poisoned(initial);
    for (long secret : new long[] {order.secret(), 0}) {
      expectWarning(refusal, () -> viaTransfers(order.replyTo(),
          new Client.Trained(1, "client-0001", secret, examples, Payloads.dense(poisoned), 0.1, 1, 1)));
      expectWarning(refusal, () -> order.replyTo().tell(new Client.Failed(1, "client-0001", secret, "forged")));
    }
    victim.expectNoMessage(Duration.ofMillis(200));
    victimsOrder.replyTo().tell(TestModels.trained(victimsOrder, "client-0001", examples, Payloads.dense(initial)));
    viaTransfers(order.replyTo(), TestModels.trained(order, "client-0000", examples, Payloads.dense(initial)));

    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, WAIT);
    assertEquals(2, done.metrics().clientsCompleted(), "both honest updates were taken");
    assertEquals(4, done.rejections().stream().filter(r -> r.contains("client client-0001: it does not carry the secret")).count(),
        done.rejections().toString());
    assertTrue(done.rejections().stream().noneMatch(r -> r.contains(Long.toString(order.secret()))
        || r.contains(Long.toString(victimsOrder.secret()))), "no secret is written out: " + done.rejections());
    assertEquals(Evaluator.of(TestModels.mlp(), TestModels.dataset()).evaluate(initial).loss(), done.metrics().loss(),
        "the model is the mean of the two honest updates: the forged update was not folded");
  }

  @Test
  void aClientTakesOrdersOnlyFromItsServersNode() {
    Model initial = TestModels.mlp().initialModel(1);
    ActorRef<Client.Command> client = home.spawn(Client.create("client-0001", SIGNATURE, new FedAvg().newClient(),
        TestModels.trainer(), TestModels.dataset(), new int[] {0, 1, 2, 3}, 1), "client-0001", Client.DISPATCHER);
    ActorRef<Client.Command> remote = fromIntruder(client);
    TestProbe<Client.Description> stranger = intruder.createTestProbe();
    TestProbe<Client.Reply> orders = intruder.createTestProbe();

    expectWarning("client client-0001 refused a handshake", () -> remote.tell(new Client.Describe(stranger.getRef())));
    expectWarning("client client-0001 refused to train round 1",
        () -> viaTransfers(remote, new Client.TrainRound(1, Payloads.dense(poisoned(initial)), 0, orders.getRef())));
    stranger.expectNoMessage(Duration.ofMillis(200));
    orders.expectNoMessage(Duration.ofMillis(200));

    TestProbe<Client.Description> server = home.createTestProbe();
    client.tell(new Client.Describe(server.getRef()));
    assertEquals("client-0001", server.expectMessageClass(Client.Description.class, WAIT).clientId());
    TestProbe<Client.Reply> replies = home.createTestProbe();
    client.tell(new Client.TrainRound(1, Payloads.dense(initial), 0x5EC7E7L, replies.getRef()));
    Client.Trained trained = replies.expectMessageClass(Client.Trained.class, WAIT);
    assertEquals(1, trained.round(), "the server's own order is carried out");
    assertEquals(0x5EC7E7L, trained.secret(), "the update carries the order's secret back");
  }
}
