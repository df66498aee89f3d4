package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Server;
import io.csfl.actor.TestClusters;
import io.csfl.checkpoint.Checkpoints;
import io.csfl.data.Dataset;
import io.csfl.data.FashionMnist;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FederatedStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server failover and the end of a run on a real cluster of ActorSystems in this JVM (port 0,
 * every message serialized, Fashion-MNIST): the server's node dies mid-run and a second
 * server-capable node continues after the last checkpoint they share; and the end of a run,
 * finished or aborted, stops the aggregator and client nodes too, with the run's exit code.
 */
class ServerFailoverTest {
  private static final Architecture MLP = Architecture.mlp();
  private static final String SIGNATURE = "fashion-mnist clients=4 test";
  private static FashionMnist.Splits data;
  private final List<ActorSystem<?>> systems = new ArrayList<>();
  private final FederatedStrategy cs = new ComplementSparsification(CsOptions.defaults());

  @TempDir
  Path out;

  @BeforeAll
  static void load() {
    data = FashionMnist.loadFrom(io.csfl.data.RepositoryData.fashionMnistDir());
  }

  @AfterEach
  void stopAll() {
    systems.forEach(ActorSystem::terminate);
  }

  private ActorSystem<Void> start(NodePlan plan, ActorSystem<?> joinTo, Config extra) {
    ActorSystem<Void> system = ActorSystem.create(NodeGuardian.create(plan), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", 0, plan.roles(), List.of(), extra.withFallback(ChurnTest.NODE_CONFIG)));
    systems.add(system);
    Cluster.get(system).manager().tell(Join.create(joinTo == null ? system.address() : joinTo.address()));
    return system;
  }

  private ActorSystem<Void> start(NodePlan plan, ActorSystem<?> joinTo) {
    return start(plan, joinTo, ConfigFactory.empty());
  }

  /** A server part that checkpoints into, and continues from, this test's shared directory. */
  private NodePlan.ServerPart serverPart(Server.Settings settings, CompletableFuture<List<RoundMetrics>> done) {
    Checkpoints store = new Checkpoints(out.resolve("checkpoints"), 3);
    return new NodePlan.ServerPart(settings, Evaluator.of(MLP, data.test().head(500)), out.resolve("metrics.csv"), done::complete,
        store::save, () -> store.latest(settings.algorithm(), MLP.spec(), System.err::println));
  }

  private NodePlan serverNode(Server.Settings settings, CompletableFuture<List<RoundMetrics>> done, boolean exitWhenDone) {
    return new NodePlan(Set.of(NodePlan.SERVER), Optional.empty(), Optional.empty(), Optional.of(serverPart(settings, done)),
        exitWhenDone);
  }

  private NodePlan aggregatorNode(int rounds, boolean exitWhenDone) {
    return new NodePlan(Set.of(NodePlan.AGGREGATOR), Optional.of(new NodePlan.AggregatorPart(cs, MLP.initialModel(1), rounds)),
        Optional.empty(), Optional.empty(), exitWhenDone);
  }

  private NodePlan clientNode(int from, int to, long sleepMillis, boolean exitWhenDone) {
    return clientNode(from, to, new ChurnTest.TestTrainer(sleepMillis, false), exitWhenDone);
  }

  private NodePlan clientNode(int from, int to, ChurnTest.TestTrainer trainer, boolean exitWhenDone) {
    NodePlan p = ChurnTest.clientPlan(cs, data.train(), SIGNATURE, trainer, from, to);
    return new NodePlan(p.roles(), p.aggregator(), p.clients(), p.server(), exitWhenDone);
  }

  private int rowsWritten() {
    Path csv = out.resolve("metrics.csv");
    return Files.exists(csv) ? MetricsCsv.read(csv).size() : 0;
  }

  @Test
  void aServerThatTakesOverContinuesAfterTheLastCommittedRound() throws Exception {
    int rounds = 6;
    Server.Settings settings = Server.Settings.builder("cs").rounds(rounds).clientsPerRound(100)
        .roundTimeout(Duration.ofSeconds(60)).minClients(4).dataSignature(SIGNATURE).build();
    CompletableFuture<List<RoundMetrics>> first = new CompletableFuture<>();
    CompletableFuture<List<RoundMetrics>> second = new CompletableFuture<>();
    // The first server's node dies without leaving: no coordinated shutdown, so the others must detect it.
    ActorSystem<Void> server1 = start(serverNode(settings, first, false), null,
        ConfigFactory.parseString("akka.coordinated-shutdown.run-by-actor-system-terminate = off"));
    start(serverNode(settings, second, false), server1);
    start(aggregatorNode(rounds, false), server1);
    // The four clients train rounds 1 and 2 (8 trainings), then wait for the kill: the run cannot
    // end under the first server, however long membership takes to settle.
    ChurnTest.TestTrainer trainer = new ChurnTest.TestTrainer(300, false, 8);
    start(clientNode(0, 3, trainer, false), server1);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    // Two rounds in, and every node sees all four members up: the split-brain resolver counts
    // only members that are up, and a kill while the others still joined (training does not wait
    // for that) left it one member, the lost one, and it downed the rest.
    while (rowsWritten() < 2 || !systems.stream().allMatch(s -> TestClusters.upMembers(s) == 4)) {
      assertTrue(System.nanoTime() < deadline, "two rounds, and all four nodes up, within 120 s");
      Thread.sleep(50);
    }
    assertEquals(2, rowsWritten(), "round 3 waits for the kill");
    server1.terminate();
    trainer.gate.countDown();
    systems.remove(server1);
    server1.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);

    List<RoundMetrics> done = second.get(240, TimeUnit.SECONDS);
    assertEquals(rounds, done.size(), "the second server reports the whole run");
    List<RoundMetrics> rows = MetricsCsv.read(out.resolve("metrics.csv"));
    assertEquals(IntStream.rangeClosed(1, rounds).boxed().toList(), rows.stream().map(RoundMetrics::round).toList(),
        "metrics.csv holds every round once, in order");
    assertTrue(rows.stream().allMatch(m -> m.clientsCompleted() >= 1), "every round aggregated updates: " + rows);
    assertTrue(!first.isDone(), "the first server never finished");
    assertTrue(Files.exists(out.resolve("checkpoints").resolve(String.format("cs-round-%06d.safetensors", rounds))));
  }

  @Test
  void theEndOfAFinishedRunStopsEveryNodeWithCodeZero() throws Exception {
    int rounds = 2;
    Server.Settings settings = Server.Settings.builder("cs").rounds(rounds).clientsPerRound(100)
        .roundTimeout(Duration.ofSeconds(60)).minClients(2).dataSignature(SIGNATURE).build();
    CompletableFuture<List<RoundMetrics>> done = new CompletableFuture<>();
    ActorSystem<Void> server = start(serverNode(settings, done, true), null);
    ActorSystem<Void> aggregator = start(aggregatorNode(rounds, true), server);
    ActorSystem<Void> clients = start(clientNode(0, 1, 0, true), server);
    for (ActorSystem<?> node : List.of(server, aggregator, clients)) {
      node.getWhenTerminated().toCompletableFuture().get(180, TimeUnit.SECONDS);
      assertEquals(0, NodeLifetime.exitCode(node), node.address() + " exits 0");
    }
    assertEquals(rounds, done.get().size());
  }

  @Test
  void theEndOfAnAbortedRunStopsEveryNodeWithCodeThree() throws Exception {
    // Two updates needed, one client registered: the client grace runs out in round 1.
    Server.Settings settings = Server.Settings.builder("cs").rounds(2).clientsPerRound(100)
        .roundTimeout(Duration.ofSeconds(60)).minCompleted(2).minClients(1).dataSignature(SIGNATURE)
        .aggregatorGrace(Duration.ofMinutes(2)).clientGrace(Duration.ofSeconds(1)).build();
    ActorSystem<Void> server = start(serverNode(settings, new CompletableFuture<>(), true), null);
    ActorSystem<Void> aggregator = start(aggregatorNode(2, true), server);
    ActorSystem<Void> clients = start(clientNode(0, 0, 0, true), server);
    for (ActorSystem<?> node : List.of(server, aggregator, clients)) {
      node.getWhenTerminated().toCompletableFuture().get(180, TimeUnit.SECONDS);
      assertEquals(3, NodeLifetime.exitCode(node), node.address() + " exits 3");
    }
  }
}
