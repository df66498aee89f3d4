package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Payloads;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Between nodes a big update travels in chunks and can arrive after the small message that closes
 * its round. The aggregator waits for the updates the close announces, and closes with what it has
 * when the rest does not come within the transfer timeout.
 */
class AggregatorCloseTest {
  /** A transfer timeout no late update in these tests comes near, however busy the machine. */
  static final ActorTestKit testKit = kit("60s");
  /** A transfer timeout for the test in which the announced update never comes. */
  static final ActorTestKit shortTimeout = kit("1s");
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static ActorTestKit kit(String ackTimeout) {
    return TestModels.serializingTestKitWaitingForLogs("csfl.transfer.ack-timeout = " + ackTimeout);
  }

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
    shortTimeout.shutdownTestKit();
  }

  private static final long TOKEN = 0x5EC12E7L;

  /** An aggregator that prepared round 1, and the fold key it sent with the downlink. */
  private record Prepared(ActorRef<Aggregator.Command> aggregator, long key) {}

  private static Prepared preparedAggregator(ActorTestKit kit, Model initial) {
    ActorRef<Aggregator.Command> aggregator = kit.spawn(Aggregator.create(new FedAvg().newServer(initial, 3), new MagnitudePruner()));
    TestProbe<Aggregator.Reply> prepared = kit.createTestProbe();
    aggregator.tell(new Aggregator.PrepareRound(1, TOKEN, TestModels.sessionOf(aggregator, prepared), List.of(), prepared.getRef()));
    return new Prepared(aggregator, prepared.expectMessageClass(Aggregator.RoundPrepared.class, WAIT).key());
  }

  @Test
  void anUpdateThatArrivesAfterTheCloseIsStillAggregated() {
    Model initial = TestModels.mlp().initialModel(1);
    Prepared prepared = preparedAggregator(testKit, initial);
    ActorRef<Aggregator.Command> aggregator = prepared.aggregator();
    TestProbe<Aggregator.Reply> replies = testKit.createTestProbe();

    aggregator.tell(new Aggregator.CloseRound(1, prepared.key(), 1, replies.getRef()));
    replies.expectNoMessage(Duration.ofMillis(300));
    aggregator.tell(new Aggregator.Fold(1, prepared.key(), "late", 10, Payloads.dense(initial)));

    Aggregator.RoundAggregated done = (Aggregator.RoundAggregated) replies.receiveMessage(WAIT);
    assertEquals(1, done.accepted());
  }

  @Test
  void aCloseWaitingForUpdatesThatNeverComeClosesAfterTheTransferTimeout() {
    Model initial = TestModels.mlp().initialModel(1);
    Prepared prepared = preparedAggregator(shortTimeout, initial);
    ActorRef<Aggregator.Command> aggregator = prepared.aggregator();
    TestProbe<Aggregator.Reply> replies = shortTimeout.createTestProbe();

    aggregator.tell(new Aggregator.Fold(1, prepared.key(), "on-time", 10, Payloads.dense(initial)));
    aggregator.tell(new Aggregator.CloseRound(1, prepared.key(), 2, replies.getRef()));

    Aggregator.RoundAggregated done = (Aggregator.RoundAggregated) replies.receiveMessage(WAIT);
    assertEquals(1, done.accepted(), "closed with the one update that came");
  }

  @Test
  void aDiscardedAttemptNamesAtMostTwentyRefusalsAndNoMoreThanItCounts() {
    List<String> twenty = java.util.stream.IntStream.range(0, 20).mapToObj(i -> "client " + i + ": wrong shape").toList();
    assertEquals(20, new Aggregator.AttemptDiscarded(1, TOKEN, 0, 300, twenty, "0 updates accepted").firstRefusals().size());
    List<String> more = new java.util.ArrayList<>(twenty);
    more.add("client 20: wrong shape");
    assertThrows(IllegalArgumentException.class, () -> new Aggregator.AttemptDiscarded(1, TOKEN, 0, 300, more, "x"));
    assertThrows(IllegalArgumentException.class, () -> new Aggregator.AttemptDiscarded(1, TOKEN, 0, 2, twenty, "x"));
    assertThrows(IllegalArgumentException.class, () -> new Aggregator.AttemptDiscarded(1, TOKEN, -1, 0, List.of(), "x"));
  }

  @Test
  void updatesThatMakeNoValidModelAreDiscardedAndTheAggregatorTakesTheRetry() {
    Model initial = TestModels.mlp().initialModel(1);
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(Aggregator.create(new ObservedAlgorithm(new FedAvg().newServer(initial, 3),
        new java.util.concurrent.CopyOnWriteArrayList<>(), new java.util.concurrent.atomic.AtomicInteger(),
        new java.util.concurrent.atomic.AtomicInteger(1)), new MagnitudePruner()));
    TestProbe<Aggregator.Reply> server = testKit.createTestProbe();
    long session = TestModels.sessionOf(aggregator, server);
    aggregator.tell(new Aggregator.PrepareRound(1, TOKEN, session, List.of(), server.getRef()));
    long key = server.expectMessageClass(Aggregator.RoundPrepared.class, WAIT).key();
    aggregator.tell(new Aggregator.Fold(1, key, "client-0001", 10, Payloads.dense(initial)));
    akka.actor.testkit.typed.javadsl.LoggingTestKit.error("round 1: the folded updates do not make a valid model").expect(testKit.system(), () -> {
      aggregator.tell(new Aggregator.CloseRound(1, key, 1, server.getRef()));
      return null;
    });
    // The server hears at once, without a model, and can retry at once.
    Aggregator.AttemptDiscarded discarded = server.expectMessageClass(Aggregator.AttemptDiscarded.class, Duration.ofSeconds(30));
    assertEquals(TOKEN, discarded.token());
    assertEquals(1, discarded.accepted());
    assertTrue(discarded.reason().startsWith("the folded updates do not make a valid model"), discarded.reason());

    // The server's retry of the attempt: the aggregator is alive, and aggregates it.
    aggregator.tell(new Aggregator.PrepareRound(1, TOKEN + 1, session, List.of(), server.getRef()));
    long retry = server.expectMessageClass(Aggregator.RoundPrepared.class, WAIT).key();
    aggregator.tell(new Aggregator.Fold(1, retry, "client-0001", 10, Payloads.dense(initial)));
    aggregator.tell(new Aggregator.CloseRound(1, retry, 1, server.getRef()));
    Aggregator.RoundAggregated done = server.expectMessageClass(Aggregator.RoundAggregated.class, Duration.ofSeconds(30));
    assertEquals(1, done.accepted());
    assertEquals(initial, done.global());
  }
}
