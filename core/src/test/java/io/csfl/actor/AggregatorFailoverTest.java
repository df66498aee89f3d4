package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.receptionist.Receptionist;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
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
    ActorRef<Aggregator.Command> ref = testKit.spawn(
        Aggregator.create(new ObservedAlgorithm(cs.newServer(initial, 4), new CopyOnWriteArrayList<>(), restoredAt),
            new MagnitudePruner()), name);
    testKit.system().receptionist().tell(Receptionist.register(Aggregator.KEY, ref));
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
}
