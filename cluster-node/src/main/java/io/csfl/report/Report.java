package io.csfl.report;

import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a run directory's metrics.csv into three PNG charts (accuracy against rounds, against
 * cumulative traffic in both directions, and against cumulative uplink traffic) and summary.md.
 */
public final class Report {
  public static final String ACCURACY_BY_ROUND = "accuracy-by-round.png";
  public static final String ACCURACY_BY_MB = "accuracy-by-mb.png";
  public static final String ACCURACY_BY_UPLINK_MB = "accuracy-by-uplink-mb.png";
  public static final String SUMMARY = "summary.md";
  /** Every file the report writes into a run's directory: the summary and the three charts. */
  public static final java.util.List<String> FILES = java.util.List.of(SUMMARY, ACCURACY_BY_ROUND, ACCURACY_BY_MB, ACCURACY_BY_UPLINK_MB);

  /**
   * Headings of the notes a run adds to its summary when it is not whole (training aborted, rounds
   * missing from metrics.csv); the report's own summary has neither.
   */
  public static final List<String> NOTES = List.of("\n## Aborted\n", "\n## Incomplete metrics\n");
  private static final java.util.regex.Pattern TARGET_LINE = java.util.regex.Pattern.compile("(?m)^Target accuracy: ([0-9.Ee-]+)\\. ");

  private Report() {}

  /**
   * Writes the charts and summary.md into {@code dir} from its metrics.csv, for the report of a run
   * that is over; returns the summary's text. What metrics.csv cannot say is kept from the summary
   * the run wrote: its notes (why training stopped), and its target when {@code target} is empty.
   */
  public static String render(Path dir, java.util.OptionalDouble target) throws IOException {
    List<RoundMetrics> rows = MetricsCsv.read(dir.resolve("metrics.csv"));
    if (rows.isEmpty()) {
      throw new IllegalArgumentException(dir.resolve("metrics.csv") + " has no rows");
    }
    String earlier = java.nio.file.Files.exists(dir.resolve(SUMMARY)) ? java.nio.file.Files.readString(dir.resolve(SUMMARY)) : "";
    double used = target.orElse(earlierTarget(earlier).orElse(DEFAULT_TARGET));
    // One write, the notes with the rest: summary.md is their only record.
    return render(dir, rows, used, earlier.substring(notesStart(earlier)));
  }

  /** The accuracy target a report uses when neither the run nor the user gave one. */
  public static final double DEFAULT_TARGET = 0.70;

  /** Where the notes of {@code summary} start ({@link #NOTES}); its length when it has none. */
  public static int notesStart(String summary) {
    return NOTES.stream().mapToInt(summary::indexOf).filter(i -> i >= 0).min().orElse(summary.length());
  }

  /** The target {@code summary} was written for, if it says one in (0, 1]. */
  private static java.util.OptionalDouble earlierTarget(String summary) {
    java.util.regex.Matcher m = TARGET_LINE.matcher(summary);
    if (m.find()) {
      try {
        double t = Double.parseDouble(m.group(1));
        if (t > 0 && t <= 1) {
          return java.util.OptionalDouble.of(t);
        }
      } catch (NumberFormatException ignored) {
        // Not a summary this report wrote: the default target.
      }
    }
    return java.util.OptionalDouble.empty();
  }

  /**
   * Writes the charts and summary.md into {@code dir} from {@code rows}, the rounds of a run that
   * has just ended: its own record, whole even where metrics.csv could not be written.
   */
  public static String render(Path dir, List<RoundMetrics> rows, double target) throws IOException {
    return render(dir, rows, target, "");
  }

  /** As above, with {@code notes} ({@link #NOTES} sections, or nothing) at the summary's end. */
  private static String render(Path dir, List<RoundMetrics> rows, double target, String notes) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Map<String, List<RoundMetrics>> runs = new LinkedHashMap<>();
    for (RoundMetrics m : rows) {
      runs.computeIfAbsent(m.algorithm(), k -> new ArrayList<>()).add(m);
    }
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("no round to report");
    }
    Charts.accuracyChart(runs, "Accuracy by round", "round", Charts.round(), dir.resolve(ACCURACY_BY_ROUND));
    Charts.accuracyChart(runs, "Accuracy by traffic (both directions)", "cumulative MB, down + up",
        Charts.cumulativeMegabytes(m -> m.bytesDown() + m.bytesUp()), dir.resolve(ACCURACY_BY_MB));
    Charts.accuracyChart(runs, "Accuracy by uplink traffic", "cumulative MB, up",
        Charts.cumulativeMegabytes(RoundMetrics::bytesUp), dir.resolve(ACCURACY_BY_UPLINK_MB));
    String summary = summary(runs, target) + notes;
    io.csfl.internal.files.AtomicFiles.write(dir.resolve(SUMMARY), summary.getBytes(StandardCharsets.UTF_8), false);
    return summary;
  }

  static String summary(Map<String, List<RoundMetrics>> runs, double target) {
    List<AlgorithmSummary> rows = new ArrayList<>();
    runs.forEach((name, metrics) -> rows.add(AlgorithmSummary.of(name, metrics, target)));
    long fedavg = rows.stream().filter(r -> r.algorithm().equals("fedavg")).mapToLong(AlgorithmSummary::totalBytes).findFirst().orElse(0);
    StringBuilder sb = new StringBuilder();
    sb.append("# Summary\n\n");
    // Two decimals unless the target has more: read back by a later report, it must stay the run's.
    String shown = Math.abs(target * 100 - Math.rint(target * 100)) < 1e-9 ? String.format(Locale.ROOT, "%.2f", target) : Double.toString(target);
    sb.append(String.format(Locale.ROOT, "Target accuracy: %s. Bytes are serialized message sizes; MB = 10^6 bytes.%n%n", shown));
    sb.append("| algorithm | rounds | final acc | best acc | round to target | MB to target | MB down | MB up | MB total | total vs fedavg | client train s | client overhead s |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (AlgorithmSummary r : rows) {
      sb.append(String.format(Locale.ROOT, "| %s | %d | %.4f | %.4f | %s | %s | %.2f | %.2f | %.2f | %s | %.1f | %.2f |%n",
          r.algorithm().replace("|", "\\|"), r.rounds(), r.finalAccuracy(), r.bestAccuracy(),
          r.roundToTarget().isPresent() ? String.valueOf(r.roundToTarget().getAsInt()) : "not reached",
          r.roundToTarget().isPresent() ? String.format(Locale.ROOT, "%.2f", r.bytesToTarget() / 1e6) : "-",
          r.bytesDown() / 1e6, r.bytesUp() / 1e6, r.totalBytes() / 1e6,
          fedavg > 0 ? String.format(Locale.ROOT, "%.4f", (double) r.totalBytes() / fedavg) : "-",
          r.clientTrainMs() / 1e3, r.clientOverheadMs() / 1e3));
    }
    sb.append("\n![accuracy by round](").append(ACCURACY_BY_ROUND).append(")\n");
    sb.append("![accuracy by traffic](").append(ACCURACY_BY_MB).append(")\n");
    sb.append("![accuracy by uplink traffic](").append(ACCURACY_BY_UPLINK_MB).append(")\n");
    return sb.toString();
  }
}
