package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.typed.ActorSystem;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Client;
import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.nn.TrainingResult;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Churn on a real Akka cluster on loopback, every message serialized: several ActorSystems in
 * this JVM plus one client node in a child JVM that is killed with SIGKILL mid-round (no leave;
 * the failure detector and the split-brain resolver remove it); one client's trainer throws; a
 * new client node joins during training; a node whose data settings differ is refused.
 */
class ChurnTest {
  private static final Architecture MLP = Architecture.mlp();
  static final String SIGNATURE = "random/64 clients=6 partition=iid seed=1";
  private final List<ActorSystem<?>> systems = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  @TempDir
  Path out;

  @AfterEach
  void stopAll() {
    processes.forEach(Process::destroyForcibly);
    systems.forEach(ActorSystem::terminate);
  }

  static Dataset randomData(int n, long seed) {
    Random rng = new Random(seed);
    byte[] pixels = new byte[n * 784];
    rng.nextBytes(pixels);
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) rng.nextInt(10);
    }
    return Dataset.of("random", 28, 28, 10, pixels, labels);
  }

  /** Wraps the real trainer: counts calls, can wait before training, can fail. */
  static class TestTrainer implements LocalTrainer {
    final NetworkTrainer real = new NetworkTrainer(MLP, new TrainingConfig(1, 8, OptimizerConfig.sgd(0.05, 0)));
    final AtomicInteger calls = new AtomicInteger();
    final long sleepMillis;
    final boolean fail;
    /** Calls after the first {@code freeCalls} wait here until the test opens it. */
    final CountDownLatch gate = new CountDownLatch(1);
    final int freeCalls;

    TestTrainer(long sleepMillis, boolean fail) {
      this(sleepMillis, fail, Integer.MAX_VALUE);
    }

    TestTrainer(long sleepMillis, boolean fail, int freeCalls) {
      this.sleepMillis = sleepMillis;
      this.fail = fail;
      this.freeCalls = freeCalls;
    }

    @Override
    public ModelSpec spec() {
      return real.spec();
    }

    @Override
    public TrainingResult train(Model start, Dataset data, int[] examples, long seed) {
      int call = calls.incrementAndGet();
      try {
        if (call > freeCalls && !gate.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never opened the gate");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (fail) {
        throw new IllegalStateException("this client's trainer always fails");
      }
      try {
        Thread.sleep(sleepMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return real.train(start, data, examples, seed);
    }
  }

  static final Config NODE_CONFIG = ConfigFactory.parseString(String.join("\n",
      "akka.actor.serialize-messages = on",
      "akka.coordinated-shutdown.exit-jvm = off",
      "akka.cluster.split-brain-resolver.stable-after = 3s",
      "akka.loglevel = WARNING")).withFallback(ClusterConfig.insecure());

  private ActorSystem<Void> start(Set<String> roles, NodePlan plan, ActorSystem<?> joinTo) {
    // LoggingTestKit waits up to filter-leeway after its block for the line it expects: here a registration
    // that follows a node's start and join, which a loaded machine may take long for.
    Config config = ConfigFactory.parseString("akka.actor.testkit.typed.filter-leeway = 90s").withFallback(NODE_CONFIG);
    ActorSystem<Void> system = ActorSystem.create(NodeGuardian.create(plan), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", 0, roles, List.of(), config));
    systems.add(system);
    Cluster.get(system).manager().tell(Join.create(joinTo == null ? system.address() : joinTo.address()));
    return system;
  }

  /** A client node in a child JVM (two slow clients, ids 3 and 4), so that it can be killed for real. */
  private Process startLostNode(ActorSystem<?> seed) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx512m",
        "-cp", System.getProperty("java.class.path"), LostNodeMain.class.getName(), seed.address().toString())
        .redirectErrorStream(true).start();
    processes.add(p);
    return p;
  }

  private static void awaitLine(Process p, String marker) throws Exception {
    java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
    CompletableFuture<Void> seen = CompletableFuture.runAsync(() -> {
      try {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          if (line.contains(marker)) {
            return;
          }
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      throw new IllegalStateException("the lost node exited before printing " + marker);
    });
    seen.get(90, TimeUnit.SECONDS);
  }

  /** A client node hosting clients {@code from..to}, each with 8 examples. */
  static NodePlan clientPlan(FederatedStrategy strategy, Dataset data, String signature, TestTrainer trainer, int from, int to) {
    ClientsHost.ClientPool pool = ClientsHost.ClientPool.fixed(to + 1, from, to, id -> Client.create(ClientsHost.clientId(id), signature,
        strategy.newClient(), trainer, data, new int[] {8 * id, 8 * id + 1, 8 * id + 2, 8 * id + 3, 8 * id + 4, 8 * id + 5, 8 * id + 6, 8 * id + 7}, id));
    return new NodePlan(Set.of(NodePlan.CLIENT), Optional.empty(), Optional.of(pool), Optional.empty());
  }

  /**
   * Far beyond the failure detector's and the split-brain resolver's time to remove the crashed
   * node, however busy the machine: round 1 ends by that removal, never by this deadline.
   */
  private static final Duration ROUND_TIMEOUT = Duration.ofSeconds(120);

  @Test
  void aCrashedNodeAFailingTrainerALateJoinerAndAMismatchedNode() throws Exception {
    FederatedStrategy cs = new ComplementSparsification(CsOptions.defaults());
    Dataset data = randomData(64, 1);
    int rounds = 4;
    CompletableFuture<List<RoundMetrics>> done = new CompletableFuture<>();
    // Select every registered client each round, so who completes is deterministic.
    Server.Settings settings = Server.Settings.builder("cs").rounds(rounds).clientsPerRound(100)
        .roundTimeout(ROUND_TIMEOUT).minClients(5).dataSignature(SIGNATURE).build();
    NodePlan serverPlan = new NodePlan(Set.of(NodePlan.SERVER, NodePlan.AGGREGATOR),
        Optional.of(new NodePlan.AggregatorPart(cs, MLP.initialModel(1), rounds)), Optional.empty(),
        Optional.of(new NodePlan.ServerPart(settings, Evaluator.of(MLP, data), out.resolve("metrics.csv"), done::complete)));
    ActorSystem<Void> server = start(Set.of(NodePlan.SERVER, NodePlan.AGGREGATOR), serverPlan, null);

    // The two steady clients train freely in round 1, then hold round 2 until the late node is listed.
    TestTrainer steady = new TestTrainer(0, false, 2);
    TestTrainer failing = new TestTrainer(0, true);
    TestTrainer late = new TestTrainer(0, false);
    TestTrainer mismatched = new TestTrainer(0, false);
    NodePlan b = clientPlan(cs, data, SIGNATURE, steady, 0, 1);
    ActorSystem<Void> nodeB = start(Set.of(NodePlan.CLIENT), b, server);
    start(Set.of(NodePlan.CLIENT), clientPlan(cs, data, SIGNATURE, failing, 2, 2), server);
    Process lost = startLostNode(server);
    start(Set.of(NodePlan.CLIENT), clientPlan(cs, data, "random/64 clients=6 partition=iid seed=2", mismatched, 6, 6), server);

    awaitLine(lost, "TRAINING");
    lost.destroyForcibly(); // SIGKILL, mid-round: no goodbye, no reply


    // After round 1, a new client node joins and must be selected from then on.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (MetricsCsv.read(out.resolve("metrics.csv")).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    // Round 2 is held until the server has registered the late client, so rounds 3 and 4 select it.
    LoggingTestKit.debug("registered client client-0005").expect(server, () -> {
      start(Set.of(NodePlan.CLIENT), clientPlan(cs, data, SIGNATURE, late, 5, 5), nodeB);
      return null;
    });
    steady.gate.countDown();

    List<RoundMetrics> metrics = done.get(300, TimeUnit.SECONDS);
    assertEquals(rounds, metrics.size(), "every round completed");
    RoundMetrics first = metrics.get(0);
    assertEquals(5, first.clientsSelected(), "round 1: the two steady, the failing and the two on the crashed node");
    assertEquals(2, first.clientsCompleted(), "round 1: only the steady clients' updates were aggregated");
    for (RoundMetrics m : metrics) {
      assertTrue(m.clientsCompleted() <= m.clientsSelected(), "no double counting: " + m);
    }
    RoundMetrics last = metrics.get(rounds - 1);
    assertEquals(4, last.clientsSelected(), "the crashed node's clients are gone, the late client is in");
    assertEquals(3, last.clientsCompleted(), "the steady two and the late joiner; the failing one is reported, not aggregated");
    assertTrue(late.calls.get() >= 1, "the late joiner trained");
    assertTrue(failing.calls.get() >= rounds, "the failing client was asked every round");
    assertEquals(0, mismatched.calls.get(), "a client with other data settings is never trained on");
    assertTrue(first.wallMs() < ROUND_TIMEOUT.toMillis(), "round 1 did not wait for the deadline: " + first.wallMs() + " ms");
  }
}
