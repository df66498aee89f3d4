package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.Checkpoints;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.Strategies;
import io.csfl.strategy.StrategyParams;
import io.csfl.tensor.Model;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that embeds the actors checkpoints a run with {@link Checkpoints} and, after a
 * restart of everything (new ActorSystem, new clients holding nothing), continues it from
 * {@link Checkpoints#latest} with {@link Checkpoint#withoutHeld()}: as docs/embedding.md shows.
 * The continued run's rounds are those of a run never interrupted, to the bit, and no client fails
 * for want of the model a difference would need.
 */
class EmbeddedResumeTest {
  private static final int ROUNDS = 4;
  private static final int CLIENTS = 3;

  @TempDir
  Path dir;

  /** Rounds up to {@code until} of cs on the mlp in a new ActorSystem, checkpointed into {@code store}, continuing from {@code from}. */
  private static List<RoundMetrics> run(String name, int until, Checkpoints store, Optional<Checkpoint> from) {
    ActorTestKit kit = TestModels.serializingTestKit();
    try {
      FederatedStrategy cs = Strategies.byName("cs", StrategyParams.defaults());
      Model initial = TestModels.mlp().initialModel(3);
      ActorRef<Aggregator.Command> aggregator = kit.spawn(Aggregator.create(cs.newServer(initial, ROUNDS), cs.pruner()), "aggregator");
      Server.Settings settings = Server.Settings.builder(cs.name()).rounds(until).clientsPerRound(2).minCompleted(2)
          .roundTimeout(Duration.ofSeconds(60)).seed(11).build();
      TestProbe<Server.Event> events = kit.createTestProbe();
      ActorRef<Server.Command> server = kit.spawn(Server.create(settings, aggregator, Evaluator.of(TestModels.mlp(), TestModels.dataset()),
          events.getRef(), from, store::save), "server");
      for (int i = 0; i < CLIENTS; i++) {
        String id = Client.id(i);
        server.tell(new Server.RegisterClient(id, kit.spawn(Client.create(id, cs.newClient(), TestModels.trainer(), TestModels.dataset(),
            new int[] {4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3}, i), id)));
      }
      // No client fails a round, as one would that is sent a difference from a model it does not hold.
      return LoggingTestKit.warn("failed to train").withOccurrences(0).expect(kit.system(), () -> {
        server.tell(new Server.Start());
        Server.Event end;
        do {
          end = events.receiveMessage(Duration.ofSeconds(120));
        } while (end instanceof Server.RoundCompleted);
        return org.junit.jupiter.api.Assertions.assertInstanceOf(Server.Finished.class, end, name).rounds();
      });
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aRunContinuedInANewActorSystemMatchesOneNeverInterrupted() {
    List<RoundMetrics> whole = run("whole", ROUNDS, new Checkpoints(dir.resolve("whole"), 3), Optional.empty());

    Checkpoints store = new Checkpoints(dir.resolve("interrupted"), 3);
    run("first-half", 2, store, Optional.empty());
    Optional<Checkpoint> from = store.latest("cs", TestModels.mlp().spec(), warning -> {
      throw new AssertionError(warning);
    }).map(Checkpoint::withoutHeld);
    assertEquals(2, from.orElseThrow().round());
    List<RoundMetrics> continued = run("second-half", ROUNDS, store, from);

    assertEquals(ROUNDS, continued.size());
    for (int r = 0; r < ROUNDS; r++) {
      assertEquals(whole.get(r).accuracy(), continued.get(r).accuracy(), "round " + (r + 1));
      // Rounds 1 and 2 come back from the checkpoint, whose metrics rows keep 6 significant digits.
      assertEquals(whole.get(r).loss(), continued.get(r).loss(), r < 2 ? 1e-5 * whole.get(r).loss() : 0, "round " + (r + 1));
      assertEquals(2, continued.get(r).clientsCompleted(), "round " + (r + 1));
    }
  }
}
