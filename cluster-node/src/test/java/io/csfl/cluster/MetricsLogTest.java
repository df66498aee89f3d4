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

/** A server that takes over leaves metrics.csv with each round once, whatever the old server left in it. */
class MetricsLogTest {
  @TempDir
  Path dir;

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
    MetricsLog log = new MetricsLog(file);
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
    MetricsLog log = new MetricsLog(file);
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
    MetricsLog log = new MetricsLog(file);
    log.startAfter("cs", rounds(1, 2, 0.5));
    log.append(row("cs", 3, 0.6));
    log.close();
    assertEquals(List.of(1, 2, 3), roundsIn(file, "cs"));
    assertEquals(0.5, MetricsCsv.read(file).get(1).accuracy(), 1e-9, "round 2 as the checkpoint has it");
  }

  @Test
  void aFreshServerStartsTheFileWithItsHeader() {
    Path file = dir.resolve("out").resolve("metrics.csv");
    MetricsLog log = new MetricsLog(file);
    log.startAfter("cs", List.of());
    log.append(row("cs", 1, 0.5));
    log.close();
    assertEquals(List.of(1), roundsIn(file, "cs"));
  }
}
