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
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
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
 * STC's and CS's downlinks depend on what each client holds: the server tracks it, the aggregator
 * prepares one payload per held model, and each client gets its own. A client that lost its model
 * refuses a difference, and is sent the whole model in the same round.
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
  void eachStcClientGetsTheDifferenceFromTheModelItHolds() {
    assertEachClientGetsADifference(new SparseTernaryCompression(0.01), 2);
  }

  /** CS patches start in round 3: round 2's model is the first sparse one, and a patch from the dense initial model would say everything. */
  @Test
  void eachCsClientGetsAPatchOfTheModelItHolds() {
    assertEachClientGetsADifference(new ComplementSparsification(CsOptions.defaults()), 3);
  }

  /**
   * Two clients, both selected every round; the second loses its model when round {@code first + 1}
   * begins, where {@code first} is the first round whose downlinks are differences.
   */
  private static void assertEachClientGetsADifference(FederatedStrategy strategy, int first) {
    int total = first + 3;
    Model initial = TestModels.mlp().initialModel(2);
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(Aggregator.create(strategy.newServer(initial, total), new MagnitudePruner()));
    TestProbe<Server.Event> events = testKit.createTestProbe();
    Server.Settings settings = Server.Settings.builder(strategy.name()).rounds(total).clientsPerRound(2)
        .roundTimeout(Duration.ofSeconds(20)).maxAttempts(2).seed(3).build();
    ActorRef<Server.Command> server = testKit.spawn(Server.create(settings, aggregator,
        Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    List<ClientAlgorithm> algorithms = List.of(strategy.newClient(), new Forgetful(strategy, first + 1));
    for (int i = 0; i < algorithms.size(); i++) {
      ActorRef<Client.Command> client = testKit.spawn(Client.create("client-" + i, algorithms.get(i), TestModels.trainer(),
          TestModels.dataset(), new int[] {8 * i, 8 * i + 1, 8 * i + 2, 8 * i + 3}, i));
      server.tell(new Server.RegisterClient("client-" + i, client));
    }
    server.tell(new Server.Start());

    List<RoundMetrics> rounds = new ArrayList<>();
    rounds.add(null); // rounds.get(r) is round r
    for (int r = 1; r <= total; r++) {
      rounds.add(events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(60)).metrics());
    }
    for (int r = 1; r <= total; r++) {
      assertEquals(2, rounds.get(r).clientsCompleted(), "round " + r + ": the client that lost its model trains on the whole one");
    }
    // Round 1 is dense for both strategies.
    long dense = rounds.get(1).bytesDown() / 2;
    // What a client that holds nothing gets: STC's dense model, CS's sparse one.
    long whole = dense * (strategy instanceof SparseTernaryCompression ? 10 : 5) / 10;
    assertTrue(rounds.get(first).bytesDown() < dense / 10, "round " + first + " sent " + rounds.get(first).bytesDown() + " bytes; a dense model is " + dense);
    long mixed = rounds.get(first + 1).bytesDown();
    assertTrue(mixed > whole && mixed < whole + dense / 10, "round " + (first + 1) + " sent " + mixed
        + " bytes (two differences, then the whole model to the client that could not use its difference); a whole model is about " + whole);
    // From then on both clients hold the same model again, and get differences.
    for (int r = first + 2; r <= total; r++) {
      assertTrue(rounds.get(r).bytesDown() < dense / 10, "round " + r + " sent " + rounds.get(r).bytesDown() + " bytes");
    }
  }
}
