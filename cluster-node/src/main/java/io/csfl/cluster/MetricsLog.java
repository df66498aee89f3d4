package io.csfl.cluster;

import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

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
   * come. Rows the checkpoint has and the file lacks (a server that stopped between checkpoint
   * and row) are appended. Rows past the checkpoint, of rounds that will be run again, are
   * removed by an atomic rewrite, with a warning, so no round is in the file twice; other
   * algorithms' rows stay as they are.
   */
  synchronized void startAfter(String algorithm, List<RoundMetrics> committed) {
    close();
    rows.clear();
    rows.addAll(committed);
    List<RoundMetrics> existing = Files.exists(file) && size() > 0 ? MetricsCsv.read(file) : List.of();
    List<RoundMetrics> mine = existing.stream().filter(m -> m.algorithm().equals(algorithm)).toList();
    boolean prefix = mine.size() <= committed.size();
    for (int i = 0; prefix && i < mine.size(); i++) {
      prefix = mine.get(i).round() == committed.get(i).round();
    }
    if (!prefix) {
      System.err.printf("csfl node: %s holds %d %s rows, the checkpoint %d; rounds past the checkpoint are run again, "
          + "so their rows are removed%n", file, mine.size(), algorithm, committed.size());
      List<RoundMetrics> kept = new ArrayList<>(existing.stream().filter(m -> !m.algorithm().equals(algorithm)).toList());
      kept.addAll(committed);
      rewrite(kept);
      mine = committed;
    }
    csv = MetricsCsv.openAppending(file);
    committed.subList(mine.size(), committed.size()).forEach(csv::append);
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

  private long size() {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Temporary file, fsync, rename: a crash leaves the old file or the new one, never half of one. */
  private void rewrite(List<RoundMetrics> kept) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    StringBuilder text = new StringBuilder(RoundMetrics.CSV_HEADER).append('\n');
    kept.forEach(m -> text.append(m.toCsvRow()).append('\n'));
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite " + file + ": " + e.getMessage(), e);
    }
  }
}
