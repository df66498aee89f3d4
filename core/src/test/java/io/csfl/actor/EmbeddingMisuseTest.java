package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.TensorFile;
import io.csfl.data.Dataset;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.FedAvg;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What an application that embeds the actors gets wrong is said where it can act on it: at the
 * factory that was given it, or to the run's listener as an {@link Server.Aborted} that names it,
 * never by an actor that dies with nothing said while the application waits for an end.
 */
class EmbeddingMisuseTest {
  static final ActorTestKit testKit = TestModels.serializingTestKit();
  private static final Evaluator EVALUATOR = model -> new io.csfl.nn.Evaluation(0.5, 1.0, 1);

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  private static Checkpoint checkpoint(String algorithm, Model global) {
    return new Checkpoint(algorithm, 1, List.of(new RoundMetrics(algorithm, 1, 0.5, 1.0, 10, 10, 1, 1, 1, 1, 1, 1)), Map.of(),
        global, TensorFile.EMPTY);
  }

  private static Server.Settings settings(String algorithm) {
    return Server.Settings.builder(algorithm).rounds(3).clientsPerRound(2).minCompleted(2).roundTimeout(Duration.ofSeconds(60))
        .aggregatorGrace(Duration.ofSeconds(2)).clientGrace(Duration.ofSeconds(30)).build();
  }

  @Test
  void aCheckpointOfAnotherAlgorithmIsRefusedByTheFactory() {
    ActorRef<Aggregator.Command> aggregator = testKit.createTestProbe(Aggregator.Command.class).getRef();
    ActorRef<Server.Event> listener = testKit.createTestProbe(Server.Event.class).getRef();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Server.create(settings("fedavg"), aggregator,
        EVALUATOR, listener, Optional.of(checkpoint("cs", TestModels.mlp().initialModel(1))), Server.Checkpointer.NONE));
    assertEquals("a checkpoint of cs cannot resume fedavg", e.getMessage());
  }

  /** A discovering server reads its checkpoint when it starts, after its factory returned: its listener hears why it cannot. */
  @Test
  void aDiscoveringServerThatCannotResumeTellsItsListener() {
    TestProbe<Server.Event> events = testKit.createTestProbe();
    testKit.spawn(Server.createDiscovering(settings("fedavg"), EVALUATOR, events.getRef(), Server.Checkpointer.NONE,
        () -> Optional.of(checkpoint("cs", TestModels.mlp().initialModel(1)))), "discovering-other-algorithm");
    assertEquals(new Server.Aborted("fedavg", 2, "a checkpoint of cs cannot resume fedavg"),
        events.expectMessageClass(Server.Aborted.class, Duration.ofSeconds(30)));

    TestProbe<Server.Event> unread = testKit.createTestProbe();
    testKit.spawn(Server.createDiscovering(settings("fedavg"), EVALUATOR, unread.getRef(), Server.Checkpointer.NONE, () -> {
      throw new IllegalArgumentException("the checkpoint of another model: f.safetensors has no tensor w");
    }), "discovering-unreadable");
    assertEquals(new Server.Aborted("fedavg", 1, "no checkpoint to continue from: the checkpoint of another model: f.safetensors has no tensor w"),
        unread.expectMessageClass(Server.Aborted.class, Duration.ofSeconds(30)));
  }

  @Test
  void theFactoriesRefuseNullsNamingTheArgument() {
    ActorRef<Aggregator.Command> aggregator = testKit.createTestProbe(Aggregator.Command.class).getRef();
    ActorRef<Server.Event> listener = testKit.createTestProbe(Server.Event.class).getRef();
    Server.Settings s = settings("fedavg");
    assertEquals("settings", assertThrows(NullPointerException.class, () -> Server.create(null, aggregator, EVALUATOR, listener)).getMessage());
    assertEquals("aggregator", assertThrows(NullPointerException.class, () -> Server.create(s, null, EVALUATOR, listener)).getMessage());
    assertEquals("evaluator", assertThrows(NullPointerException.class, () -> Server.create(s, aggregator, null, listener)).getMessage());
    assertEquals("listener", assertThrows(NullPointerException.class, () -> Server.createDiscovering(s, EVALUATOR, null)).getMessage());
    assertEquals("algorithm", assertThrows(NullPointerException.class, () -> Aggregator.create(null, new MagnitudePruner())).getMessage());
    assertEquals("pruner", assertThrows(NullPointerException.class,
        () -> Aggregator.create(new FedAvg().newServer(TestModels.mlp().initialModel(1), 3), null)).getMessage());
    assertEquals("clientId", assertThrows(NullPointerException.class, () -> Client.create(null, new FedAvg().newClient(),
        TestModels.trainer(), TestModels.dataset(), new int[] {0}, 1)).getMessage());
    assertEquals("trainer", assertThrows(NullPointerException.class, () -> Client.create("client-0000", new FedAvg().newClient(),
        null, TestModels.dataset(), new int[] {0}, 1)).getMessage());
  }

  /**
   * A checkpoint of another model given to a server whose aggregator has this one: the aggregator
   * says why it cannot resume, and the run ends naming it at once (no other aggregator can come to
   * a server given its one), not after every attempt's round timeout with a reason that does not
   * name the model, nor after the aggregator grace.
   */
  @Test
  void aResumeTheAggregatorCannotTakeEndsTheRunNamingWhy() {
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(Aggregator.create(new FedAvg().newServer(TestModels.mlp().initialModel(1), 3),
        new MagnitudePruner()), "resume-mismatch-aggregator");
    TestProbe<Server.Event> events = testKit.createTestProbe();
    Model otherModel = Architecture.mlp(784, 5).initialModel(1);
    Server.Settings patient = settings("fedavg").toBuilder().aggregatorGrace(Duration.ofMinutes(5)).build();
    ActorRef<Server.Command> server = testKit.spawn(Server.create(patient, aggregator, EVALUATOR, events.getRef(),
        Optional.of(checkpoint("fedavg", otherModel)), Server.Checkpointer.NONE), "resume-mismatch-server");
    for (int i = 0; i < 2; i++) {
      String id = Client.id(i);
      server.tell(new Server.RegisterClient(id, testKit.spawn(Client.create(id, new FedAvg().newClient(), TestModels.trainer(),
          TestModels.dataset(), new int[] {4 * i, 4 * i + 1}, i), "resume-mismatch-" + id)));
    }
    server.tell(new Server.Start());
    Server.Aborted aborted = events.expectMessageClass(Server.Aborted.class, Duration.ofSeconds(30));
    assertEquals(2, aborted.round());
    assertTrue(aborted.reason().startsWith("the aggregator at ") && aborted.reason().contains(" cannot be used: it cannot resume round 2: its model is "
        + otherModel.spec()), aborted.reason());
  }

  /** Throws what it is given to throw, as an application's trainer may: an assert under a test runner, its own error. */
  private record ThrowingTrainer(ModelSpec spec, Supplier<Throwable> failure) implements LocalTrainer {
    @Override
    public TrainingResult train(Model start, Dataset data, int[] examples, long seed) {
      Throwable t = failure.get();
      if (t instanceof RuntimeException e) {
        throw e;
      }
      throw (Error) t;
    }
  }

  private static int depth(int n) {
    return n == Integer.MAX_VALUE ? n : 1 + depth(n + 1);
  }

  static Stream<Arguments> trainerFailures() {
    Supplier<Throwable> overflow = () -> {
      try {
        return new IllegalStateException("no overflow at depth " + depth(0));
      } catch (StackOverflowError e) {
        return e;
      }
    };
    return Stream.of(
        Arguments.of("java.lang.AssertionError: expected a non-empty batch",
            (Supplier<Throwable>) () -> new AssertionError("expected a non-empty batch")),
        Arguments.of("java.lang.Error: the trainer's own error",
            (Supplier<Throwable>) () -> new Error("the trainer's own error")),
        Arguments.of("java.lang.NoClassDefFoundError: org/example/Missing",
            (Supplier<Throwable>) () -> new NoClassDefFoundError("org/example/Missing")),
        Arguments.of("java.lang.UnsatisfiedLinkError: no torch in java.library.path",
            (Supplier<Throwable>) () -> new UnsatisfiedLinkError("no torch in java.library.path")),
        Arguments.of("java.lang.StackOverflowError", overflow));
  }

  /**
   * Whatever a trainer throws short of a broken JVM (a failed assert, an error of its own, a stack
   * overflow, a class or native library it cannot load) fails the round at the client with its
   * reason, as an exception does; the client lives on, and so does the JVM (Akka would exit it on
   * an error no one caught).
   */
  @ParameterizedTest
  @MethodSource("trainerFailures")
  void whatATrainerThrowsFailsTheRoundNotTheClient(String reason, Supplier<Throwable> failure) {
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(3).clientsPerRound(2).minCompleted(2)
        .roundTimeout(Duration.ofSeconds(60)).maxAttempts(2).clientGrace(Duration.ofSeconds(30)).build();
    TestProbe<Server.Event> events = TestModels.startFedAvg(testKit, "throwing-" + Integer.toHexString(reason.hashCode()), settings, EVALUATOR,
        Server.Checkpointer.NONE, new ThrowingTrainer(TestModels.mlp().spec(), failure), 2, "");
    Server.Aborted aborted = events.expectMessageClass(Server.Aborted.class, Duration.ofSeconds(60));
    assertEquals(1, aborted.round());
    assertTrue(aborted.reason().contains(reason), aborted.reason());
    assertTrue(!aborted.reason().contains("registered"), "the clients are still there: " + aborted.reason());
  }

  /**
   * A server that fails on something it does not handle (here an application's checkpointer that
   * fails an assert, which is no I/O or runtime error to log and train on after) tells its
   * listener, and stops, instead of stopping with nothing said while the listener waits.
   */
  @Test
  void aServerThatFailsOnSomethingUnforeseenTellsItsListenerAndStops() {
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(3).clientsPerRound(2).minCompleted(2)
        .roundTimeout(Duration.ofSeconds(60)).clientGrace(Duration.ofSeconds(30)).evaluateAlongside(false).build();
    Server.Checkpointer asserting = c -> {
      throw new AssertionError("expected a writable directory");
    };
    TestModels.Started federation = TestModels.startFederation(testKit, "unforeseen", settings, EVALUATOR, asserting,
        TestModels.trainer(), 2, "", i -> new FedAvg().newClient());
    Server.Aborted aborted = federation.events().expectMessageClass(Server.Aborted.class, Duration.ofSeconds(60));
    assertEquals(1, aborted.round());
    assertEquals("the server failed: java.lang.AssertionError: expected a writable directory", aborted.reason());
    testKit.createTestProbe().expectTerminated(federation.server(), Duration.ofSeconds(30));
  }
}
