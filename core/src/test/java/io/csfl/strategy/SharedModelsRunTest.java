package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Client;
import io.csfl.actor.ExpectedModel;
import io.csfl.actor.Server;
import io.csfl.data.FashionMnist;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.tensor.Model;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sharing held models between the clients of a node and packing residuals change no result: a
 * short federation on Fashion-MNIST reports the same accuracy, loss and bytes (up to the actor
 * uids a downlink names), round by round,
 * with both on as with both off (each client keeping its own model and a dense residual, as
 * clients did before they were shared).
 */
class SharedModelsRunTest {
  private static final int CLIENTS = 8;
  private static final int PER_ROUND = 3;
  private static final int ROUNDS = 4;
  /**
   * A downlink message names its reply-to actor with the actor's random uid in decimal, which may
   * be up to ten characters longer in one run than in the other.
   */
  private static final int UID_BYTES = 10;
  private static final Architecture MLP = Architecture.mlp();
  private static FashionMnist.Splits data;

  @BeforeAll
  static void load() {
    data = FashionMnist.loadFrom(io.csfl.data.RepositoryData.fashionMnistDir());
  }

  @AfterEach
  void sharingBackOn() {
    HeldModels.NODE.sharing(true);
    Residual.packing(true);
  }

  @Test
  void fedavgCsAndStcGiveTheSameRoundsWithAndWithoutSharing() {
    List<FederatedStrategy> strategies = List.of(new FedAvg(), new ComplementSparsification(CsOptions.defaults()),
        new SparseTernaryCompression(0.01));
    HeldModels.NODE.sharing(false);
    Residual.packing(false);
    List<List<RoundMetrics>> separate = run(strategies);
    HeldModels.NODE.sharing(true);
    Residual.packing(true);
    List<List<RoundMetrics>> shared = run(strategies);
    for (int s = 0; s < strategies.size(); s++) {
      for (int r = 0; r < ROUNDS; r++) {
        RoundMetrics before = separate.get(s).get(r);
        RoundMetrics after = shared.get(s).get(r);
        String where = strategies.get(s).name() + " round " + (r + 1);
        assertEquals(before.accuracy(), after.accuracy(), where);
        assertEquals(before.loss(), after.loss(), where);
        assertEquals(before.bytesDown(), after.bytesDown(), (double) UID_BYTES * PER_ROUND, where);
        assertEquals(before.bytesUp(), after.bytesUp(), where);
        assertEquals(PER_ROUND, after.clientsCompleted(), where);
      }
    }
    // Returning clients were sent differences, so the held models were really used.
    RoundMetrics csLast = shared.get(1).get(ROUNDS - 1);
    assertTrue(csLast.bytesDown() < shared.get(1).get(1).bytesDown(), "cs patched some returning clients");
  }

  /** One federation per strategy, in a fresh ActorSystem of the same name, so actor paths (and bytes) match. */
  private static List<List<RoundMetrics>> run(List<FederatedStrategy> strategies) {
    ActorTestKit kit = ActorTestKit.create("shared-models", ConfigFactory.parseString("akka.actor.serialize-messages = on")
        .withFallback(ConfigFactory.load()));
    try {
      ExpectedModel.register(kit.system(), MLP.spec());
      List<List<RoundMetrics>> out = new ArrayList<>();
      for (FederatedStrategy strategy : strategies) {
        out.add(federate(kit, strategy));
      }
      return out;
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static List<RoundMetrics> federate(ActorTestKit kit, FederatedStrategy strategy) {
    Model initial = MLP.initialModel(7);
    NetworkTrainer trainer = new NetworkTrainer(MLP, new TrainingConfig(1, 16, OptimizerConfig.adam(0.01)));
    ActorRef<Aggregator.Command> aggregator = kit.spawn(Aggregator.create(strategy.newServer(initial, ROUNDS), strategy.pruner()),
        strategy.name() + "-aggregator");
    TestProbe<Server.Event> events = kit.createTestProbe();
    Server.Settings settings = Server.Settings.builder(strategy.name()).rounds(ROUNDS).clientsPerRound(PER_ROUND)
        .roundTimeout(Duration.ofSeconds(120)).minCompleted(PER_ROUND).seed(7).build();
    ActorRef<Server.Command> server = kit.spawn(Server.create(settings, aggregator, Evaluator.of(MLP, data.test()), events.getRef()),
        strategy.name() + "-server");
    List<ActorRef<Client.Command>> clients = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      String id = Client.id(i);
      int[] examples = IntStream.range(40 * i, 40 * i + 40).toArray();
      ActorRef<Client.Command> client = kit.spawn(Client.create(id, strategy.newClient(), trainer, data.train(), examples, i),
          strategy.name() + "-" + id, Client.DISPATCHER);
      clients.add(client);
      server.tell(new Server.RegisterClient(id, client));
    }
    server.tell(new Server.Start());
    List<RoundMetrics> rounds = new ArrayList<>();
    for (int r = 1; r <= ROUNDS; r++) {
      rounds.add(events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(120)).metrics());
    }
    events.expectMessageClass(Server.Finished.class, Duration.ofSeconds(60));
    clients.forEach(kit::stop);
    kit.stop(aggregator);
    return rounds;
  }
}
