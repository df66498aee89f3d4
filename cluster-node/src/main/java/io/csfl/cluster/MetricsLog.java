package io.csfl.cluster;

import io.csfl.internal.files.FileProblems;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The metrics.csv of a run, which a failed write does not stop. A row that cannot be written (a
 * full disk, say) is kept with the run's other rows; the failure is said once, and after each
 * later round the file is brought in line with every row kept, as a resumed run's is (a row cut
 * short by the failure is dropped, the missing ones added), until that succeeds. Training goes
 * on meanwhile: its checkpoints hold the same rows. {@link #finish} says whether the file ended
 * up whole.
 *
 * <p>On a server node it is opened only when this node's server starts, never before: on a
 * standby node, whose {@code --out} is the active server's too, opening it earlier would hold a
 * file the active server may still replace. Thread-safe: the server's start and the metrics sink
 * use it from different actors.
 */
public final class MetricsLog {
  /** How the rows reach the file: through {@link MetricsCsv}; a test's can fail as a full disk does. */
  interface Disk {
    RowWriter open(Path file);

    List<String> reconcile(Path file, Map<String, List<RoundMetrics>> rows);
  }

  /** An open metrics.csv. */
  interface RowWriter {
    void append(RoundMetrics m);

    void close();
  }

  private static final Disk METRICS_CSV = new Disk() {
    @Override
    public RowWriter open(Path file) {
      MetricsCsv csv = MetricsCsv.openAppending(file);
      return new RowWriter() {
        @Override
        public void append(RoundMetrics m) {
          csv.append(m);
        }

        @Override
        public void close() {
          csv.close();
        }
      };
    }

    @Override
    public List<String> reconcile(Path file, Map<String, List<RoundMetrics>> rows) {
      return MetricsCsv.reconcile(file, rows);
    }
  };

  private final Path file;
  private final Disk disk;
  private final Consumer<String> say;
  /** Every row of the run, by algorithm: the checkpoints' and those appended since. */
  private final Map<String, List<RoundMetrics>> rows = new LinkedHashMap<>();
  private RowWriter csv;
  /** Why the file lacks rows that {@link #rows} has; null while it holds them all. */
  private String behind;

  /** A log of {@code file}; {@code say} shows a line about it (a failed write, the file whole again). */
  public MetricsLog(Path file, Consumer<String> say) {
    this(file, METRICS_CSV, say);
  }

  MetricsLog(Path file, Disk disk, Consumer<String> say) {
    this.file = file;
    this.disk = disk;
    this.say = say;
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
    restart(Map.of(algorithm, committed));
    disk.reconcile(file, Map.of(algorithm, committed)).forEach(say);
    csv = disk.open(file);
  }

  /**
   * Opens the file for the rows to come, after {@code committed} (each algorithm's rows so far,
   * which the file holds already); throws as {@link MetricsCsv#openAppending} does: a file that
   * cannot be opened at the start is a run that cannot start.
   */
  public synchronized void open(Map<String, List<RoundMetrics>> committed) {
    restart(committed);
    csv = disk.open(file);
  }

  /** Closes the file and keeps {@code committed} as the only rows, none of them behind. */
  private void restart(Map<String, List<RoundMetrics>> committed) {
    closeQuietly();
    rows.clear();
    behind = null;
    committed.forEach((algorithm, done) -> rows.put(algorithm, new ArrayList<>(done)));
  }

  /** Adds round {@code m}: to the file, or, where that fails, to the rows kept for it; never throws for the file's sake. */
  public synchronized void append(RoundMetrics m) {
    rows.computeIfAbsent(m.algorithm(), a -> new ArrayList<>()).add(m);
    if (behind == null) {
      try {
        if (csv == null) {
          csv = disk.open(file);
        }
        csv.append(m);
        return;
      } catch (UncheckedIOException | IllegalArgumentException e) {
        behind = problem(e);
        closeQuietly();
        say.accept("cannot add round " + m.round() + " of " + m.algorithm() + " to " + file + ": " + behind
            + "; training goes on, and the file is completed from the rows kept once it can be written");
        return;
      }
    }
    catchUp();
  }

  /**
   * Tries once more to complete the file, then closes it.
   *
   * @return null if the file holds every round of the run; else why it does not
   */
  public synchronized String finish() {
    if (behind != null) {
      catchUp();
    }
    closeQuietly();
    return behind == null ? null : file + " lacks rounds that could not be written (" + behind + ")";
  }

  /** The rounds of this run so far: the checkpoints' and those appended since, in the order their algorithms began. */
  public synchronized List<RoundMetrics> rows() {
    return rows.values().stream().flatMap(List::stream).toList();
  }

  synchronized void close() {
    if (csv != null) {
      csv.close();
      csv = null;
    }
  }

  /** Brings the file in line with every row kept and opens it again; stays behind, quietly, if that fails too. */
  private void catchUp() {
    try {
      List<String> notes = disk.reconcile(file, rows);
      csv = disk.open(file);
      behind = null;
      notes.forEach(say);
      say.accept(file + " holds every round again");
    } catch (UncheckedIOException | IllegalArgumentException e) {
      closeQuietly();
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (UncheckedIOException e) {
      csv = null; // its buffer could not be flushed: the rows kept are the record
    }
  }

  private String problem(RuntimeException e) {
    // MetricsCsv.append's carries the bare IOException ("No space left on device"), which names no file.
    if (e instanceof UncheckedIOException u && u.getMessage() != null && u.getMessage().equals(u.getCause().toString())) {
      return FileProblems.writing(file, u.getCause());
    }
    return e.getMessage();
  }
}
