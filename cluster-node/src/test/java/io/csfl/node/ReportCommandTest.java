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

  /**
   * A report drawn again from metrics.csv keeps what only the run's summary says: why training
   * stopped, and the target the run was given (unless --target gives another).
   */
  @Test
  void aReportKeepsTheRunsNotesAndTarget() throws Exception {
    java.util.List<RoundMetrics> rows = java.util.List.of(
        new RoundMetrics("cs", 1, 0.5, 1.2, 500, 500, 10, 9, 100, 2, 6, 210),
        new RoundMetrics("a|b", 1, 0.6, 1.2, 500, 500, 10, 9, 100, 2, 6, 210));
    try (MetricsCsv csv = MetricsCsv.create(dir.resolve("metrics.csv"))) {
      rows.forEach(csv::append);
    }
    String note = "\n## Aborted\n\nTraining stopped before its last round:\n\n- cs in round 2: no client answered\n";
    Files.writeString(dir.resolve(Report.SUMMARY), Report.render(dir, rows, 0.55) + note);

    assertEquals(0, CsflCommand.commandLine().execute("report", dir.toString()));
    String summary = Files.readString(dir.resolve(Report.SUMMARY));
    assertTrue(summary.contains("Target accuracy: 0.55."), summary);
    assertTrue(summary.endsWith(note), summary);
    assertTrue(summary.contains("| a\\|b | 1 |"), "a name with '|' stays one cell: " + summary);

    assertEquals(0, CsflCommand.commandLine().execute("report", dir.toString(), "--target", "0.755"));
    summary = Files.readString(dir.resolve(Report.SUMMARY));
    assertTrue(summary.contains("Target accuracy: 0.755."), "not rounded: " + summary);
    assertTrue(summary.endsWith(note), "once, at the end: " + summary);
    assertEquals(0, CsflCommand.commandLine().execute("report", dir.toString()));
    assertTrue(Files.readString(dir.resolve(Report.SUMMARY)).contains("Target accuracy: 0.755."), "kept as it was");
  }

  /** A run still writing its directory would replace the report at its end, or find its summary replaced. */
  @Test
  void aRunsDirectoryInUseIsRefused() throws Exception {
    try (MetricsCsv csv = MetricsCsv.create(dir.resolve("metrics.csv"))) {
      csv.append(new RoundMetrics("cs", 1, 0.5, 1.2, 500, 500, 10, 9, 100, 2, 6, 210));
    }
    java.io.StringWriter err = new java.io.StringWriter();
    try (RunLock running = RunLock.acquire(dir, "--out")) {
      picocli.CommandLine cl = CsflCommand.commandLine();
      cl.setErr(new java.io.PrintWriter(err));
      assertEquals(2, cl.execute("report", dir.toString()));
    }
    assertTrue(err.toString().startsWith("csfl: report " + dir + " is in use by another csfl run"), err.toString());
    assertTrue(Files.notExists(dir.resolve(Report.SUMMARY)), "nothing written");
    assertEquals(0, CsflCommand.commandLine().execute("report", dir.toString()), "free again once the run ended");
  }

  @Test
  void aDirectoryWithoutMetricsIsAUsageError() {
    assertEquals(2, CsflCommand.commandLine().execute("report", dir.resolve("none").toString()));
  }
}
