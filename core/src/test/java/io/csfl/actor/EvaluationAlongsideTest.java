package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.data.Dataset;
import io.csfl.nn.Evaluation;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A round's model is evaluated beside the next round's training: while round 1's evaluation is
 * held back, round 2's clients train but round 3's do not; the metrics, checkpoints and events
 * still come in round order, and the run ends only after the last evaluation.
 */
class EvaluationAlongsideTest {
  static final ActorTestKit testKit = TestModels.serializingTestKitWaitingForLogs();
  private static final String SIGNATURE = "random/64 alongside";
  private static final int CLIENTS = 2;

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  /** Counts the training calls, so the test can see round 2 train while round 1 is evaluated. */
  private record CountingTrainer(LocalTrainer inner, AtomicInteger calls) implements LocalTrainer {
    @Override
    public ModelSpec spec() {
      return inner.spec();
    }

    @Override
    public TrainingResult train(Model start, Dataset data, int[] examples, long seed) {
      TrainingResult r = inner.train(start, data, examples, seed);
      calls.incrementAndGet();
      return r;
    }
  }

  /** Holds the evaluation of round 1 until released; records the order of evaluations. */
  private record GatedEvaluator(Evaluator inner, CountDownLatch release, List<Integer> order) implements Evaluator {
    @Override
    public Evaluation evaluate(Model model) {
      if (order.isEmpty()) {
        TestModels.awaitOpened(release, "round 1's evaluation was never released");
      }
      order.add(order.size() + 1);
      return inner.evaluate(model);
    }
  }

  /** A run of 3 rounds; its checkpointer records the rounds it saves, and fails to save round {@code unsavable} (0: none). */
  private List<Server.Event> run(boolean alongside, AtomicInteger trained, CountDownLatch release, List<Integer> evaluated,
                                 List<Integer> checkpointed, int unsavable, String name) throws Exception {
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(3).clientsPerRound(CLIENTS)
        .roundTimeout(Duration.ofSeconds(60)).minCompleted(CLIENTS).seed(5).minClients(CLIENTS).dataSignature(SIGNATURE)
        .evaluateAlongside(alongside).build();
    Evaluator evaluator = new GatedEvaluator(Evaluator.of(TestModels.mlp(), TestModels.dataset()), release, evaluated);
    Server.Checkpointer checkpointer = (Checkpoint c) -> {
      if (c.round() == unsavable) {
        throw new java.io.IOException("no space left on device");
      }
      checkpointed.add(c.round());
    };
    TestProbe<Server.Event> events = TestModels.startFedAvg(testKit, name, settings, evaluator, checkpointer,
        new CountingTrainer(TestModels.trainer(), trained), CLIENTS, SIGNATURE);
    List<Server.Event> seen = new ArrayList<>();
    if (alongside) {
      // Round 1 is aggregated and held in evaluation; round 2's clients train meanwhile.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (trained.get() < 2 * CLIENTS && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(2 * CLIENTS, trained.get(), "round 2 trained while round 1 was being evaluated");
      events.expectNoMessage(Duration.ofMillis(300));
      assertTrue(checkpointed.isEmpty(), "no checkpoint before its round's metrics are complete");
      // Training runs at most one round ahead: round 3 waits for round 1's evaluation.
      assertEquals(2 * CLIENTS, trained.get(), "round 3 started before round 1 was evaluated");
    }
    release.countDown();
    for (int r = 0; r < 3; r++) {
      seen.add(events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(60)));
    }
    seen.add(events.expectMessageClass(Server.Event.class, Duration.ofSeconds(60)));
    return seen;
  }

  /**
   * A server whose last round is aggregated while an earlier round is still being evaluated waits
   * for the evaluations and nothing else: the earlier round's result does not put it back to work,
   * where it would take registrations, or run the last round again once its aggregator is lost.
   */
  @Test
  void aServerFinishingAfterItsLastRoundTakesOnlyEvaluationsUntilTheLastIsIn() throws Exception {
    List<CountDownLatch> gates = List.of(new CountDownLatch(1), new CountDownLatch(1));
    AtomicInteger calls = new AtomicInteger();
    Evaluator inner = Evaluator.of(TestModels.mlp(), TestModels.dataset());
    Evaluator gated = model -> {
      TestModels.awaitOpened(gates.get(calls.getAndIncrement()), "an evaluation was never released");
      return inner.evaluate(model);
    };
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(2).clientsPerRound(CLIENTS)
        .roundTimeout(Duration.ofSeconds(60)).minCompleted(CLIENTS).seed(5).minClients(CLIENTS).dataSignature(SIGNATURE)
        .evaluateAlongside(true).build();
    // Round 1's evaluation is held: round 2 trains and is aggregated, the last, with two evaluations to come.
    TestModels.Started federation = TestModels.expectServerDebug(testKit, "fedavg: finishing once 2 evaluations are in",
        () -> TestModels.startFederation(testKit, "finishing", settings, gated, c -> { }, TestModels.trainer(), CLIENTS, SIGNATURE,
            i -> new io.csfl.strategy.FedAvg().newClient()));
    TestProbe<Server.Event> events = federation.events();
    gates.get(0).countDown();
    assertEquals(1, events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(60)).metrics().round());
    // Round 2 is still being evaluated. A server back at work would ask this client for its handshake.
    TestProbe<Client.Command> late = testKit.createTestProbe();
    federation.server().tell(new Server.RegisterClient(Client.id(CLIENTS), late.getRef()));
    late.expectNoMessage(Duration.ofMillis(500));
    gates.get(1).countDown();
    assertEquals(2, events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(60)).metrics().round());
    assertEquals(List.of(1, 2), ((Server.Finished) events.expectMessageClass(Server.Finished.class, Duration.ofSeconds(60))).rounds()
        .stream().map(m -> m.round()).toList());
  }

  /**
   * A round whose evaluation fails after the next round is aggregated ends the run aborted once
   * that next round's evaluation is in too: the later round is not published, and the server does
   * not fail on it (its checkpoint would have a gap where the failed round is).
   */
  @Test
  void anEvaluationThatFailsWhileTheLastRoundIsEvaluatedEndsTheRunAborted() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    Evaluator inner = Evaluator.of(TestModels.mlp(), TestModels.dataset());
    Evaluator failingFirst = model -> {
      if (calls.incrementAndGet() > 1) {
        return inner.evaluate(model);
      }
      TestModels.awaitOpened(gate, "round 1's evaluation was never released");
      throw new IllegalStateException("the evaluation data set went away");
    };
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(2).clientsPerRound(CLIENTS)
        .roundTimeout(Duration.ofSeconds(60)).minCompleted(CLIENTS).seed(5).minClients(CLIENTS).dataSignature(SIGNATURE)
        .evaluateAlongside(true).build();
    List<Integer> checkpointed = new CopyOnWriteArrayList<>();
    // Round 1's evaluation is held: round 2, the last, is aggregated with two evaluations to come.
    TestModels.Started federation = TestModels.expectServerDebug(testKit, "fedavg: finishing once 2 evaluations are in",
        () -> TestModels.startFederation(testKit, "failing-before-last", settings, failingFirst, c -> checkpointed.add(c.round()),
            TestModels.trainer(), CLIENTS, SIGNATURE, i -> new io.csfl.strategy.FedAvg().newClient()));
    gate.countDown();
    Server.Aborted aborted = federation.events().expectMessageClass(Server.Aborted.class, Duration.ofSeconds(60));
    assertEquals(1, aborted.round());
    assertTrue(aborted.reason().contains("evaluating round 1 failed"), aborted.reason());
    federation.events().expectNoMessage(Duration.ofMillis(300));
    assertEquals(List.of(), checkpointed);
    assertEquals(2, calls.get(), "round 2 was evaluated too before the run ended");
  }

  @Test
  void theNextRoundTrainsWhileARoundIsEvaluatedAndEverythingStillComesInOrder() throws Exception {
    List<Integer> checkpointed = new CopyOnWriteArrayList<>();
    List<Integer> evaluated = new CopyOnWriteArrayList<>();
    List<Server.Event> alongside = run(true, new AtomicInteger(), new CountDownLatch(1), evaluated, checkpointed, 0, "alongside");
    assertEquals(List.of(1, 2, 3), rounds(alongside));
    assertEquals(List.of(1, 2, 3), checkpointed);
    assertEquals(3, ((Server.Finished) alongside.get(3)).rounds().size());

    // The same run evaluating before each next round gives the same accuracies and losses.
    List<Server.Event> inTurn = run(false, new AtomicInteger(), new CountDownLatch(0), new CopyOnWriteArrayList<>(),
        new CopyOnWriteArrayList<>(), 0, "in-turn");
    for (int r = 0; r < 3; r++) {
      Server.RoundCompleted a = (Server.RoundCompleted) alongside.get(r);
      Server.RoundCompleted b = (Server.RoundCompleted) inTurn.get(r);
      assertEquals(b.metrics().accuracy(), a.metrics().accuracy(), "round " + (r + 1));
      assertEquals(b.metrics().loss(), a.metrics().loss(), "round " + (r + 1));
    }
  }

  @Test
  void aRunWhoseLastRoundCannotBeSavedEndsAbortedWhileEarlierFailuresOnlyCostTheirCheckpoint() throws Exception {
    // Round 2's save fails: logged, and training goes on. Round 3's fails: the run's result was
    // not saved, so it is aborted, in both ways of evaluating.
    for (boolean alongside : new boolean[] {false, true}) {
      List<Integer> checkpointed = new CopyOnWriteArrayList<>();
      List<Server.Event> unsavedEarlier = run(alongside, new AtomicInteger(), new CountDownLatch(alongside ? 1 : 0), new CopyOnWriteArrayList<>(),
          checkpointed, 2, "unsaved-2-" + alongside);
      assertEquals(List.of(1, 3), checkpointed);
      assertInstanceOf(Server.Finished.class, unsavedEarlier.get(3));

      checkpointed.clear();
      List<Server.Event> unsavedLast = run(alongside, new AtomicInteger(), new CountDownLatch(alongside ? 1 : 0), new CopyOnWriteArrayList<>(),
          checkpointed, 3, "unsaved-3-" + alongside);
      assertEquals(List.of(1, 2, 3), rounds(unsavedLast), "every round's metrics are still published");
      assertEquals(List.of(1, 2), checkpointed);
      Server.Aborted aborted = assertInstanceOf(Server.Aborted.class, unsavedLast.get(3));
      assertEquals(3, aborted.round());
      assertTrue(aborted.reason().contains("the last round could not be saved") && aborted.reason().contains("no space left"),
          aborted.reason());
    }
  }

  private static List<Integer> rounds(List<Server.Event> events) {
    return events.stream().filter(e -> e instanceof Server.RoundCompleted).map(e -> ((Server.RoundCompleted) e).metrics().round())
        .toList();
  }

  /** Fails on the model of round {@code failing} as {@code failure} does (throws, or returns what it returns), counting calls. */
  private record FailingEvaluator(Evaluator inner, int failing, AtomicInteger calls, Supplier<Evaluation> failure) implements Evaluator {
    @Override
    public Evaluation evaluate(Model model) {
      if (calls.incrementAndGet() == failing) {
        return failure.get();
      }
      return inner.evaluate(model);
    }
  }

  @Test
  void anEvaluatorThatThrowsEndsTheRunAbortedWithItsCauseInBothWaysOfEvaluating() throws Exception {
    abortsOnAFailedEvaluation("throwing", () -> {
      throw new IllegalStateException("the evaluation data set went away");
    }, "the evaluation data set went away");
  }

  /**
   * An application's evaluator that returns nothing, reports its accuracy in percent, or fails an
   * assert (on under test runners) ends the run as one that throws does: the listener hears why,
   * instead of waiting for an end that never comes.
   */
  @Test
  void anEvaluatorThatReturnsNothingOrAnInvalidAccuracyOrFailsAnAssertEndsTheRunAborted() throws Exception {
    abortsOnAFailedEvaluation("null", () -> null, "the evaluator returned no evaluation");
    abortsOnAFailedEvaluation("percent", () -> new Evaluation(87.5, 0.4, 10), "accuracy must be a fraction in [0, 1], got 87.5");
    abortsOnAFailedEvaluation("assert", () -> {
      throw new AssertionError("expected 10 classes");
    }, "java.lang.AssertionError: expected 10 classes");
  }

  private void abortsOnAFailedEvaluation(String kind, Supplier<Evaluation> failure, String cause) throws Exception {
    for (boolean alongside : new boolean[] {true, false}) {
      String name = kind + (alongside ? "-failing-alongside" : "-failing-in-turn");
      Server.Settings settings = Server.Settings.builder("fedavg").rounds(3).clientsPerRound(CLIENTS)
          .roundTimeout(Duration.ofSeconds(60)).minCompleted(CLIENTS).seed(5).minClients(CLIENTS).dataSignature(SIGNATURE)
          .evaluateAlongside(alongside).build();
      List<Integer> checkpointed = new CopyOnWriteArrayList<>();
      Evaluator evaluator = new FailingEvaluator(Evaluator.of(TestModels.mlp(), TestModels.dataset()), 2, new AtomicInteger(), failure);
      TestProbe<Server.Event> events = TestModels.startFedAvg(testKit, name, settings, evaluator, c -> checkpointed.add(c.round()),
          TestModels.trainer(), CLIENTS, SIGNATURE);
      assertEquals(1, events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(60)).metrics().round(), name);
      Server.Aborted aborted = events.expectMessageClass(Server.Aborted.class, Duration.ofSeconds(60));
      assertEquals(2, aborted.round(), name);
      assertTrue(aborted.reason().contains("evaluating round 2 failed") && aborted.reason().contains(cause), aborted.reason());
      events.expectNoMessage(Duration.ofMillis(300));
      assertEquals(List.of(1), checkpointed, name + ": only the rounds published are checkpointed");
    }
  }
}
