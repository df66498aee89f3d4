package io.csfl.metrics;

import java.util.Locale;

/**
 * One row of metrics.csv: one algorithm, one round.
 *
 * @param algorithm        the strategy's name as the run gives it (e.g. {@code cs}); no commas
 * @param round            the round, counted from 1
 * @param accuracy         test accuracy of the model the server ships after the round, in [0, 1]
 * @param loss             mean test cross-entropy of that model
 * @param bytesDown        serialized bytes of the round's messages to all selected clients
 * @param bytesUp          serialized bytes of all updates that arrived
 * @param clientsSelected  clients asked to train, summed over the round's attempts
 * @param clientsCompleted clients whose updates the aggregator accepted
 * @param clientTrainMs    local training time, summed over the clients that completed
 * @param clientOverheadMs client time outside training (decoding, masking, encoding), summed
 * @param serverMs         the aggregator's time: folding, aggregation, pruning
 * @param wallMs           the round from its start to the aggregated model, including retries; the
 *                         evaluation, which runs beside the next round, is not included
 */
public record RoundMetrics(String algorithm, int round, double accuracy, double loss, long bytesDown, long bytesUp,
                           int clientsSelected, int clientsCompleted, long clientTrainMs, long clientOverheadMs,
                           long serverMs, long wallMs) {
  /** The first line of metrics.csv: the column names, in the order of the record's components. */
  public static final String CSV_HEADER =
      "algorithm,round,accuracy,loss,bytes_down,bytes_up,clients_selected,clients_completed,"
          + "client_train_ms,client_overhead_ms,server_ms,wall_ms";

  /**
   * This row as a line of metrics.csv, without the line break: numbers in {@link Locale#ROOT},
   * accuracy and loss to six decimals, so {@link #parse} gives them back only to that precision.
   */
  public String toCsvRow() {
    return String.format(Locale.ROOT, "%s,%d,%.6f,%.6f,%d,%d,%d,%d,%d,%d,%d,%d", algorithm, round, accuracy, loss,
        bytesDown, bytesUp, clientsSelected, clientsCompleted, clientTrainMs, clientOverheadMs, serverMs, wallMs);
  }

  /**
   * Parses a row written by {@link #toCsvRow()}; an IllegalArgumentException names the column of a
   * value that no run writes: a round below 1, an accuracy outside [0, 1] (NaN among them), a
   * negative loss, count, byte or time. A cross-entropy is never negative, but it may be infinite
   * or NaN: a diverged model's is.
   */
  public static RoundMetrics parse(String row) {
    String[] f = row.split(",", -1);
    if (f.length != 12) {
      throw new IllegalArgumentException("metrics row has " + f.length + " fields, expected 12: " + row);
    }
    if (f[0].isBlank()) {
      throw new IllegalArgumentException("algorithm is empty");
    }
    long round = whole(f, 1, Integer.MAX_VALUE);
    if (round < 1) {
      throw new IllegalArgumentException("round must be at least 1, got " + f[1]);
    }
    double accuracy = number(f, 2);
    if (!(accuracy >= 0 && accuracy <= 1)) {
      throw new IllegalArgumentException("accuracy must be in [0, 1], got " + f[2]);
    }
    double loss = number(f, 3);
    if (loss < 0) {
      throw new IllegalArgumentException("loss must not be negative, got " + f[3]);
    }
    long selected = count(f, 6, Integer.MAX_VALUE);
    long completed = count(f, 7, Integer.MAX_VALUE);
    if (completed > selected) {
      throw new IllegalArgumentException("clients_completed (" + completed + ") exceeds clients_selected (" + selected + ")");
    }
    return new RoundMetrics(f[0], (int) round, accuracy, loss, count(f, 4), count(f, 5), (int) selected, (int) completed,
        count(f, 8), count(f, 9), count(f, 10), count(f, 11));
  }

  private static final String[] COLUMNS = CSV_HEADER.split(",");

  private static double number(String[] fields, int column) {
    try {
      return Double.parseDouble(fields[column]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(COLUMNS[column] + " is not a number: '" + fields[column] + "'");
    }
  }

  /** The whole number in {@code column}, at most {@code max}. */
  private static long whole(String[] fields, int column, long max) {
    long value;
    try {
      value = Long.parseLong(fields[column]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(COLUMNS[column] + " is not a whole number: '" + fields[column] + "'");
    }
    if (value > max) {
      throw new IllegalArgumentException(COLUMNS[column] + " is too large: " + fields[column]);
    }
    return value;
  }

  private static long count(String[] fields, int column) {
    return count(fields, column, Long.MAX_VALUE);
  }

  /** The whole number in {@code column}, from 0 to {@code max}. */
  private static long count(String[] fields, int column, long max) {
    long value = whole(fields, column, max);
    if (value < 0) {
      throw new IllegalArgumentException(COLUMNS[column] + " must not be negative, got " + fields[column]);
    }
    return value;
  }
}
