package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.csfl.nn.LocalTrainer;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.Payloads;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Orders that queue up while a client trains are not all trained: only the newest. An older one
 * belongs to an attempt or round that is over (its collector gave up or the server moved on), and
 * training it would delay the one that counts, as a busy node's clients fell further behind with
 * every retry.
 */
class StaleOrdersTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  static final ActorTestKit testKit = TestModels.serializingTestKit();

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  @Test
  void ofTheOrdersQueuedWhileAClientTrainsOnlyTheNewestIsTrained() {
    CountDownLatch firstBegan = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger trainings = new AtomicInteger();
    LocalTrainer heldFirst = TestModels.beforeEachTraining(TestModels.trainer(), training -> {
      trainings.set(training);
      if (training == 1) {
        firstBegan.countDown();
        TestModels.awaitOpened(release, "the first training was never released");
      }
    });
    ActorRef<Client.Command> client = testKit.spawn(Client.create(Client.id(0), "random/64 stale", new FedAvg().newClient(),
        heldFirst, TestModels.dataset(), new int[] {0, 1, 2, 3}, 0), Client.id(0), Client.DISPATCHER);
    Model initial = TestModels.mlp().initialModel(1);
    TestProbe<Client.Reply> first = testKit.createTestProbe();
    TestProbe<Client.Reply> givenUp = testKit.createTestProbe();
    TestProbe<Client.Reply> retry = testKit.createTestProbe();

    client.tell(new Client.TrainRound(1, Payloads.dense(initial), 11, first.getRef()));
    TestModels.awaitOpened(firstBegan, "the first order's training never began");
    // While it trains: round 2's first attempt, then its retry (the first attempt given up).
    client.tell(new Client.TrainRound(2, Payloads.dense(initial), 21, givenUp.getRef()));
    client.tell(new Client.TrainRound(2, Payloads.dense(initial), 22, retry.getRef()));
    release.countDown();

    assertEquals(11L, first.expectMessageClass(Client.Trained.class, WAIT).secret());
    assertEquals(22L, retry.expectMessageClass(Client.Trained.class, WAIT).secret());
    givenUp.expectNoMessage(Duration.ofMillis(500));
    assertEquals(2, trainings.get(), "the given-up attempt's order was not trained");
  }
}
