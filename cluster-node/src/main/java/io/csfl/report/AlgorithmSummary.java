package io.csfl.report;

import io.csfl.metrics.RoundMetrics;
import java.util.List;
import java.util.OptionalInt;

/** What summary.md says of one algorithm's run, computed from its metrics rows. */
record AlgorithmSummary(String algorithm, int rounds, double finalAccuracy, double bestAccuracy, long bytesDown,
                        long bytesUp, OptionalInt roundToTarget, long bytesToTarget, long clientTrainMs,
                        long clientOverheadMs) {
  static AlgorithmSummary of(String algorithm, List<RoundMetrics> rows, double target) {
    long down = 0;
    long up = 0;
    OptionalInt reached = OptionalInt.empty();
    long bytesAtTarget = -1;
    for (RoundMetrics m : rows) {
      down += m.bytesDown();
      up += m.bytesUp();
      if (reached.isEmpty() && m.accuracy() >= target) {
        reached = OptionalInt.of(m.round());
        bytesAtTarget = down + up;
      }
    }
    return new AlgorithmSummary(algorithm, rows.size(), rows.get(rows.size() - 1).accuracy(),
        rows.stream().mapToDouble(RoundMetrics::accuracy).max().orElse(0), down, up, reached, bytesAtTarget,
        rows.stream().mapToLong(RoundMetrics::clientTrainMs).sum(), rows.stream().mapToLong(RoundMetrics::clientOverheadMs).sum());
  }

  long totalBytes() {
    return bytesDown + bytesUp;
  }
}
