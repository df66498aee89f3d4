package io.csfl.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

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
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
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
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static MetricsCsv withHeader(java.io.BufferedWriter w) throws IOException {
    w.write(RoundMetrics.CSV_HEADER);
    w.newLine();
    w.flush();
    return new MetricsCsv(w);
  }

  private static boolean endsWithNewline(Path file) throws IOException {
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
   * with {@link RoundMetrics#CSV_HEADER} or a row does not parse, UncheckedIOException if it cannot
   * be read.
   */
  public static List<RoundMetrics> read(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      if (lines.isEmpty() || !lines.get(0).equals(RoundMetrics.CSV_HEADER)) {
        throw new IllegalArgumentException(file + " does not start with the metrics header");
      }
      return lines.stream().skip(1).filter(l -> !l.isBlank()).map(RoundMetrics::parse).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
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
