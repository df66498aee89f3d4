package io.csfl.bench;

import io.csfl.metrics.RoundMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Two comparisons decided from the data, per cell (means over seeds):
 * (a) some CS variant ends within 1 percentage point of FedAvg's final accuracy with at most 0.54
 * of its bytes; (b) some CS variant ends within 1 point of topk's final accuracy (or above) while
 * moving fewer bytes than topk in each direction.
 */
final class Goals {
  private static final double POINT = 0.01;

  private Goals() {}

  private record Mean(double finalAcc, double bytes, double down, double up) {}

  private static Mean mean(List<List<RoundMetrics>> runs) {
    double acc = 0;
    double bytes = 0;
    double down = 0;
    double up = 0;
    for (List<RoundMetrics> r : runs) {
      acc += r.get(r.size() - 1).accuracy();
      bytes += ResultsPage.total(r);
      up += ResultsPage.up(r);
      down += ResultsPage.total(r) - ResultsPage.up(r);
    }
    int n = runs.size();
    return new Mean(acc / n, bytes / n, down / n, up / n);
  }

  static String render(Map<String, Map<String, List<List<RoundMetrics>>>> byCell) {
    StringBuilder sb = new StringBuilder("## Two comparisons per cell\n\n");
    sb.append("(a) Is some CS variant within 1 point of FedAvg's final accuracy at no more than 0.54 of its\n"
        + "bytes? (b) Does some CS variant match topk's accuracy with fewer bytes in each direction?\n\n");
    sb.append("| cell | (a) CS variant within 1 pp of FedAvg at <= 0.54 of its bytes | (b) CS variant matching topk with fewer bytes each way |\n");
    sb.append("|---|---|---|\n");
    int metA = 0;
    int metB = 0;
    for (Map.Entry<String, Map<String, List<List<RoundMetrics>>>> cell : byCell.entrySet()) {
      Map<String, List<List<RoundMetrics>>> algos = cell.getValue();
      Mean fedavg = algos.containsKey("fedavg") ? mean(algos.get("fedavg")) : null;
      Mean topk = algos.containsKey("topk") ? mean(algos.get("topk")) : null;
      List<String> a = new ArrayList<>();
      List<String> b = new ArrayList<>();
      for (Map.Entry<String, List<List<RoundMetrics>>> e : algos.entrySet()) {
        if (!e.getKey().startsWith("cs")) {
          continue;
        }
        Mean m = mean(e.getValue());
        if (fedavg != null && m.finalAcc() >= fedavg.finalAcc() - POINT && m.bytes() <= 0.54 * fedavg.bytes()) {
          a.add(String.format(Locale.ROOT, "%s (%.4f vs %.4f, %.3f of bytes)", e.getKey(), m.finalAcc(), fedavg.finalAcc(), m.bytes() / fedavg.bytes()));
        }
        if (topk != null && m.finalAcc() >= topk.finalAcc() - POINT && m.down() < topk.down() && m.up() < topk.up()) {
          b.add(String.format(Locale.ROOT, "%s (%.4f vs %.4f)", e.getKey(), m.finalAcc(), topk.finalAcc()));
        }
      }
      metA += a.isEmpty() ? 0 : 1;
      metB += b.isEmpty() ? 0 : 1;
      sb.append("| ").append(cell.getKey()).append(" | ").append(a.isEmpty() ? "**not met**" : "met: " + String.join(", ", a))
          .append(" | ").append(b.isEmpty() ? "**not met**" : "met: " + String.join(", ", b)).append(" |\n");
    }
    sb.append(String.format(Locale.ROOT, "%n(a) holds in %d of %d cells and (b) in %d of %d.%n%n", metA, byCell.size(), metB, byCell.size()));
    return sb.toString();
  }
}
