package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.csfl.codec.Payload;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.ClientAlgorithm;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.SparseTernaryCompression;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * STC's downlink depends on what each client holds: the server tracks it, the aggregator prepares
 * one payload per held model, and each client gets its own. A client that lost its model refuses
 * a difference, and gets the dense model the round after.
 */
class PerClientDownlinkTest {
  static final ActorTestKit testKit = TestModels.serializingTestKit();

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  /** A client that loses its state (as after a crash that lost its memory) when round {@code forgetAt} begins. */
  private static final class Forgetful implements ClientAlgorithm {
    private final FederatedStrategy strategy;
    private final int forgetAt;
    private ClientAlgorithm inner;

    Forgetful(FederatedStrategy strategy, int forgetAt) {
      this.strategy = strategy;
      this.forgetAt = forgetAt;
      this.inner = strategy.newClient();
    }

    @Override
    public Model startingModel(int round, Payload downlink, ModelSpec spec) {
      if (round == forgetAt) {
        inner = strategy.newClient();
      }
      return inner.startingModel(round, downlink, spec);
    }

    @Override
    public Payload uplink(Payload downlink, Model start, Model trained) {
      return inner.uplink(downlink, start, trained);
    }
  }

  @Test
  void eachClientGetsTheDifferenceFromTheModelItHolds() {
    FederatedStrategy stc = new SparseTernaryCompression(0.01);
    Model initial = TestModels.mlp().initialModel(2);
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(Aggregator.create(stc.newServer(initial, 5), new MagnitudePruner()));
    TestProbe<Server.Event> events = testKit.createTestProbe();
    Server.Settings settings = new Server.Settings("stc", 5, 2, Duration.ofSeconds(20), 1, 2, 3);
    ActorRef<Server.Command> server = testKit.spawn(Server.create(settings, aggregator,
        new Evaluator(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    List<ClientAlgorithm> algorithms = List.of(stc.newClient(), new Forgetful(stc, 3));
    for (int i = 0; i < algorithms.size(); i++) {
      ActorRef<Client.Command> client = testKit.spawn(Client.create("client-" + i, algorithms.get(i), TestModels.trainer(),
          TestModels.dataset(), new int[] {8 * i, 8 * i + 1, 8 * i + 2, 8 * i + 3}, i));
      server.tell(new Server.RegisterClient("client-" + i, client));
    }
    server.tell(new Server.Start());

    List<RoundMetrics> rounds = new ArrayList<>();
    for (int r = 1; r <= 5; r++) {
      rounds.add(events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(60)).metrics());
    }
    List<Integer> completed = rounds.stream().map(RoundMetrics::clientsCompleted).toList();
    assertEquals(List.of(2, 2, 1, 2, 2), completed, "only the client that lost its model fails, once, in round 3");
    long dense = rounds.get(0).bytesDown() / 2;
    // Round 2: two differences. Round 4: one dense model (for the client that failed) and one difference.
    assertTrue(rounds.get(1).bytesDown() < dense / 10, "round 2 sent " + rounds.get(1).bytesDown() + " bytes; a dense model is " + dense);
    assertTrue(rounds.get(3).bytesDown() > dense && rounds.get(3).bytesDown() < dense * 11 / 10,
        "round 4 sent " + rounds.get(3).bytesDown() + " bytes; a dense model is " + dense);
    assertTrue(rounds.get(4).bytesDown() < dense / 10, "round 5 sent " + rounds.get(4).bytesDown() + " bytes");
  }
}
