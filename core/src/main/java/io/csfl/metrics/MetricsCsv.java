package io.csfl.metrics;

import io.csfl.internal.files.FileProblems;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Writes metrics.csv row by row (flushed each round, so a long run can be watched) and reads it back. */
public final class MetricsCsv implements AutoCloseable {
  private final java.io.BufferedWriter out;

  private MetricsCsv(java.io.BufferedWriter out) {
    this.out = out;
  }

  /** A new metrics.csv, replacing any file of that name: for a file this program owns (a merge in progress). */
  public static MetricsCsv create(Path file) {
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      return withHeader(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + FileProblems.writing(file, e), e);
    }
  }

  /**
   * Opens {@code file} to add rows after those it holds, never truncating it: what an earlier run
   * wrote stays. A new or empty file gets the header; a file that does not start with the header
   * is refused, not appended to.
   */
  public static MetricsCsv openAppending(Path file) {
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      boolean fresh = !Files.exists(file) || Files.size(file) == 0;
      if (!fresh) {
        String first;
        try (java.io.BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          first = r.readLine();
        }
        if (!RoundMetrics.CSV_HEADER.equals(first)) {
          throw new IllegalArgumentException(file + " does not start with the metrics header; not appending to it");
        }
        if (!endsWithNewline(file)) {
          throw new IllegalArgumentException(file + " ends in a partial row; not appending to it");
        }
      }
      java.io.BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
      return fresh ? withHeader(w) : new MetricsCsv(w);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + FileProblems.writing(file, e), e);
    }
  }

  private static MetricsCsv withHeader(java.io.BufferedWriter w) throws IOException {
    w.write(RoundMetrics.CSV_HEADER);
    w.newLine();
    w.flush();
    return new MetricsCsv(w);
  }

  /**
   * Whether the non-empty {@code file} ends with a line break: otherwise its last row was cut short
   * during its write (a crash, a full disk), which a resume's {@link #reconcile} drops.
   */
  public static boolean endsWithNewline(Path file) throws IOException {
    try (java.nio.channels.SeekableByteChannel ch = Files.newByteChannel(file)) {
      java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
      ch.position(ch.size() - 1).read(last);
      return last.get(0) == '\n';
    }
  }

  /**
   * Writes {@code m} as one row and flushes it, so the file is current after every round; throws
   * UncheckedIOException if the write fails.
   */
  public synchronized void append(RoundMetrics m) {
    try {
      out.write(m.toCsvRow());
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The rows of {@code file}, skipping blank lines; IllegalArgumentException if it does not start
   * with {@link RoundMetrics#CSV_HEADER}, a row does not parse or holds a value no run writes, or
   * an algorithm's round appears twice; UncheckedIOException if it cannot be read.
   */
  public static List<RoundMetrics> read(Path file) {
    try {
      return rows(file, Files.readAllLines(file, StandardCharsets.UTF_8), Set.of());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + FileProblems.reading(file, e), e);
    }
  }

  /**
   * Brings {@code file} in line with the rounds a resumed run has committed (checkpointed), before
   * that run appends to it: for every algorithm in {@code committed} the file ends up holding exactly
   * those rows, in round order. Rows a checkpoint has and the file lacks (a crash between checkpoint
   * and row) are appended; rows past the checkpoint, of rounds that will run again (the newest
   * checkpoint was unusable), are removed; a last row cut short by a crash during its write is
   * dropped. Rows of other algorithms stay. When rows must go, the file is rewritten atomically
   * (temporary file, fsync, rename), so a crash now leaves the old file or the new one. Returns one
   * line per change of that kind, for the caller to show. Rows of an algorithm in {@code committed}
   * that repeat a round or come out of order (a server cut off from its cluster may have run a
   * round of its own) are written again from the checkpoint too. Throws IllegalArgumentException
   * when the file does not start with the header or another complete row is refused as
   * {@link #read} refuses it.
   */
  public static List<String> reconcile(Path file, Map<String, List<RoundMetrics>> committed) {
    List<String> notes = new ArrayList<>();
    try {
      byte[] bytes = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
      int end = bytes.length;
      while (end > 0 && bytes[end - 1] != '\n') {
        end--;
      }
      boolean torn = end < bytes.length;
      if (torn) {
        // Cut before decoding: what a crash left may not even be UTF-8.
        notes.add(file + " ended in a row cut short during its write (a crash, or a full disk); that row is dropped");
      }
      String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
      // The rounds of an algorithm the checkpoints record are checked against them below: rows that
      // repeat a round (a server cut off from the cluster, which ran a round of its own) are rewritten.
      List<RoundMetrics> rows = text.isEmpty() ? List.of() : rows(file, text.lines().toList(), committed.keySet());
      // The file's rows by algorithm, in the order the algorithms first appear.
      Map<String, List<RoundMetrics>> groups = new LinkedHashMap<>();
      rows.forEach(m -> groups.computeIfAbsent(m.algorithm(), a -> new ArrayList<>()).add(m));
      // A byte-order mark (a spreadsheet saved the file) is read, but appending wants the header itself first.
      boolean rewrite = torn || text.startsWith("\uFEFF");
      for (Map.Entry<String, List<RoundMetrics>> e : committed.entrySet()) {
        List<RoundMetrics> mine = groups.getOrDefault(e.getKey(), List.of());
        if (!isRoundPrefix(mine, e.getValue())) {
          notes.add(isInOrder(mine)
              ? String.format("%s holds %d %s rows, its checkpoint %d; the rounds past the checkpoint run again, "
                  + "so their rows are removed", file, mine.size(), e.getKey(), e.getValue().size())
              : String.format("%s holds %s rows that repeat a round or come out of order; they are written again from "
                  + "its checkpoint, the record", file, e.getKey()));
          rewrite = true;
        }
      }
      if (rewrite) {
        committed.forEach(groups::put);
        StringBuilder out = new StringBuilder(RoundMetrics.CSV_HEADER).append('\n');
        groups.values().forEach(g -> g.forEach(m -> out.append(m.toCsvRow()).append('\n')));
        io.csfl.internal.files.AtomicFiles.write(file, out.toString().getBytes(StandardCharsets.UTF_8), false);
        return notes;
      }
      try (MetricsCsv csv = openAppending(file)) {
        committed.forEach((algorithm, rounds) ->
            rounds.subList(groups.getOrDefault(algorithm, List.of()).size(), rounds.size()).forEach(csv::append));
      }
      return notes;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + FileProblems.writing(file, e), e);
    }
  }

  /**
   * The rows of {@code file}'s {@code lines}, skipping blank ones, after the header it must start
   * with (after a byte-order mark, if any); IllegalArgumentException naming the line of a row that
   * does not parse, holds a value no run writes ({@link RoundMetrics#parse}), or repeats a round of
   * its algorithm or comes after a later one (but for the algorithms of {@code unchecked}).
   */
  private static List<RoundMetrics> rows(Path file, List<String> lines, Set<String> unchecked) {
    // A spreadsheet that saved the file may have put a byte-order mark before the header.
    if (!lines.isEmpty() && lines.get(0).startsWith("\uFEFF")) {
      lines = new ArrayList<>(lines);
      lines.set(0, lines.get(0).substring(1));
    }
    if (lines.isEmpty() || !lines.get(0).equals(RoundMetrics.CSV_HEADER)) {
      throw new IllegalArgumentException(file + " is not a CSFL metrics file: line 1 is not the header " + RoundMetrics.CSV_HEADER);
    }
    List<RoundMetrics> rows = new ArrayList<>();
    // Where each algorithm's rounds were seen: a run writes each round's row once.
    Map<String, java.util.TreeMap<Integer, Integer>> seen = new java.util.HashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      RoundMetrics m;
      try {
        m = RoundMetrics.parse(lines.get(i));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
      }
      if (unchecked.contains(m.algorithm())) {
        rows.add(m);
        continue;
      }
      java.util.TreeMap<Integer, Integer> rounds = seen.computeIfAbsent(m.algorithm(), a -> new java.util.TreeMap<>());
      Integer before = rounds.putIfAbsent(m.round(), i + 1);
      if (before != null) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": round " + m.round() + " of " + m.algorithm()
            + " appears twice (also on line " + before + ")");
      }
      int last = rounds.lastKey();
      if (last > m.round()) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": round " + m.round() + " of " + m.algorithm()
            + " comes after its round " + last + " (line " + rounds.get(last) + "); a run writes its rounds in order");
      }
      rows.add(m);
    }
    return rows;
  }

  /** Whether {@code rows} hold each round once, in increasing order. */
  private static boolean isInOrder(List<RoundMetrics> rows) {
    for (int i = 1; i < rows.size(); i++) {
      if (rows.get(i).round() <= rows.get(i - 1).round()) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code rows} are the first rounds of {@code committed}, round by round. */
  private static boolean isRoundPrefix(List<RoundMetrics> rows, List<RoundMetrics> committed) {
    if (rows.size() > committed.size()) {
      return false;
    }
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i).round() != committed.get(i).round()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
