package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI end to end on the repository's copy of the real Fashion-MNIST. */
class SimulateCommandTest {
  @TempDir
  Path out;

  static Path repoData() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("data/fashion-mnist"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("data/fashion-mnist not found above " + Path.of("").toAbsolutePath());
    }
    return p.resolve("data/fashion-mnist");
  }

  private record Result(int exitCode, String err) {}

  private static Result run(String... args) {
    CommandLine cl = CsflCommand.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Result(code, err.toString());
  }

  @Test
  void fedAvgAndCsTrainOnRealFashionMnistAndCsMovesFarFewerBytes() throws Exception {
    Result r = run("simulate", "--algorithm", "fedavg,cs", "--data-dir", repoData().toString(), "--clients", "20",
        "--per-round", "2", "--rounds", "8", "--partition", "iid", "--local-epochs", "1", "--seed", "3",
        "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    List<String> lines = Files.readAllLines(out.resolve("metrics.csv"));
    assertEquals("algorithm,round,accuracy,loss,bytes_down,bytes_up,clients_selected,clients_completed,"
        + "client_train_ms,client_overhead_ms,server_ms,wall_ms", lines.get(0));
    List<RoundMetrics> rows = MetricsCsv.read(out.resolve("metrics.csv"));
    assertEquals(16, rows.size());
    List<RoundMetrics> fedavg = rows.stream().filter(m -> m.algorithm().equals("fedavg")).toList();
    List<RoundMetrics> cs = rows.stream().filter(m -> m.algorithm().equals("cs")).toList();
    assertEquals(8, fedavg.size());
    assertEquals(8, cs.size());
    for (RoundMetrics m : rows) {
      assertEquals(2, m.clientsSelected());
      assertEquals(2, m.clientsCompleted());
      assertTrue(m.accuracy() >= 0 && m.accuracy() <= 1);
    }
    // Chance is 0.10 on ten balanced classes.
    assertTrue(fedavg.get(7).accuracy() > 0.5, "fedavg accuracy " + fedavg.get(7).accuracy());
    assertTrue(cs.get(7).accuracy() > 0.3, "cs accuracy " + cs.get(7).accuracy());
    long fedavgBytes = fedavg.stream().mapToLong(m -> m.bytesDown() + m.bytesUp()).sum();
    long csBytes = cs.stream().mapToLong(m -> m.bytesDown() + m.bytesUp()).sum();
    assertTrue(csBytes < 0.6 * fedavgBytes, "cs moved " + csBytes + " bytes, fedavg " + fedavgBytes);
    // Round 1 of CS is dense, so its first round costs what FedAvg's does.
    assertEquals(fedavg.get(0).bytesDown(), cs.get(0).bytesDown(), 0.01 * fedavg.get(0).bytesDown());
  }

  @Test
  void churnDropsAndStragglersShowInTheMetricsAndEveryRoundCompletes() throws Exception {
    Result r = run("simulate", "--algorithm", "cs", "--data-dir", repoData().toString(), "--clients", "20",
        "--per-round", "8", "--rounds", "4", "--partition", "iid", "--local-epochs", "1", "--seed", "5",
        "--drop-rate", "0.25", "--straggler-rate", "0.1", "--round-timeout", "4s", "--eval-examples", "2000",
        "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    List<RoundMetrics> rows = MetricsCsv.read(out.resolve("metrics.csv"));
    assertEquals(4, rows.size(), "every round completed");
    int selected = rows.stream().mapToInt(RoundMetrics::clientsSelected).sum();
    int completed = rows.stream().mapToInt(RoundMetrics::clientsCompleted).sum();
    assertTrue(completed < selected, "churn cost updates: " + completed + " of " + selected);
    assertTrue(completed > selected / 3, "most clients still completed: " + completed + " of " + selected);
  }

  @Test
  void overSelectionAggregatesTheFirstClientsToFinish() throws Exception {
    Result r = run("simulate", "--algorithm", "fedavg", "--data-dir", repoData().toString(), "--clients", "20",
        "--per-round", "4", "--over-select", "1.5", "--rounds", "3", "--partition", "iid", "--local-epochs", "1",
        "--eval-examples", "1000", "--seed", "9", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    for (RoundMetrics m : MetricsCsv.read(out.resolve("metrics.csv"))) {
      assertEquals(6, m.clientsSelected(), "4 x 1.5 selected");
      assertEquals(4, m.clientsCompleted(), "the first 4 to finish are aggregated");
    }
  }

  @Test
  void oneClientSendingItsStepScaledBy1e4WrecksTheMeanButNotTheMedian() throws Exception {
    double[] last = new double[2];
    String[] rules = {"mean", "median"};
    for (int k = 0; k < rules.length; k++) {
      Path dir = out.resolve(rules[k]);
      Result r = run("simulate", "--algorithm", "fedavg", "--data-dir", repoData().toString(), "--clients", "5",
          "--per-round", "5", "--rounds", "2", "--partition", "iid", "--local-epochs", "1", "--eval-examples", "1000",
          "--seed", "4", "--aggregation", rules[k], "--attack", "scale:1e4", "--attackers", "1", "--out", dir.toString());
      assertEquals(0, r.exitCode(), r.err());
      List<RoundMetrics> rows = MetricsCsv.read(dir.resolve("metrics.csv"));
      assertEquals(5, rows.get(1).clientsCompleted(), "the attacker's update is well-formed and accepted");
      last[k] = rows.get(1).accuracy();
    }
    assertTrue(last[0] < 0.3, "the mean follows the attacker: accuracy " + last[0]);
    assertTrue(last[1] > 0.6, "the median does not: accuracy " + last[1]);
  }

  @Test
  void badFlagsGetOneLineAndExitCodeTwo() {
    String[][] bad = {
        {"simulate", "--rounds", "0"},
        {"simulate", "--partition", "zipf:3"},
        {"simulate", "--algorithm", "fedavg,magic"},
        {"simulate", "--optimizer", "rmsprop"},
        {"simulate", "--lr", "abc"},
        {"simulate", "--round-timeout", "soon"},
        {"simulate", "--sparsity", "1.5"},
        {"simulate", "--no-such-flag"},
        {"simulate", "--drop-rate", "0.8", "--straggler-rate", "0.5"},
        {"simulate", "--over-select", "0.5"},
        {"simulate", "--aggregation", "mode"},
        {"simulate", "--aggregation", "trimmed-mean:0.7"},
        {"simulate", "--clip-norm", "-1"},
        {"simulate", "--clip-norm", "NaN"},
        {"simulate", "--attack", "flip"},
        {"simulate", "--attack", "scale:x"},
        {"simulate", "--attackers", "101"},
    };
    for (String[] args : bad) {
      Result r = run(args);
      assertEquals(2, r.exitCode(), String.join(" ", args) + " -> " + r.err());
      assertEquals(1, r.err().strip().lines().count(), "one line for " + String.join(" ", args) + ": " + r.err());
      assertTrue(r.err().startsWith("csfl: "), r.err());
    }
  }

  @Test
  void aMissingDataDirectoryIsNamed() {
    Result r = run("simulate", "--data-dir", out.resolve("nowhere").toString(), "--rounds", "1");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains(out.resolve("nowhere").toString()) && r.err().contains("missing"), r.err());
  }

  @Test
  void aFlagErrorIsReportedRatherThanTheDataErrorOfTheLoadStartedBesideTheChecks() {
    Result r = run("simulate", "--data-dir", out.resolve("nowhere").toString(), "--rounds", "0");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains("--rounds") && !r.err().contains("nowhere"), r.err());
  }

  /**
   * An actor that works for {@code millis} on the message it gets, as a client training far past
   * its round does; {@code working} counts down as it starts.
   */
  private static akka.actor.typed.Behavior<String> busyFor(long millis, java.util.concurrent.CountDownLatch working) {
    return akka.actor.typed.javadsl.Behaviors.receiveMessage(m -> {
      working.countDown();
      Thread.sleep(millis);
      return akka.actor.typed.javadsl.Behaviors.same();
    });
  }

  /** Local training stops at the round timeout: a round it cannot finish in fails, and no client trains on past the run. */
  @Test
  void trainingStopsAtTheRoundTimeout() throws Exception {
    // The kit only reads the log for this test; the run has its own ActorSystem.
    akka.actor.testkit.typed.javadsl.ActorTestKit logs = akka.actor.testkit.typed.javadsl.ActorTestKit.create("logs");
    try {
      java.util.concurrent.atomic.AtomicInteger stopped = new java.util.concurrent.atomic.AtomicInteger();
      Result r = akka.actor.testkit.typed.javadsl.LoggingTestKit.empty()
          // Each client of each attempt says so; the first is enough.
          .withCustom(e -> e.message().contains("local training ran past its time limit of 2s") && stopped.incrementAndGet() == 1)
          .expect(logs.system(), () -> run("simulate", "--algorithm", "fedavg", "--dataset", "synthetic:1,1", "--model", "logreg",
              "--per-round", "2", "--rounds", "1", "--local-epochs", "100000000", "--round-timeout", "2s", "--out", out.toString()));
      assertEquals(3, r.exitCode(), r.err());
      // Without the limit, the last attempt's clients would train on for hours past the run's end.
      assertFalse(r.err().contains("still training"), r.err());
    } finally {
      logs.shutdownTestKit();
    }
  }

  @Test
  void aRunThatHasEndedDoesNotWaitForTrainingNobodyTakes() throws Exception {
    java.util.concurrent.CountDownLatch working = new java.util.concurrent.CountDownLatch(1);
    akka.actor.typed.ActorSystem<String> system = akka.actor.typed.ActorSystem.create(busyFor(20_000, working), "busy");
    try {
      system.tell("train");
      assertTrue(working.await(60, java.util.concurrent.TimeUnit.SECONDS), "the actor started its work");
      system.terminate();
      // Every algorithm has ended: the run waits out the grace, not the 20 s of work that keeps the system up.
      String warned = CliTest.stderrOf(() -> {
        try {
          SimulateCommand.awaitEnd(system, () -> true, java.time.Duration.ofMillis(500));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertTrue(!system.whenTerminated().isCompleted(), "the system was still stopping");
      assertTrue(warned.contains("clients were still training when the run ended"), warned);
      // While an algorithm runs, the run waits for the system, however long.
      java.util.concurrent.CountDownLatch quickWorking = new java.util.concurrent.CountDownLatch(1);
      akka.actor.typed.ActorSystem<String> quick = akka.actor.typed.ActorSystem.create(busyFor(1_500, quickWorking), "quick");
      quick.tell("train");
      assertTrue(quickWorking.await(60, java.util.concurrent.TimeUnit.SECONDS), "the actor started its work");
      quick.terminate();
      SimulateCommand.awaitEnd(quick, () -> false, java.time.Duration.ofMillis(100));
      assertTrue(quick.whenTerminated().isCompleted(), "it returned once the system had stopped");
    } finally {
      system.terminate();
    }
  }

  @Test
  void theProbeOfACheckpointDirectoryLeavesNothingBehindNorDoesOneAKillLeft() throws Exception {
    Path checkpoints = Files.createDirectories(out.resolve("probed"));
    // What a kill between the probe's write and its deletion leaves.
    Files.writeString(checkpoints.resolve(SimulateCommand.WRITE_CHECK), "");
    SimulateCommand.requireWritable(checkpoints);
    try (java.util.stream.Stream<Path> left = Files.list(checkpoints)) {
      assertEquals(List.of(), left.toList());
    }
  }
}
