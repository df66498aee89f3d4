package io.csfl.node;

import io.csfl.metrics.RoundMetrics;
import java.util.List;
import java.util.Map;

/** The end-of-run table: accuracy and traffic per algorithm, traffic relative to FedAvg's. */
final class SummaryTable {
  private SummaryTable() {}

  static String render(Map<String, List<RoundMetrics>> results) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("| %-9s | %6s | %9s | %8s | %10s | %10s | %10s | %9s | %11s |%n",
        "algorithm", "rounds", "final acc", "best acc", "down MB", "up MB", "total MB", "vs fedavg", "client ms"));
    sb.append("|-----------|-------:|----------:|---------:|-----------:|-----------:|-----------:|----------:|------------:|\n");
    List<RoundMetrics> fedavg = results.get("fedavg");
    long fedavgBytes = fedavg == null ? 0 : total(fedavg);
    for (Map.Entry<String, List<RoundMetrics>> e : results.entrySet()) {
      List<RoundMetrics> rs = e.getValue();
      long down = rs.stream().mapToLong(RoundMetrics::bytesDown).sum();
      long up = rs.stream().mapToLong(RoundMetrics::bytesUp).sum();
      double best = rs.stream().mapToDouble(RoundMetrics::accuracy).max().orElse(0);
      long clientMs = rs.stream().mapToLong(r -> r.clientTrainMs() + r.clientOverheadMs()).sum();
      String ratio = fedavgBytes > 0 ? String.format("%.4f", (double) (down + up) / fedavgBytes) : "-";
      sb.append(String.format("| %-9s | %6d | %9.4f | %8.4f | %10.2f | %10.2f | %10.2f | %9s | %11d |%n",
          e.getKey(), rs.size(), rs.get(rs.size() - 1).accuracy(), best, down / 1e6, up / 1e6, (down + up) / 1e6, ratio, clientMs));
    }
    return sb.toString();
  }

  private static long total(List<RoundMetrics> rs) {
    return rs.stream().mapToLong(r -> r.bytesDown() + r.bytesUp()).sum();
  }
}
