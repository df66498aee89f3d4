package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import io.csfl.codec.Payload;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Payloads;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A round whose aggregate the aggregator committed but the server never received (a lost
 * transfer, a reply that came too late) is retried from the model the server holds, not from the
 * one the aggregator moved on to: otherwise the round would be applied twice, silently.
 */
class LostAggregateTest {
  static final ActorTestKit testKit = TestModels.serializingTestKit();
  private static final String SIGNATURE = "random/64 lost aggregate";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  /** Passes everything on to {@code aggregator}, but the first close of {@code round} gets a reply address nobody reads. */
  private static Behavior<Aggregator.Command> losingFirstAggregateOf(int round, ActorRef<Aggregator.Command> aggregator,
                                                                       ActorRef<Aggregator.Reply> nowhere) {
    AtomicBoolean lost = new AtomicBoolean();
    return Behaviors.receiveMessage(command -> {
      if (command instanceof Aggregator.CloseRound c && c.round() == round && lost.compareAndSet(false, true)) {
        aggregator.tell(new Aggregator.CloseRound(c.round(), c.token(), c.updates(), c.minimum(), nowhere));
      } else {
        aggregator.tell(command);
      }
      return Behaviors.same();
    });
  }

  /** {@code model} with 1 added to every weight: what each client sends back, whatever it was sent. */
  private static Model plusOne(Model model) {
    ModelBuffer b = ModelBuffer.copyOf(model);
    for (int t = 0; t < b.spec().tensorCount(); t++) {
      float[] w = b.tensor(t);
      for (int i = 0; i < w.length; i++) {
        w[i] += 1f;
      }
    }
    return b.toModel();
  }

  /** One order a client got: the round, and the model it was to start from. */
  private record Order(int round, Model start) {}

  /**
   * A client that describes itself with {@code SIGNATURE} and 4 examples and answers every order
   * with its model plus one, noting in {@code orders} what it was sent; it ignores anything else.
   */
  private static Behavior<Client.Command> answering(int index, ModelSpec spec, List<Order> orders) {
    return Behaviors.setup(ctx -> Behaviors.receiveMessage(command -> {
      if (command instanceof Client.Describe d) {
        d.replyTo().tell(new Client.Description(Client.id(index), SIGNATURE, 4, ctx.getSelf()));
      } else if (command instanceof Client.TrainRound round) {
        assertEquals(Payload.ABSOLUTE, round.model().base(), "fedavg sends the whole model");
        Model start = Payloads.toModel(round.model(), spec);
        orders.add(new Order(round.round(), start));
        round.replyTo().tell(TestModels.trained(round, Client.id(index), 4, Payloads.dense(plusOne(start))));
      }
      return Behaviors.same();
    }));
  }

  /**
   * A two-round run whose round 1 or round 2 aggregate is lost once, and what client 0 was sent
   * for every attempt: a round 2 retry needs the server's model (it resumes the aggregator), a
   * round 1 retry the aggregator's initial model (the server has none). The clients answer at
   * once, but the test does not count on it: a round that times out on a loaded machine is
   * retried too, and every attempt of a round must start from the model before it.
   */
  @ParameterizedTest(name = "aggregate of round {0} lost")
  @ValueSource(ints = {1, 2})
  void aRoundWhoseAggregateWasLostIsRetriedFromTheModelBeforeIt(int lostRound) {
    Model initial = TestModels.mlp().initialModel(1);
    ActorRef<Aggregator.Command> real = testKit.spawn(Aggregator.create(new FedAvg().newServer(initial, 2), new MagnitudePruner()));
    TestProbe<Aggregator.Reply> nowhere = testKit.createTestProbe();
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(losingFirstAggregateOf(lostRound, real, nowhere.getRef()));
    TestProbe<Server.Event> events = testKit.createTestProbe();
    // The lost aggregate is waited for until the round's timeout.
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(2).clientsPerRound(2).roundTimeout(Duration.ofSeconds(10))
        .maxAttempts(5).seed(5).dataSignature(SIGNATURE).clients(2).build();
    ActorRef<Server.Command> server = testKit.spawn(
        Server.create(settings, aggregator, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    List<Order> sent = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 2; i++) {
      server.tell(new Server.RegisterClient(Client.id(i), testKit.spawn(answering(i, initial.spec(), i == 0 ? sent : new CopyOnWriteArrayList<>()))));
    }
    server.tell(new Server.Start());

    assertEquals(1, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
    assertEquals(2, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
    events.expectMessageClass(Server.Finished.class, WAIT);
    // Round 1 applied once: round 2 starts from the initial model plus one, however often either round was tried.
    List<Model> before = List.of(initial, plusOne(initial));
    for (int round = 1; round <= 2; round++) {
      int r = round;
      List<Order> attempts = sent.stream().filter(o -> o.round() == r).toList();
      assertTrue(attempts.size() >= (r == lostRound ? 2 : 1), "round " + r + " was tried " + attempts.size() + " time(s)");
      for (Order o : attempts) {
        assertEquals(before.get(r - 1), o.start(), "every attempt of round " + r + " starts from the model before it, not from a lost aggregate");
      }
    }
    assertEquals(List.of(1, 2), sent.stream().map(Order::round).distinct().toList(), "the rounds in order");
  }
}
