package io.csfl.cluster;

import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The metrics.csv of a server node. It is opened only when this node's server starts, never
 * before: on a standby node, whose {@code --out} is the active server's too, opening it earlier
 * would hold a file the active server may still replace. Thread-safe: the server's start and
 * the metrics sink use it from different actors.
 */
final class MetricsLog {
  private final Path file;
  private final List<RoundMetrics> rows = new ArrayList<>();
  private MetricsCsv csv;

  MetricsLog(Path file) {
    this.file = file;
  }

  /**
   * Makes the file hold exactly {@code committed} for {@code algorithm} (the rounds of the
   * checkpoint this server continues from; none for a fresh run) and opens it for the rows to
   * come, as {@link MetricsCsv#reconcile} does: rows the checkpoint has and the file lacks (a
   * server that stopped between checkpoint and row) are appended; rows past the checkpoint, of
   * rounds that will be run again, and a last row cut short by a crash are removed by an atomic
   * rewrite, with a warning, so no round is in the file twice or half; other algorithms' rows
   * stay as they are.
   */
  synchronized void startAfter(String algorithm, List<RoundMetrics> committed) {
    close();
    rows.clear();
    rows.addAll(committed);
    MetricsCsv.reconcile(file, Map.of(algorithm, committed)).forEach(note -> System.err.println("csfl node: " + note));
    csv = MetricsCsv.openAppending(file);
  }

  synchronized void append(RoundMetrics m) {
    if (csv == null) {
      csv = MetricsCsv.openAppending(file);
    }
    rows.add(m);
    csv.append(m);
  }

  /** The rounds of this run so far: the checkpoint's and those appended since. */
  synchronized List<RoundMetrics> rows() {
    return List.copyOf(rows);
  }

  synchronized void close() {
    if (csv != null) {
      csv.close();
      csv = null;
    }
  }
}
