package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.GlobalMagnitudePruner;
import io.csfl.strategy.MagnitudePruner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** --pruner chooses how the aggregator computes CS's masks. */
class PrunerFlagTest {
  @TempDir
  Path out;

  private static List<FederatedStrategy> strategies(String... args) {
    CommandLine.ParseResult parsed = CsflCommand.commandLine().parseArgs(args);
    return ((SimulateCommand) parsed.subcommand().commandSpec().userObject()).federation.strategies();
  }

  @Test
  void perTensorIsTheDefaultAndGlobalReachesEveryAlgorithmWhateverTheAggregation() {
    for (FederatedStrategy s : strategies("simulate", "--algorithm", "fedavg,cs")) {
      assertInstanceOf(MagnitudePruner.class, s.pruner(), s.name());
    }
    for (FederatedStrategy s : strategies("simulate", "--algorithm", "fedavg,cs", "--pruner", "global", "--aggregation", "median")) {
      assertInstanceOf(GlobalMagnitudePruner.class, s.pruner(), s.name());
    }
  }

  @Test
  void anUnknownPrunerIsAUsageErrorNamingTheFlag() {
    CommandLine cl = CsflCommand.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    int code = cl.execute("simulate", "--pruner", "layerwise", "--data-dir", SimulateCommandTest.repoData().toString(),
        "--out", out.toString());
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("--pruner must be per-tensor or global, got 'layerwise'"), err.toString());
  }

  @Test
  void csRunsWithGlobalPruningOnRealFashionMnist() throws Exception {
    CommandLine cl = CsflCommand.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    int code = cl.execute("simulate", "--algorithm", "cs", "--pruner", "global", "--data-dir", SimulateCommandTest.repoData().toString(),
        "--clients", "10", "--per-round", "2", "--rounds", "4", "--partition", "iid", "--local-epochs", "1",
        "--eval-examples", "1000", "--seed", "3", "--out", out.toString());
    assertEquals(0, code, err.toString());
    List<RoundMetrics> rows = MetricsCsv.read(out.resolve("metrics.csv"));
    assertEquals(4, rows.size());
    // Round 1 is dense; from round 2 on the server sends the masked model, so it costs less.
    assertTrue(rows.get(3).bytesDown() < 0.8 * rows.get(0).bytesDown(), rows.get(3).bytesDown() + " vs " + rows.get(0).bytesDown());
    assertTrue(rows.get(3).accuracy() > 0.3, "accuracy " + rows.get(3).accuracy());
  }
}
