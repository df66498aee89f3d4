package io.csfl.bench;

import io.csfl.metrics.RoundMetrics;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/** The markdown of the experiment grid: one table per cell, mean +- std over seeds. */
final class ResultsPage {
  private ResultsPage() {}

  static String render(String model, int rounds, List<Long> seeds, Map<String, Map<String, List<List<RoundMetrics>>>> byCell,
                       Map<String, List<String>> commands, BiFunction<String, String, String> chart) {
    StringBuilder sb = new StringBuilder();
    sb.append(Goals.render(byCell));
    sb.append("## Grid: model ").append(model).append(", ").append(rounds).append(" rounds, seeds ").append(seeds).append("\n\n");
    sb.append("Per cell: final and best test accuracy, and total and uplink traffic relative to FedAvg in the same run, "
        + "as mean +- standard deviation over the seeds. 100 clients, 10 per round, batch 64.\n\n");
    for (Map.Entry<String, Map<String, List<List<RoundMetrics>>>> cell : byCell.entrySet()) {
      sb.append("### ").append(cell.getKey()).append("\n\n");
      sb.append("| algorithm | final acc | best acc | bytes vs fedavg | uplink vs fedavg | gap to fedavg final (pp) |\n");
      sb.append("|---|---:|---:|---:|---:|---:|\n");
      List<List<RoundMetrics>> fedavg = cell.getValue().get("fedavg");
      for (Map.Entry<String, List<List<RoundMetrics>>> algo : cell.getValue().entrySet()) {
        List<List<RoundMetrics>> runs = algo.getValue();
        double[] fin = new double[runs.size()];
        double[] best = new double[runs.size()];
        double[] ratio = new double[runs.size()];
        double[] upRatio = new double[runs.size()];
        double[] gap = new double[runs.size()];
        for (int i = 0; i < runs.size(); i++) {
          List<RoundMetrics> r = runs.get(i);
          fin[i] = r.get(r.size() - 1).accuracy();
          best[i] = r.stream().mapToDouble(RoundMetrics::accuracy).max().orElse(0);
          if (fedavg != null && i < fedavg.size()) {
            List<RoundMetrics> f = fedavg.get(i);
            ratio[i] = (double) total(r) / total(f);
            upRatio[i] = (double) up(r) / up(f);
            gap[i] = 100 * (fin[i] - f.get(f.size() - 1).accuracy());
          }
        }
        sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", algo.getKey(), pm(fin, 4), pm(best, 4),
            pm(ratio, 4), pm(upRatio, 4), pm(gap, 1)));
      }
      sb.append("\n![accuracy by traffic](").append(chart.apply(cell.getKey(), "accuracy-by-mb.png")).append(") ");
      sb.append("![accuracy by round](").append(chart.apply(cell.getKey(), "accuracy-by-round.png")).append(")\n\n");
      sb.append("<details><summary>commands</summary>\n\n```bash\n");
      commands.getOrDefault(cell.getKey(), List.of()).forEach(c -> sb.append(c).append('\n'));
      sb.append("```\n</details>\n\n");
    }
    return sb.toString();
  }

  static long total(List<RoundMetrics> r) {
    return r.stream().mapToLong(m -> m.bytesDown() + m.bytesUp()).sum();
  }

  static long up(List<RoundMetrics> r) {
    return r.stream().mapToLong(RoundMetrics::bytesUp).sum();
  }

  static String pm(double[] v, int decimals) {
    double mean = 0;
    for (double x : v) {
      mean += x;
    }
    mean /= v.length;
    double var = 0;
    for (double x : v) {
      var += (x - mean) * (x - mean);
    }
    double std = v.length > 1 ? Math.sqrt(var / (v.length - 1)) : 0;
    String f = "%." + decimals + "f";
    return String.format(Locale.ROOT, f + " +- " + f, mean, std);
  }
}
