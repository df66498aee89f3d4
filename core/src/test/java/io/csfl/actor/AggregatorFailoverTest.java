package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.receptionist.Receptionist;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The aggregator is lost after round 2 and a fresh one (started from the initial model, as on a
 * new node) takes its place: the server resumes it from its last global model, and training
 * finishes all rounds instead of restarting from scratch. The loss happens while round 2 is
 * checkpointed, before round 3 is sampled (each round evaluated before the next starts), so it
 * falls between the same two rounds however fast or slow the machine.
 */
class AggregatorFailoverTest {
  static final ActorTestKit testKit = TestModels.serializingTestKit();
  private static final String SIGNATURE = "random/64 failover";

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  private static ActorRef<Aggregator.Command> aggregator(FederatedStrategy cs, Model initial, AtomicInteger restoredAt, String name) {
    return aggregator(testKit, cs, initial, restoredAt, name);
  }

  private static ActorRef<Aggregator.Command> aggregator(ActorTestKit kit, FederatedStrategy cs, Model initial, AtomicInteger restoredAt,
                                                         String name) {
    ActorRef<Aggregator.Command> ref = kit.spawn(
        Aggregator.create(new ObservedAlgorithm(cs.newServer(initial, 4), new CopyOnWriteArrayList<>(), restoredAt),
            new MagnitudePruner()), name);
    kit.system().receptionist().tell(Receptionist.register(Aggregator.KEY, ref));
    return ref;
  }

  @Test
  void aReplacementAggregatorResumesFromTheServersLastModel() {
    FederatedStrategy cs = new ComplementSparsification(CsOptions.defaults());
    Model initial = TestModels.mlp().initialModel(1);
    AtomicInteger firstRestored = new AtomicInteger(-1);
    AtomicInteger secondRestored = new AtomicInteger(-1);
    ActorRef<Aggregator.Command> first = aggregator(cs, initial, firstRestored, "aggregator-1");
    for (int i = 0; i < 2; i++) {
      ActorRef<Client.Command> client = testKit.spawn(Client.create("client-" + i, SIGNATURE, cs.newClient(), TestModels.trainer(),
          TestModels.dataset(), new int[] {4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3}, i), "client-" + i);
      testKit.system().receptionist().tell(Receptionist.register(Client.KEY, client));
    }
    TestProbe<Server.Event> events = testKit.createTestProbe();
    Server.Settings settings = Server.Settings.builder("cs").rounds(4).clientsPerRound(2)
        .roundTimeout(Duration.ofSeconds(30)).seed(5).minClients(2).dataSignature(SIGNATURE).evaluateAlongside(false).build();
    Server.Checkpointer loseAfterRoundTwo = c -> {
      if (c.round() == 2) {
        aggregator(cs, initial, secondRestored, "aggregator-2");
        testKit.stop(first, Duration.ofSeconds(30));
      }
    };
    testKit.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef(),
        loseAfterRoundTwo));

    events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(30));
    Server.RoundCompleted second = events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(30));
    assertEquals(2, second.metrics().round());

    List<Server.Event> rest = List.of(events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(30)),
        events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(30)),
        events.expectMessageClass(Server.Finished.class, Duration.ofSeconds(30)));
    assertEquals(4, ((Server.Finished) rest.get(2)).rounds().size(), "all rounds done");
    assertEquals(-1, firstRestored.get(), "the first aggregator ran from the start");
    assertEquals(2, secondRestored.get(), "the replacement resumed from the server's model of round 2, not from the start");
  }

  /**
   * The aggregator is lost while round 2's first attempt waits for a client still training: the
   * server gives that attempt up and retries it with a replacement. The given-up attempt's
   * downlinks were sent all the same, so round 2 counts both attempts' bytes and selections. The
   * client's training holds until the server has resumed the replacement for round 2, so the
   * attempt is always given up before its collector could report.
   */
  @Test
  void aRoundCountsTheBytesOfAnAttemptGivenUpWithItsAggregator() {
    // A kit of its own: the other test's clients and aggregators stay listed in its receptionist.
    ActorTestKit kit = TestModels.serializingTestKit();
    try {
      countsBothAttempts(kit);
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static void countsBothAttempts(ActorTestKit testKit) {
    FederatedStrategy fedAvg = new FedAvg();
    Model initial = TestModels.mlp().initialModel(2);
    AtomicInteger unused = new AtomicInteger(-1);
    AtomicInteger replacementRestored = new AtomicInteger(-1);
    ActorRef<Aggregator.Command> first = aggregator(testKit, fedAvg, initial, unused, "aggregator-1");
    LocalTrainer losingTheAggregator = TestModels.beforeEachTraining(TestModels.trainer(), training -> {
      if (training == 3) { // round 2's first training
        aggregator(testKit, fedAvg, initial, replacementRestored, "aggregator-2");
        testKit.stop(first, Duration.ofSeconds(30));
        long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (replacementRestored.get() != 1 && System.nanoTime() < giveUp) {
          LockSupport.parkNanos(1_000_000);
        }
      }
    });
    for (int i = 0; i < 2; i++) {
      ActorRef<Client.Command> client = testKit.spawn(Client.create("client-" + i, SIGNATURE, fedAvg.newClient(),
          losingTheAggregator, TestModels.dataset(), new int[] {4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3}, i), "client-" + i);
      testKit.system().receptionist().tell(Receptionist.register(Client.KEY, client));
    }
    TestProbe<Server.Event> events = testKit.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(2).clientsPerRound(2)
        .roundTimeout(Duration.ofSeconds(30)).seed(5).minClients(2).dataSignature(SIGNATURE).evaluateAlongside(false).build();
    testKit.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef(),
        c -> { }), "server");

    RoundMetrics one = events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(30)).metrics();
    RoundMetrics two = events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(60)).metrics();
    assertEquals(1, replacementRestored.get(), "round 2 ran on the replacement, resumed from round 1's model");
    assertEquals(2, one.clientsSelected());
    assertEquals(4, two.clientsSelected(), "both attempts' selections");
    // Every fedavg downlink is the whole dense model, about the same size each time: two attempts send twice round 1's.
    double ratio = (double) two.bytesDown() / one.bytesDown();
    assertTrue(ratio > 1.8 && ratio < 2.2, "round 2 sent " + two.bytesDown() + " bytes down, round 1 " + one.bytesDown());
  }
}
