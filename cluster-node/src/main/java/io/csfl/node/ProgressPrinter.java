package io.csfl.node;

import io.csfl.metrics.RoundMetrics;
import java.util.List;

/** One line per round: algorithm, round, accuracy, traffic so far, time. */
final class ProgressPrinter {
  private final int rounds;

  ProgressPrinter(int rounds) {
    this.rounds = rounds;
  }

  void round(RoundMetrics m, List<RoundMetrics> soFar) {
    long bytes = soFar.stream().mapToLong(r -> r.bytesDown() + r.bytesUp()).sum();
    long wall = soFar.stream().mapToLong(RoundMetrics::wallMs).sum();
    System.out.printf("[%-8s] round %3d/%d  acc %.4f  loss %.4f  clients %d/%d  round %.2f MB  total %8.2f MB  %6.1f s%n",
        m.algorithm(), m.round(), rounds, m.accuracy(), m.loss(), m.clientsCompleted(), m.clientsSelected(),
        (m.bytesDown() + m.bytesUp()) / 1e6, bytes / 1e6, wall / 1e3);
  }
}
