package io.csfl.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a resumed run finds in metrics.csv after a crash, and what it leaves there before adding rows. */
class MetricsCsvReconcileTest {
  @TempDir
  Path dir;

  private static RoundMetrics row(String algorithm, int round, double accuracy) {
    return new RoundMetrics(algorithm, round, accuracy, 1.25, 10, 20, 2, 2, 3, 4, 5, 6);
  }

  private static List<RoundMetrics> rounds(String algorithm, int n) {
    return IntStream.rangeClosed(1, n).mapToObj(r -> row(algorithm, r, 0.5)).toList();
  }

  private Path file(List<RoundMetrics> rows, String tail) throws Exception {
    Path file = dir.resolve("metrics.csv");
    StringBuilder text = new StringBuilder(RoundMetrics.CSV_HEADER).append('\n');
    rows.forEach(m -> text.append(m.toCsvRow()).append('\n'));
    Files.writeString(file, text.append(tail));
    return file;
  }

  @Test
  void rowsTheCheckpointHasAndTheFileLacksAreAppended() throws Exception {
    Path file = file(rounds("cs", 2), "");
    List<String> notes = MetricsCsv.reconcile(file, Map.of("cs", rounds("cs", 3)));
    assertEquals(List.of(), notes, "nothing removed, nothing to say");
    assertEquals(rounds("cs", 3), MetricsCsv.read(file));
  }

  @Test
  void aRowCutShortByACrashIsDroppedAndTheCheckpointsRowsFollow() throws Exception {
    Path file = file(rounds("cs", 2), row("cs", 3, 0.7).toCsvRow().substring(0, 12));
    List<String> notes = MetricsCsv.reconcile(file, Map.of("cs", rounds("cs", 3)));
    assertEquals(1, notes.size(), notes.toString());
    assertTrue(notes.get(0).contains("cut short"), notes.get(0));
    assertEquals(rounds("cs", 3), MetricsCsv.read(file));
    try (MetricsCsv csv = MetricsCsv.openAppending(file)) {
      csv.append(row("cs", 4, 0.5));
    }
    assertEquals(rounds("cs", 4), MetricsCsv.read(file), "the file takes new rows");
  }

  @Test
  void aCutShortRowThatIsNotEvenTextIsDropped() throws Exception {
    Path file = file(rounds("cs", 1), "");
    Files.write(file, new byte[] {'c', 's', ',', (byte) 0xff, (byte) 0xfe, 0}, java.nio.file.StandardOpenOption.APPEND);
    MetricsCsv.reconcile(file, Map.of("cs", rounds("cs", 2)));
    assertEquals(rounds("cs", 2), MetricsCsv.read(file));
  }

  @Test
  void aHeaderCutShortLeavesTheCheckpointsRows() throws Exception {
    Path file = dir.resolve("metrics.csv");
    Files.writeString(file, RoundMetrics.CSV_HEADER.substring(0, 9));
    MetricsCsv.reconcile(file, Map.of("cs", rounds("cs", 2)));
    assertEquals(rounds("cs", 2), MetricsCsv.read(file));
  }

  @Test
  void rowsPastTheCheckpointAreRemovedAndOtherAlgorithmsRowsStay() throws Exception {
    List<RoundMetrics> rows = Stream.concat(rounds("fedavg", 2).stream(),
        Stream.of(row("cs", 1, 0.5), row("cs", 2, 0.5), row("cs", 3, 0.1))).toList();
    Path file = file(rows, "");
    List<String> notes = MetricsCsv.reconcile(file, Map.of("cs", rounds("cs", 2)));
    assertEquals(1, notes.size(), notes.toString());
    assertTrue(notes.get(0).contains("3 cs rows, its checkpoint 2"), notes.get(0));
    assertEquals(Stream.concat(rounds("fedavg", 2).stream(), rounds("cs", 2).stream()).toList(), MetricsCsv.read(file));
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(file), left.toList(), "no temporary file left");
    }
  }

  /**
   * A server cut off from its cluster may have run a round of its own, so a round of the run can be
   * in the file twice. The checkpoint is the record: the rows are written again from it, where
   * they stopped every later resume (and every take-over) of the run.
   */
  @Test
  void rowsThatRepeatARoundAreWrittenAgainFromTheCheckpoint() throws Exception {
    List<RoundMetrics> rows = Stream.concat(rounds("fedavg", 2).stream(),
        Stream.of(row("cs", 1, 0.5), row("cs", 2, 0.5), row("cs", 2, 0.9), row("cs", 3, 0.5))).toList();
    Path file = file(rows, "");
    List<String> notes = MetricsCsv.reconcile(file, Map.of("cs", rounds("cs", 3)));
    assertEquals(List.of(file + " holds cs rows that repeat a round or come out of order; they are written again from its checkpoint, the record"),
        notes);
    assertEquals(Stream.concat(rounds("fedavg", 2).stream(), rounds("cs", 3).stream()).toList(), MetricsCsv.read(file));
    // The same rows of an algorithm without a checkpoint to go by are refused, naming the line.
    Path other = file(Stream.of(row("cs", 1, 0.5), row("stc", 1, 0.5), row("stc", 1, 0.5)).toList(), "");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetricsCsv.reconcile(other, Map.of("cs", rounds("cs", 1))));
    assertTrue(e.getMessage().endsWith("line 4: round 1 of stc appears twice (also on line 3)"), e.getMessage());
  }

  /** A file a spreadsheet saved with a byte-order mark is read, and rewritten without it before rows are appended. */
  @Test
  void aByteOrderMarkIsReadAndTheFileRewrittenWithoutIt() throws Exception {
    Path file = file(rounds("cs", 1), "");
    Files.writeString(file, "\uFEFF" + Files.readString(file));
    MetricsCsv.reconcile(file, Map.of("cs", rounds("cs", 2)));
    assertTrue(Files.readString(file).startsWith(RoundMetrics.CSV_HEADER), "the header first");
    assertEquals(rounds("cs", 2), MetricsCsv.read(file));
  }

  @Test
  void anAlgorithmWithoutACheckpointLosesItsRowsItRunsAgainFromRoundOne() throws Exception {
    Path file = file(rounds("stc", 2), "");
    MetricsCsv.reconcile(file, Map.of("stc", List.of()));
    assertEquals(List.of(), MetricsCsv.read(file));
  }

  @Test
  void aMissingFileIsCreatedWithTheCheckpointsRows() {
    Path file = dir.resolve("metrics.csv");
    MetricsCsv.reconcile(file, Map.of("cs", rounds("cs", 2)));
    assertEquals(rounds("cs", 2), MetricsCsv.read(file));
  }

  @Test
  void aCompleteRowThatDoesNotParseIsAnErrorAndTheFileIsLeftAlone() throws Exception {
    Path file = file(rounds("cs", 1), "cs,2,not-a-number\n");
    String before = Files.readString(file);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetricsCsv.reconcile(file, Map.of("cs", rounds("cs", 2))));
    assertTrue(e.getMessage().startsWith(file + " line 3: "), "names the file and its line: " + e.getMessage());
    assertEquals(before, Files.readString(file));
    Path other = dir.resolve("other.csv");
    Files.writeString(other, "my,own,data\n");
    assertThrows(IllegalArgumentException.class, () -> MetricsCsv.reconcile(other, Map.of("cs", List.of())));
    assertFalse(Files.readString(other).contains("algorithm"), "not rewritten");
  }
}
