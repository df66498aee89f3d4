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

  /** Parses a row written by {@link #toCsvRow()}. */
  public static RoundMetrics parse(String row) {
    String[] f = row.split(",", -1);
    if (f.length != 12) {
      throw new IllegalArgumentException("metrics row has " + f.length + " fields, expected 12: " + row);
    }
    return new RoundMetrics(f[0], Integer.parseInt(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
        Long.parseLong(f[4]), Long.parseLong(f[5]), Integer.parseInt(f[6]), Integer.parseInt(f[7]),
        Long.parseLong(f[8]), Long.parseLong(f[9]), Long.parseLong(f[10]), Long.parseLong(f[11]));
  }
}
