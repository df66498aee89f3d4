package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import io.csfl.report.Report;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportCommandTest {
  @TempDir
  Path dir;

  @Test
  void rendersChartsAndASummaryWithTargetsAndRatios() throws Exception {
    try (MetricsCsv csv = MetricsCsv.create(dir.resolve("metrics.csv"))) {
      for (int r = 1; r <= 3; r++) {
        csv.append(new RoundMetrics("fedavg", r, 0.5 + 0.1 * r, 1.0, 1000, 1000, 10, 10, 100, 1, 5, 200));
        csv.append(new RoundMetrics("cs", r, 0.4 + 0.1 * r, 1.2, 500, 500, 10, 9, 100, 2, 6, 210));
      }
    }
    int code = CsflCommand.commandLine().execute("report", dir.toString(), "--target", "0.65");
    assertEquals(0, code);
    for (String png : new String[] {Report.ACCURACY_BY_ROUND, Report.ACCURACY_BY_MB, Report.ACCURACY_BY_UPLINK_MB}) {
      BufferedImage image = ImageIO.read(dir.resolve(png).toFile());
      assertEquals(900, image.getWidth(), png);
    }
    String summary = Files.readString(dir.resolve(Report.SUMMARY));
    // fedavg reaches 0.65 in round 2 after 4,000 bytes; cs reaches 0.7 only in round 3; cs moves half the bytes.
    assertTrue(summary.contains("| fedavg | 3 | 0.8000 | 0.8000 | 2 | 0.00 |"), summary);
    assertTrue(summary.contains("| cs | 3 | 0.7000 | 0.7000 | 3 |"), summary);
    assertTrue(summary.contains("| 0.5000 |"), summary);
  }

  /** A run that has just ended reports from its own rows: whole although its metrics.csv ends in a row a full disk cut short. */
  @Test
  void aRunReportsFromItsRowsWhatAnIncompleteFileLacks() throws Exception {
    java.util.List<RoundMetrics> rows = new java.util.ArrayList<>();
    try (MetricsCsv csv = MetricsCsv.create(dir.resolve("metrics.csv"))) {
      for (int r = 1; r <= 3; r++) {
        rows.add(new RoundMetrics("cs", r, 0.4 + 0.1 * r, 1.2, 500, 500, 10, 9, 100, 2, 6, 210));
        if (r < 3) {
          csv.append(rows.get(r - 1));
        }
      }
    }
    Files.writeString(dir.resolve("metrics.csv"), "cs,3,0.7", java.nio.file.StandardOpenOption.APPEND);
    String summary = Report.render(dir, rows, 0.65);
    assertTrue(summary.contains("| cs | 3 | 0.7000 | 0.7000 | 3 |"), summary);
    assertEquals(summary, Files.readString(dir.resolve(Report.SUMMARY)));
  }

  @Test
  void aDirectoryWithoutMetricsIsAUsageError() {
    assertEquals(2, CsflCommand.commandLine().execute("report", dir.resolve("none").toString()));
  }
}
