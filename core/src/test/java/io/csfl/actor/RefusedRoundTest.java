package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.csfl.data.Dataset;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.codec.Payload;
import io.csfl.strategy.ClientAlgorithm;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.Payloads;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * An attempt in which the aggregator refused every update that arrived, or so many that fewer than
 * a round needs were folded, is not a round: it is not committed, published or checkpointed, but
 * retried, and the run ends aborted, naming a refusal, when no attempt gets enough updates through.
 */
class RefusedRoundTest {
  static final ActorTestKit testKit = TestModels.serializingTestKit();
  private static final String SIGNATURE = "random/64 refused";
  private static final int CLIENTS = 2;

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  /**
   * A FedAvg client that sends, instead of its update, a model of another architecture: as a
   * misbehaving client would, whatever its trainer did.
   */
  private record WrongShapeUplink(Model other) implements ClientAlgorithm {
    @Override
    public Payload uplink(Payload downlink, Model start, Model trained) {
      return Payloads.dense(other);
    }
  }

  /** Returns {@code result(start, examples)} without training, as a misconfigured application's trainer would. */
  private record ReturningTrainer(ModelSpec spec, java.util.function.BiFunction<Model, int[], TrainingResult> result)
      implements LocalTrainer {
    @Override
    public TrainingResult train(Model start, Dataset data, int[] examples, long seed) {
      return result.apply(start, examples);
    }
  }

  /** Throws, as a broken application trainer would. */
  private record BrokenTrainer(ModelSpec spec) implements LocalTrainer {
    @Override
    public TrainingResult train(Model start, Dataset data, int[] examples, long seed) {
      throw new IllegalStateException("my trainer broke");
    }
  }

  /** A 3-round fedavg run of two clients with {@code trainer}, 2 attempts a round, until it is aborted. */
  private Server.Aborted aborted(String name, LocalTrainer trainer, List<Integer> checkpointed) {
    return aborted(name, trainer, 1, checkpointed, i -> new FedAvg().newClient());
  }

  /**
   * As {@link #aborted(String, LocalTrainer, List)}, with rounds that need {@code minCompleted}
   * updates, client {@code i} running {@code algorithms.apply(i)}.
   */
  private Server.Aborted aborted(String name, LocalTrainer trainer, int minCompleted, List<Integer> checkpointed,
                                 IntFunction<ClientAlgorithm> algorithms) {
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(3).clientsPerRound(CLIENTS)
        .roundTimeout(Duration.ofSeconds(60)).minCompleted(minCompleted).maxAttempts(2).seed(5).minClients(CLIENTS).dataSignature(SIGNATURE)
        .build();
    TestProbe<Server.Event> events = TestModels.startFedAvg(testKit, name, settings,
        Evaluator.of(TestModels.mlp(), TestModels.dataset()), c -> checkpointed.add(c.round()), trainer, CLIENTS, SIGNATURE, algorithms);
    Server.Aborted aborted = events.expectMessageClass(Server.Aborted.class, Duration.ofSeconds(60));
    events.expectNoMessage(Duration.ofMillis(300));
    return aborted;
  }

  @Test
  void anAttemptWhoseUpdatesWereAllRefusedIsRetriedNotCommitted() {
    Dataset data = TestModels.dataset();
    Model other = Model.zeros(Architecture.byName("dense:10", data.shape(), data.classes()).spec());
    List<Integer> checkpointed = new CopyOnWriteArrayList<>();
    Server.Aborted aborted = aborted("refused", TestModels.trainer(), 1, checkpointed, i -> new WrongShapeUplink(other));
    assertEquals(1, aborted.round());
    assertTrue(aborted.reason().contains("round 1: the aggregator refused every update in 2 attempts"), aborted.reason());
    assertTrue(aborted.reason().contains("client-000"), "the reason names a refusal: " + aborted.reason());
    assertEquals(List.of(), checkpointed, "no round was committed");
  }

  @Test
  void anAttemptWithFewerAcceptedUpdatesThanARoundNeedsIsRetriedNotCommitted() {
    Dataset data = TestModels.dataset();
    Model other = Model.zeros(Architecture.byName("dense:10", data.shape(), data.classes()).spec());
    List<Integer> checkpointed = new CopyOnWriteArrayList<>();
    // Both clients complete every attempt, but client-0001's update (examples 4-7) is refused: 1 folded, 2 needed.
    Server.Aborted aborted = aborted("one-refused", TestModels.trainer(), CLIENTS, checkpointed,
        i -> i == 1 ? new WrongShapeUplink(other) : new FedAvg().newClient());
    assertEquals(1, aborted.round());
    assertTrue(aborted.reason().contains("round 1: the aggregator accepted fewer than the 2 updates a round needs in 2 attempts"),
        aborted.reason());
    assertTrue(aborted.reason().contains("client-0001"), "the reason names the refusal: " + aborted.reason());
    assertEquals(List.of(), checkpointed, "no round was committed");
  }

  @Test
  void aRunWhoseClientsAllFailEndsNamingWhatTheyReported() {
    Server.Aborted aborted = aborted("broken", new BrokenTrainer(TestModels.mlp().spec()), new CopyOnWriteArrayList<>());
    assertEquals(1, aborted.round());
    assertTrue(aborted.reason().contains("round 1 got fewer than 1 updates in 2 attempts (the last: 0 of 2, 0 dropped, 2 failed"),
        aborted.reason());
    assertTrue(aborted.reason().contains("my trainer broke"), "the reason says what a client reported: " + aborted.reason());
  }

  @Test
  void aTrainerThatReturnsAnotherModelOrCountFailsItsClientSayingSo() {
    Dataset data = TestModels.dataset();
    Model other = Model.zeros(Architecture.byName("dense:10", data.shape(), data.classes()).spec());
    Server.Aborted wrongModel = aborted("wrong-model", new ReturningTrainer(TestModels.mlp().spec(),
        (start, examples) -> new TrainingResult(other, 0.5, examples.length)), new CopyOnWriteArrayList<>());
    assertTrue(wrongModel.reason().contains("2 failed") && wrongModel.reason().contains(
        "the trainer returned a model of other tensors than it was given"), wrongModel.reason());

    Server.Aborted wrongCount = aborted("wrong-count", new ReturningTrainer(TestModels.mlp().spec(),
        (start, examples) -> new TrainingResult(start, 0.5, 3 * examples.length)), new CopyOnWriteArrayList<>());
    assertTrue(wrongCount.reason().contains("2 failed") && wrongCount.reason().contains(
        "the trainer reports 12 examples per epoch, the client holds 4"), wrongCount.reason());
  }

  @Test
  void aRunWhoseClientsWereAllRefusedAtTheHandshakeEndsNamingARefusal() {
    FederatedStrategy fedavg = new FedAvg();
    Model initial = TestModels.mlp().initialModel(1);
    Dataset data = TestModels.dataset();
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(Aggregator.create(fedavg.newServer(initial, 3), new MagnitudePruner()),
        "misnamed-aggregator");
    TestProbe<Server.Event> events = testKit.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(3).clientsPerRound(1).minClients(1)
        .clientGrace(Duration.ofSeconds(1)).seed(5).dataSignature(SIGNATURE).build();
    ActorRef<Server.Command> server = testKit.spawn(Server.create(settings, aggregator, Evaluator.of(TestModels.mlp(), data),
        events.getRef(), java.util.Optional.empty(), c -> { }), "misnamed-server");
    ActorRef<Client.Command> client = testKit.spawn(Client.create(Client.id(0), SIGNATURE, fedavg.newClient(), TestModels.trainer(),
        data, new int[] {0, 1, 2, 3}, 0), "misnamed-client");
    server.tell(new Server.RegisterClient("phone-0", client));
    server.tell(new Server.Start());
    Server.Aborted aborted = events.expectMessageClass(Server.Aborted.class, Duration.ofSeconds(60));
    assertTrue(aborted.reason().contains("0 clients are registered") && aborted.reason().contains("the last client refused: client "),
        aborted.reason());
    assertTrue(aborted.reason().contains("phone-0") && aborted.reason().contains(Client.id(0)), aborted.reason());
  }
}
