package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FederatedStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server starts on a node only once it holds its claim on the run's files
 * ({@link NodePlan.ServerPart#claim()}): while another process holds it, the node tries again
 * and writes nothing; the claim is given up when the server stops.
 */
class ServerClaimTest {
  @TempDir
  Path out;

  @Test
  void theServerStartsOnceItsClaimIsFreeAndGivesItUpWhenItStops() throws Exception {
    AtomicBoolean heldElsewhere = new AtomicBoolean(true);
    AtomicInteger tries = new AtomicInteger();
    AtomicInteger given = new AtomicInteger();
    AtomicInteger givenUp = new AtomicInteger();
    Supplier<AutoCloseable> claim = () -> {
      tries.incrementAndGet();
      if (heldElsewhere.get()) {
        throw new IllegalStateException("held by process 4242");
      }
      given.incrementAndGet();
      return givenUp::incrementAndGet;
    };
    CompletableFuture<List<RoundMetrics>> done = new CompletableFuture<>();
    AtomicInteger givenUpAtTheReport = new AtomicInteger(-1);
    // The node's report at the end of the run, which is written into --out: still under the claim.
    // The report waits a second: a claim given up when the server stops, not after the sink's
    // writes, would be given up meanwhile (the server stops at once after its last event).
    java.util.function.Consumer<List<RoundMetrics>> report = rounds -> {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      while (givenUp.get() == 0 && System.nanoTime() < until) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      givenUpAtTheReport.set(givenUp.get());
      done.complete(rounds);
    };
    Path metrics = out.resolve("metrics.csv");
    ActorSystem<Void> node = start(claim, report);
    try {
      RejoinTest.await(() -> tries.get() >= 2, "the server tried its claim again after the first refusal");
      assertFalse(done.isDone(), "no round while the claim is held elsewhere");
      assertFalse(Files.exists(metrics), "nothing written while the claim is held elsewhere");
      assertEquals(0, given.get());

      heldElsewhere.set(false);
      List<RoundMetrics> rounds = done.get(120, TimeUnit.SECONDS);
      assertEquals(1, rounds.size());
      assertEquals(1, given.get(), "claimed once");
      assertEquals(0, givenUpAtTheReport.get(), "the claim is held until the report is written, after the server stopped");
      assertEquals(1, Files.readAllLines(metrics).size() - 1, "the round's row");
      // The server stops once the run has ended.
      RejoinTest.await(() -> givenUp.get() == 1, "the claim is given up when the server stops");
    } finally {
      node.terminate();
      node.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    assertEquals(1, givenUp.get(), "given up once");
    assertEquals(1, given.get(), "not claimed again after the end");
  }

  /**
   * A server waiting for its claim stops when the singleton hands over: the singleton stops it
   * with Akka's poison pill signal, which a waiting server must not keep back (a back-off
   * supervisor stashes it, and the hand-over stalls).
   */
  @Test
  void aServerWaitingForItsClaimStopsWhenTheSingletonHandsOver() {
    akka.actor.testkit.typed.javadsl.ActorTestKit kit = akka.actor.testkit.typed.javadsl.ActorTestKit.create();
    try {
      AtomicInteger tries = new AtomicInteger();
      Server.Settings settings = Server.Settings.builder("cs").rounds(1).clientsPerRound(2).build();
      NodePlan.ServerPart part = new NodePlan.ServerPart(settings, Evaluator.of(Architecture.mlp(), ChurnTest.randomData(8, 1)),
          out.resolve("metrics.csv"), rounds -> { }, Server.Checkpointer.NONE, Optional::empty, () -> {
            tries.incrementAndGet();
            throw new IllegalStateException("held by process 4242");
          });
      akka.actor.testkit.typed.javadsl.TestProbe<Server.Event> sink = kit.createTestProbe();
      // As ClusterSingleton runs it: a poison pill stops it unless its behavior handles the signal.
      akka.actor.typed.ActorRef<Server.Command> server = kit.spawn(akka.actor.typed.javadsl.Behaviors.intercept(
          akka.actor.typed.internal.PoisonPillInterceptor::new,
          NodeGuardian.server(part, new MetricsLog(out.resolve("metrics.csv"), line -> { }), sink.getRef(), new AtomicBoolean())));
      akka.actor.testkit.typed.javadsl.TestProbe<Void> watcher = kit.createTestProbe();
      watcher.awaitAssert(Duration.ofSeconds(30), () -> {
        assertTrue(tries.get() >= 2, "waiting: tried again");
        return null;
      });
      server.unsafeUpcast().tell(akka.actor.typed.internal.PoisonPill$.MODULE$);
      watcher.expectTerminated(server, Duration.ofSeconds(30));
      sink.expectNoMessage(Duration.ofMillis(200));
    } finally {
      kit.shutdownTestKit();
    }
  }

  /**
   * A server that does not start on this node (the run has ended; its claim cannot be made, which
   * aborts the run) stops at once, so that a later hand-over does not wait for it.
   */
  @Test
  void aServerThatDoesNotStartHereStops() {
    akka.actor.testkit.typed.javadsl.ActorTestKit kit = akka.actor.testkit.typed.javadsl.ActorTestKit.create();
    try {
      Server.Settings settings = Server.Settings.builder("cs").rounds(1).clientsPerRound(2).build();
      Evaluator evaluator = Evaluator.of(Architecture.mlp(), ChurnTest.randomData(8, 1));
      MetricsLog log = new MetricsLog(out.resolve("metrics.csv"), line -> { });
      akka.actor.testkit.typed.javadsl.TestProbe<Server.Event> sink = kit.createTestProbe();
      akka.actor.testkit.typed.javadsl.TestProbe<Void> watcher = kit.createTestProbe();

      NodePlan.ServerPart free = new NodePlan.ServerPart(settings, evaluator, out.resolve("metrics.csv"), rounds -> { },
          Server.Checkpointer.NONE, Optional::empty, () -> () -> { });
      akka.actor.typed.ActorRef<Server.Command> afterTheEnd = kit.spawn(NodeGuardian.server(free, log, sink.getRef(), new AtomicBoolean(true)));
      watcher.expectTerminated(afterTheEnd, Duration.ofSeconds(30));

      NodePlan.ServerPart unwritable = new NodePlan.ServerPart(settings, evaluator, out.resolve("metrics.csv"), rounds -> { },
          Server.Checkpointer.NONE, Optional::empty, () -> {
            throw new IllegalArgumentException("--out /nowhere: cannot write the run's files");
          });
      akka.actor.typed.ActorRef<Server.Command> aborted = kit.spawn(NodeGuardian.server(unwritable, log, sink.getRef(), new AtomicBoolean()));
      Server.Aborted abort = sink.expectMessageClass(Server.Aborted.class, Duration.ofSeconds(30));
      assertTrue(abort.reason().contains("cannot write the run's files"), abort.reason());
      watcher.expectTerminated(aborted, Duration.ofSeconds(30));
    } finally {
      kit.shutdownTestKit();
    }
  }

  /** A node with the server, aggregator and client roles (two clients), whose server needs {@code claim}. */
  private ActorSystem<Void> start(Supplier<AutoCloseable> claim, java.util.function.Consumer<List<RoundMetrics>> report) {
    FederatedStrategy cs = new ComplementSparsification(CsOptions.defaults());
    Dataset data = ChurnTest.randomData(64, 1);
    Architecture mlp = Architecture.mlp();
    Server.Settings settings = Server.Settings.builder("cs").rounds(1).clientsPerRound(2)
        .roundTimeout(Duration.ofSeconds(60)).minClients(2).dataSignature(ChurnTest.SIGNATURE).build();
    NodePlan clients = ChurnTest.clientPlan(cs, data, ChurnTest.SIGNATURE, new ChurnTest.TestTrainer(0, false), 0, 1);
    Set<String> roles = new HashSet<>(clients.roles());
    roles.addAll(Set.of(NodePlan.SERVER, NodePlan.AGGREGATOR));
    NodePlan plan = new NodePlan(roles, Optional.of(new NodePlan.AggregatorPart(cs, mlp.initialModel(1), 1)), clients.clients(),
        Optional.of(new NodePlan.ServerPart(settings, Evaluator.of(mlp, data), out.resolve("metrics.csv"), report,
            Server.Checkpointer.NONE, Optional::empty, claim)));
    ActorSystem<Void> node = ActorSystem.create(NodeGuardian.create(plan), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", 0, plan.roles(), List.of(), com.typesafe.config.ConfigFactory.empty()));
    Cluster.get(node).manager().tell(Join.create(node.address()));
    return node;
  }

  /** A claim that fails for another reason than another process's (a directory that cannot be made) ends the run, aborted. */
  @Test
  void aClaimThatCannotBeMadeAbortsTheRun() throws Exception {
    AtomicInteger tries = new AtomicInteger();
    CompletableFuture<List<RoundMetrics>> ended = new CompletableFuture<>();
    ActorSystem<Void> node = start(() -> {
      tries.incrementAndGet();
      throw new IllegalArgumentException("--out /nowhere: cannot write the run's files");
    }, ended::complete);
    try {
      assertEquals(List.of(), ended.get(60, TimeUnit.SECONDS), "the run ends without a round");
      assertEquals(1, tries.get(), "not tried again");
      assertFalse(Files.exists(out.resolve("metrics.csv")));
    } finally {
      node.terminate();
      node.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }
}
