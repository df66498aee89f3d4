package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.typesafe.config.ConfigFactory;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Payloads;
import io.csfl.strategy.Pruner;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A pruner is the embedder's code. One that throws, returns nothing or returns masks of another
 * model costs its round the pruning, within the round: the aggregator ships the candidate
 * unpruned, as a pruner that keeps every weight would have it.
 */
class PrunerFailureTest {
  static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString("akka.actor.serialize-messages = on")
      .withFallback(ConfigFactory.load()));
  /** Far below the five minutes the aggregator gives a pruner that does not answer. */
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final long TOKEN = 0x9E1L;

  @AfterAll
  static void cleanup() {
    kit.shutdownTestKit();
  }

  /** The global model after CS's first round on one client's update, pruned by {@code pruner}. */
  private static Model roundOne(Pruner pruner) {
    Model initial = TestModels.mlp().initialModel(1);
    ActorRef<Aggregator.Command> aggregator = kit.spawn(
        Aggregator.create(new ComplementSparsification(CsOptions.defaults()).newServer(initial, 3), pruner));
    TestProbe<Aggregator.Reply> replies = kit.createTestProbe();
    aggregator.tell(new Aggregator.PrepareRound(1, TOKEN, TestModels.sessionOf(aggregator, replies), List.of(), replies.getRef()));
    long key = replies.expectMessageClass(Aggregator.RoundPrepared.class, WAIT).key();
    aggregator.tell(new Aggregator.Fold(1, key, "client-0000", 10, Payloads.dense(TestModels.mlp().initialModel(2))));
    aggregator.tell(new Aggregator.CloseRound(1, key, 1, replies.getRef()));
    Aggregator.RoundAggregated done = replies.expectMessageClass(Aggregator.RoundAggregated.class, WAIT);
    assertEquals(1, done.accepted());
    return done.global();
  }

  /** Keeps every weight: the model it gives is the round's candidate, unpruned. */
  private static final Pruner KEEP_ALL = (model, sparsity) -> new MagnitudePruner().masks(model, 0.0);

  static Stream<Arguments> brokenPruners() {
    return Stream.of(
        Arguments.of("throws", (Pruner) (model, sparsity) -> {
          throw new IllegalStateException("no masks today");
        }),
        Arguments.of("returns null", (Pruner) (model, sparsity) -> null),
        Arguments.of("returns another model's masks", (Pruner) (model, sparsity) -> MaskSet.of(new Mask[] {null})));
  }

  @ParameterizedTest(name = "a pruner that {0}")
  @MethodSource("brokenPruners")
  void aPrunerThatFailsLeavesItsRoundUnprunedAndTheAggregatorWorking(String what, Pruner broken) {
    assertEquals(roundOne(KEEP_ALL), roundOne(broken));
  }

  @Test
  void theWorkingPrunerPrunesTheSameRound() {
    assertNotEquals(roundOne(KEEP_ALL), roundOne(new MagnitudePruner()), "the round above is one that prunes");
  }
}
