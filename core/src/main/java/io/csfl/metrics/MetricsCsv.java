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

  public static MetricsCsv create(Path file) {
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      java.io.BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
      w.write(RoundMetrics.CSV_HEADER);
      w.newLine();
      w.flush();
      return new MetricsCsv(w);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  public synchronized void append(RoundMetrics m) {
    try {
      out.write(m.toCsvRow());
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

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
