package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

  /**
   * Round 1 and round 2 of a two-round run, then the round whose aggregate is lost again, and what
   * client 0 was sent for each: a round 2 retry needs the server's model (it resumes the aggregator),
   * a round 1 retry the aggregator's initial model (the server has none).
   */
  @ParameterizedTest(name = "aggregate of round {0} lost")
  @ValueSource(ints = {1, 2})
  void aRoundWhoseAggregateWasLostIsRetriedFromTheModelBeforeIt(int lostRound) {
    Model initial = TestModels.mlp().initialModel(1);
    ActorRef<Aggregator.Command> real = testKit.spawn(Aggregator.create(new FedAvg().newServer(initial, 2), new MagnitudePruner()));
    TestProbe<Aggregator.Reply> nowhere = testKit.createTestProbe();
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(losingFirstAggregateOf(lostRound, real, nowhere.getRef()));
    TestProbe<Server.Event> events = testKit.createTestProbe();
    // The lost aggregate is waited for until the round's timeout; every other step must fit well
    // within it, also on a cold JVM on a loaded machine, or an extra attempt moves the orders below.
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(2).clientsPerRound(2).roundTimeout(Duration.ofSeconds(10))
        .maxAttempts(3).seed(5).dataSignature(SIGNATURE).clients(2).build();
    ActorRef<Server.Command> server = testKit.spawn(
        Server.create(settings, aggregator, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    List<TestProbe<Client.Command>> clients = List.of(testKit.createTestProbe(), testKit.createTestProbe());
    for (int i = 0; i < clients.size(); i++) {
      server.tell(new Server.RegisterClient(Client.id(i), clients.get(i).getRef()));
    }
    server.tell(new Server.Start());
    for (int i = 0; i < clients.size(); i++) {
      clients.get(i).expectMessageClass(Client.Describe.class, WAIT).replyTo()
          .tell(new Client.Description(Client.id(i), SIGNATURE, 4, clients.get(i).getRef()));
    }

    // Three orders to each client: the lost round's attempt, and its retry, among them.
    List<Model> sent = new ArrayList<>();
    for (int order = 0; order < 3; order++) {
      for (int i = 0; i < clients.size(); i++) {
        Client.TrainRound round = clients.get(i).expectMessageClass(Client.TrainRound.class, WAIT);
        assertEquals(Payload.ABSOLUTE, round.model().base(), "fedavg sends the whole model");
        Model start = Payloads.toModel(round.model(), initial.spec());
        if (i == 0) {
          sent.add(start);
        }
        round.replyTo().tell(TestModels.trained(round, Client.id(i), 4, Payloads.dense(plusOne(start))));
      }
    }
    Model beforeLost = lostRound == 1 ? initial : plusOne(initial);
    assertEquals(beforeLost, sent.get(lostRound - 1), "round " + lostRound + " starts from the model before it");
    assertEquals(beforeLost, sent.get(lostRound), "its retry starts from that model too, not from the lost aggregate");
    if (lostRound == 1) {
      assertEquals(plusOne(initial), sent.get(2), "round 2 starts from round 1's model: round 1 was applied once");
    }
    assertEquals(1, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
    assertEquals(2, events.expectMessageClass(Server.RoundCompleted.class, WAIT).metrics().round());
    events.expectMessageClass(Server.Finished.class, WAIT);
  }
}
