package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.TensorFile;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * CS keeps the global models of its last rounds to patch the clients that hold them, and the
 * server keeps them in each checkpoint. The aggregator's round reply carries each of them once,
 * the round after it was made, so the reply does not grow with the rounds, while each checkpoint
 * still holds the model of every round a client holds.
 */
class RoundStateTest {
  static final ActorTestKit testKit = TestModels.serializingTestKit();
  private static final int ROUNDS = 34;

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  /**
   * Between the server and {@code aggregator}: passes everything on, and records the round
   * replies as the server gets them (deserialized, with {@code serialize-messages = on}).
   */
  private static Behavior<Object> relay(ActorRef<Aggregator.Command> aggregator, List<Aggregator.RoundAggregated> replies) {
    AtomicReference<ActorRef<Aggregator.Reply>> server = new AtomicReference<>();
    return Behaviors.setup(ctx -> {
      ActorRef<Aggregator.Reply> self = ctx.getSelf().narrow();
      return Behaviors.receiveMessage(message -> {
        if (message instanceof Aggregator.PrepareRound p) {
          server.set(p.replyTo());
          aggregator.tell(new Aggregator.PrepareRound(p.round(), p.token(), p.session(), p.held(), self));
        } else if (message instanceof Aggregator.CloseRound c) {
          server.set(c.replyTo());
          aggregator.tell(new Aggregator.CloseRound(c.round(), c.token(), c.updates(), self));
        } else if (message instanceof Aggregator.Reply r) {
          if (r instanceof Aggregator.RoundAggregated a) {
            replies.add(a);
          }
          server.get().tell(r);
        } else {
          aggregator.tell((Aggregator.Command) message);
        }
        return Behaviors.same();
      });
    });
  }

  /**
   * Runs {@code strategy} for {@code rounds} rounds, three clients one a round (each holds the model
   * of the last round it took part in); returns the round replies as the server got them and adds
   * each checkpoint to {@code checkpoints}.
   */
  private static List<Aggregator.RoundAggregated> run(FederatedStrategy strategy, int rounds, List<Checkpoint> checkpoints) {
    Model initial = TestModels.mlp().initialModel(2);
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(Aggregator.create(strategy.newServer(initial, rounds), new MagnitudePruner()));
    List<Aggregator.RoundAggregated> replies = new CopyOnWriteArrayList<>();
    ActorRef<Aggregator.Command> between = testKit.spawn(relay(aggregator, replies)).narrow();
    TestProbe<Server.Event> events = testKit.createTestProbe();
    Server.Settings settings = Server.Settings.builder(strategy.name()).rounds(rounds).clientsPerRound(1)
        .roundTimeout(Duration.ofSeconds(30)).maxAttempts(3).seed(5).build();
    ActorRef<Server.Command> server = testKit.spawn(Server.create(settings, between, Evaluator.of(TestModels.mlp(), TestModels.dataset()),
        events.getRef(), Optional.empty(), checkpoints::add));
    for (int i = 0; i < 3; i++) {
      ActorRef<Client.Command> client = testKit.spawn(Client.create("client-" + i, strategy.newClient(), TestModels.trainer(),
          TestModels.dataset(), new int[] {4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3}, i));
      server.tell(new Server.RegisterClient("client-" + i, client));
    }
    server.tell(new Server.Start());
    events.fishForMessage(Duration.ofMinutes(10), e -> e instanceof Server.Finished ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());
    return replies;
  }

  @Test
  void eachRoundReplyCarriesOneNewHistoryEntryAndEachCheckpointAllTheHeldOnes() {
    FederatedStrategy cs = new ComplementSparsification(CsOptions.defaults());
    int window = CsOptions.defaults().downlinkHistory();
    List<Checkpoint> checkpoints = new CopyOnWriteArrayList<>();
    List<Aggregator.RoundAggregated> replies = run(cs, ROUNDS, checkpoints);

    assertEquals(ROUNDS, replies.size());
    assertEquals(ROUNDS, checkpoints.size());
    Serialization serialization = SerializationExtension.get(akka.actor.typed.javadsl.Adapter.toClassic(testKit.system()));
    TensorFile whole = TensorFile.EMPTY;
    long[] sent = new long[ROUNDS + 1];
    long[] wholeSize = new long[ROUNDS + 1];
    boolean someHeldEarlier = false;
    for (Aggregator.RoundAggregated a : replies) {
      int r = a.round();
      assertTrue(heldRounds(a.state()).stream().allMatch(k -> k == r - 1), "round " + r + " sent entries " + heldRounds(a.state()));
      // What the reply would carry with the whole history: every earlier model in the window.
      whole = Checkpoint.mergeState(whole, a.state(), IntStream.range(0, r).boxed().toList());
      long stateless = bytes(serialization, withState(a, TensorFile.EMPTY));
      sent[r] = bytes(serialization, a) - stateless;
      wholeSize[r] = bytes(serialization, withState(a, whole)) - stateless;

      Checkpoint c = checkpoints.get(r - 1);
      assertEquals(r, c.round());
      List<Integer> expected = c.held().values().stream().filter(k -> k < r && k > r - window).distinct().sorted().toList();
      assertEquals(expected, heldRounds(c.strategyState()), "checkpoint of round " + r + ", clients holding " + c.held());
      someHeldEarlier |= expected.stream().anyMatch(k -> k < r - 1);
    }
    assertTrue(someHeldEarlier, "some checkpoint has a client that holds a model older than the last round's");
    Aggregator.RoundAggregated last = replies.get(ROUNDS - 1);
    long heldEntry = bytes(serialization, last) - bytes(serialization, withState(last, last.state().without(n -> n.startsWith(Checkpoint.HELD_STATE))));
    System.out.printf("cs mlp, the strategy state in round %d's reply: %d bytes (its history entry %d); with the whole history: %d bytes; the reply: %d bytes%n",
        ROUNDS, sent[ROUNDS], heldEntry, wholeSize[ROUNDS], bytes(serialization, last));
    for (int r = 3; r <= ROUNDS; r++) {
      // Every reply's state is the masks and one earlier model: it does not grow with the rounds.
      assertTrue(sent[r] < 2 * sent[3], "round " + r + "'s reply has " + sent[r] + " bytes of state, round 3's " + sent[3]);
    }
    assertTrue(wholeSize[ROUNDS] > 10 * sent[ROUNDS], "the whole history is " + wholeSize[ROUNDS] + " bytes, the reply's state " + sent[ROUNDS]);
  }

  @Test
  void aFedAvgReplyIsItsDenseModelAndAnEmptyState() {
    List<Aggregator.RoundAggregated> replies = run(new FedAvg(), 3, new CopyOnWriteArrayList<>());
    Serialization serialization = SerializationExtension.get(akka.actor.typed.javadsl.Adapter.toClassic(testKit.system()));
    Aggregator.RoundAggregated last = replies.get(replies.size() - 1);
    assertEquals(TensorFile.EMPTY, last.state());
    long params = last.global().spec().parameterCount();
    long reply = bytes(serialization, last);
    System.out.printf("fedavg mlp, round %d's reply: %d bytes for %d parameters%n", last.round(), reply, params);
    // At most the dense values, one byte a tensor saying so, the spec and the round's fields; less if a tensor is mostly zeros.
    assertTrue(reply < 4 * params + 512, reply + " bytes");
  }

  private static Aggregator.RoundAggregated withState(Aggregator.RoundAggregated a, TensorFile state) {
    return new Aggregator.RoundAggregated(a.round(), a.token(), a.accepted(), a.rejections(), a.global(), a.serverMillis(), state);
  }

  private static long bytes(Serialization serialization, Object message) {
    return serialization.serialize(message).get().length;
  }

  private static List<Integer> heldRounds(TensorFile state) {
    return state.tensors().keySet().stream().filter(n -> n.startsWith(Checkpoint.HELD_STATE)).map(Checkpoint::heldRound)
        .distinct().sorted().toList();
  }
}
