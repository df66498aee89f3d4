package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.TensorFile;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Evaluator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A server node restarted with --resume after the run's last round was checkpointed "just finishes
 * again" (cluster.md). Its clients may be gone by then: they left with the run's end. Found by
 * kill -9 of a server node and a restart with --resume after the run had ended: the node waited
 * for --min-clients registrations that never came, silently, for as long as it was left running.
 */
class ResumedCompleteRunTest {
  private static final ActorTestKit testKit = TestModels.serializingTestKit();

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  @Test
  void aServerResumedAfterTheLastRoundFinishesWithoutWaitingForClients() {
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(2).clientsPerRound(2).minCompleted(2).minClients(2)
        .clients(2).roundTimeout(Duration.ofSeconds(60)).aggregatorGrace(Duration.ofSeconds(60))
        .clientGrace(Duration.ofSeconds(60)).build();
    List<RoundMetrics> rows = List.of(new RoundMetrics("fedavg", 1, 0.5, 1.0, 10, 10, 2, 2, 1, 1, 1, 1),
        new RoundMetrics("fedavg", 2, 0.6, 0.9, 10, 10, 2, 2, 1, 1, 1, 1));
    Checkpoint last = new Checkpoint("fedavg", 2, rows, Map.of(), TestModels.mlp().initialModel(1), TensorFile.EMPTY);
    TestProbe<Server.Event> events = testKit.createTestProbe();
    Evaluator evaluator = model -> new io.csfl.nn.Evaluation(0.5, 1.0, 1);
    testKit.spawn(Server.createDiscovering(settings, evaluator, events.getRef(), Server.Checkpointer.NONE, () -> Optional.of(last)));
    // No aggregator and no client registers: the run is over, and says so.
    Server.Finished finished = events.expectMessageClass(Server.Finished.class, Duration.ofSeconds(30));
    assertEquals(rows, finished.rounds());
  }
}
