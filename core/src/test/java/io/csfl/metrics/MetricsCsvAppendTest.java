package io.csfl.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsCsvAppendTest {
  @TempDir
  Path dir;

  private static RoundMetrics row(int round) {
    return new RoundMetrics("cs", round, 0.5, 1.25, 10, 20, 2, 2, 3, 4, 5, 6);
  }

  @Test
  void reopeningAppendsAfterTheRowsAlreadyThere() {
    Path file = dir.resolve("metrics.csv");
    try (MetricsCsv csv = MetricsCsv.openAppending(file)) {
      csv.append(row(1));
    }
    try (MetricsCsv csv = MetricsCsv.openAppending(file)) {
      csv.append(row(2));
    }
    assertEquals(List.of(row(1), row(2)), MetricsCsv.read(file));
  }

  @Test
  void aFileThatIsNotMetricsOrEndsInAPartialRowIsNotAppendedTo() throws Exception {
    Path other = dir.resolve("notes.csv");
    Files.writeString(other, "my,own,data\n");
    assertThrows(IllegalArgumentException.class, () -> MetricsCsv.openAppending(other));
    assertEquals("my,own,data\n", Files.readString(other));
    Path partial = dir.resolve("metrics.csv");
    Files.writeString(partial, RoundMetrics.CSV_HEADER + "\n" + row(1).toCsvRow().substring(0, 10));
    assertThrows(IllegalArgumentException.class, () -> MetricsCsv.openAppending(partial));
  }
}
