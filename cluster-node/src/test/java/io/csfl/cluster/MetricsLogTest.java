package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that takes over leaves metrics.csv with each round once, whatever the old server left
 * in it; a row that cannot be written (a full disk) is kept, and the file completed once it can be.
 */
class MetricsLogTest {
  @TempDir
  Path dir;
  private final List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * metrics.csv through MetricsCsv, on a disk that is full while {@code full} is set: a row's
   * write then leaves part of the row and fails as the JDK fails on ENOSPC, and so does a rewrite.
   * (A real full disk needs a file system of its own, which a test cannot count on mounting.)
   */
  static final class FullDisk implements MetricsLog.Disk {
    final java.util.concurrent.atomic.AtomicBoolean full = new java.util.concurrent.atomic.AtomicBoolean();

    private static java.io.UncheckedIOException noSpace() {
      return new java.io.UncheckedIOException(new java.io.IOException("No space left on device"));
    }

    @Override
    public MetricsLog.RowWriter open(Path file) {
      if (full.get()) {
        throw new java.io.UncheckedIOException("cannot write " + file + ": no space left on device",
            new java.io.IOException("No space left on device"));
      }
      MetricsCsv csv = MetricsCsv.openAppending(file);
      return new MetricsLog.RowWriter() {
        @Override
        public void append(RoundMetrics m) {
          if (full.get()) {
            try {
              Files.writeString(file, m.toCsvRow().substring(0, 7), java.nio.file.StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
            throw noSpace();
          }
          csv.append(m);
        }

        @Override
        public void close() {
          csv.close();
        }
      };
    }

    @Override
    public List<String> reconcile(Path file, java.util.Map<String, List<RoundMetrics>> rows) {
      if (full.get()) {
        throw noSpace();
      }
      return MetricsCsv.reconcile(file, rows);
    }
  }

  private static RoundMetrics row(String algorithm, int round, double accuracy) {
    return new RoundMetrics(algorithm, round, accuracy, 1.0, 10, 20, 4, 4, 1, 1, 1, 100);
  }

  private static List<RoundMetrics> rounds(int from, int to, double accuracy) {
    return IntStream.rangeClosed(from, to).mapToObj(r -> row("cs", r, accuracy)).toList();
  }

  private Path csvWith(List<RoundMetrics> rows) {
    Path file = dir.resolve("metrics.csv");
    try (MetricsCsv csv = MetricsCsv.create(file)) {
      rows.forEach(csv::append);
    }
    return file;
  }

  private static List<Integer> roundsIn(Path file, String algorithm) {
    return MetricsCsv.read(file).stream().filter(m -> m.algorithm().equals(algorithm)).map(RoundMetrics::round).toList();
  }

  @Test
  void aRowTheOldServerCheckpointedButDidNotWriteIsAdded() {
    Path file = csvWith(rounds(1, 2, 0.5));
    MetricsLog log = new MetricsLog(file, said::add);
    log.startAfter("cs", rounds(1, 3, 0.5));
    log.append(row("cs", 4, 0.6));
    log.close();
    assertEquals(List.of(1, 2, 3, 4), roundsIn(file, "cs"));
    assertEquals(4, log.rows().size(), "the run's rows: the checkpoint's and the new one");
  }

  @Test
  void rowsPastTheCheckpointAreReplacedByTheRoundsRunAgain() throws Exception {
    List<RoundMetrics> before = new java.util.ArrayList<>(rounds(1, 5, 0.5));
    before.add(0, row("fedavg", 1, 0.7));
    Path file = csvWith(before);
    MetricsLog log = new MetricsLog(file, said::add);
    log.startAfter("cs", rounds(1, 3, 0.5));
    log.append(row("cs", 4, 0.9));
    log.close();
    assertEquals(List.of(1, 2, 3, 4), roundsIn(file, "cs"));
    assertEquals(0.9, MetricsCsv.read(file).get(4).accuracy(), 1e-9, "round 4 is the one run again");
    assertEquals(List.of(1), roundsIn(file, "fedavg"), "another algorithm's rows stay");
    try (java.util.stream.Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(file), left.toList(), "no temporary file left");
    }
  }

  @Test
  void aRowCutShortWhenTheOldServerDiedIsDroppedAndTheServerStarts() throws Exception {
    Path file = csvWith(rounds(1, 1, 0.5));
    Files.writeString(file, "cs,2,0.81", java.nio.file.StandardOpenOption.APPEND);
    MetricsLog log = new MetricsLog(file, said::add);
    log.startAfter("cs", rounds(1, 2, 0.5));
    log.append(row("cs", 3, 0.6));
    log.close();
    assertEquals(List.of(1, 2, 3), roundsIn(file, "cs"));
    assertEquals(0.5, MetricsCsv.read(file).get(1).accuracy(), 1e-9, "round 2 as the checkpoint has it");
  }

  @Test
  void aRowThatCannotBeWrittenIsKeptAndTheFileCompletedOnceItCanBe() {
    Path file = csvWith(rounds(1, 2, 0.5));
    FullDisk disk = new FullDisk();
    MetricsLog log = new MetricsLog(file, disk, said::add);
    log.startAfter("cs", rounds(1, 2, 0.5));
    log.append(row("cs", 3, 0.6));
    disk.full.set(true);
    log.append(row("cs", 4, 0.6));
    log.append(row("cs", 5, 0.6));
    assertEquals(1, said.size(), "said once: " + said);
    assertEquals("cannot add round 4 of cs to " + file + ": " + file + ": No space left on device; training goes on, and the file "
        + "is completed from the rows kept once it can be written", said.get(0));
    disk.full.set(false);
    log.append(row("cs", 6, 0.6));
    assertEquals(file + " holds every round again", said.get(said.size() - 1));
    log.append(row("cs", 7, 0.6));
    assertEquals(null, log.finish());
    assertEquals(List.of(1, 2, 3, 4, 5, 6, 7), roundsIn(file, "cs"), "every round once, the row cut short by the failure gone");
    assertEquals(7, log.rows().size());
  }

  @Test
  void aFileThatCannotBeCompletedByTheEndIsSaidSo() {
    Path file = dir.resolve("metrics.csv");
    FullDisk disk = new FullDisk();
    MetricsLog log = new MetricsLog(file, disk, said::add);
    log.open(java.util.Map.of());
    log.append(row("fedavg", 1, 0.5));
    disk.full.set(true);
    log.append(row("fedavg", 2, 0.5));
    assertEquals(file + " lacks rounds that could not be written (" + file + ": No space left on device)", log.finish());
    assertEquals(List.of(1, 2), log.rows().stream().map(RoundMetrics::round).toList(), "the rows are kept for the report");
    // The disk has room again: a resumed run makes the file whole (MetricsCsv.reconcile, as the commands do).
    disk.full.set(false);
    MetricsCsv.reconcile(file, java.util.Map.of("fedavg", log.rows()));
    assertEquals(List.of(1, 2), roundsIn(file, "fedavg"));
  }

  /**
   * The node's sink lives through a row it cannot write, and a run that finishes with metrics.csv
   * still short of rounds ends as an aborted one (exit code 3), not as one a script takes for whole.
   * (The sink stopped at the failed row: the run's end went to dead letters and the node never exited.)
   */
  @Test
  void theSinkOutlivesAFullDiskAndEndsTheRunAsAborted() throws Exception {
    akka.actor.testkit.typed.javadsl.ActorTestKit kit = akka.actor.testkit.typed.javadsl.ActorTestKit.create();
    try {
      FullDisk disk = new FullDisk();
      MetricsLog log = new MetricsLog(dir.resolve("metrics.csv"), disk, said::add);
      log.startAfter("cs", List.of());
      java.util.concurrent.CompletableFuture<List<RoundMetrics>> ended = new java.util.concurrent.CompletableFuture<>();
      var sink = kit.spawn(MetricsSink.create(log, ended::complete, true, new java.util.concurrent.atomic.AtomicBoolean()));
      disk.full.set(true);
      for (int r = 1; r <= 2; r++) {
        sink.tell(new io.csfl.actor.Server.RoundCompleted(row("cs", r, 0.5), List.of()));
      }
      sink.tell(new io.csfl.actor.Server.Finished("cs", rounds(1, 2, 0.5)));
      assertEquals(2, ended.get(30, java.util.concurrent.TimeUnit.SECONDS).size(), "the report gets every round");
      kit.system().getWhenTerminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(java.util.Optional.of(MetricsSink.TRAINING_ABORTED),
          akka.actor.CoordinatedShutdown.get(akka.actor.typed.javadsl.Adapter.toClassic(kit.system())).getShutdownReason());
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aFreshServerStartsTheFileWithItsHeader() {
    Path file = dir.resolve("out").resolve("metrics.csv");
    MetricsLog log = new MetricsLog(file, said::add);
    log.startAfter("cs", List.of());
    log.append(row("cs", 1, 0.5));
    log.close();
    assertEquals(List.of(1), roundsIn(file, "cs"));
  }
}
