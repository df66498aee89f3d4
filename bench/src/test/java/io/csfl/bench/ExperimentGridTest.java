package io.csfl.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The grid passes simulate's own flags through and lets simulate's parser judge them before anything runs. */
class ExperimentGridTest {
  @TempDir
  Path dir;

  private int run(StringWriter err, String... args) {
    CommandLine cl = new CommandLine(new ExperimentGrid());
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  private String[] grid(String... extra) {
    String[] base = {"--render-only", "--out", dir.resolve("grid").toString(), "--results", dir.resolve("results.md").toString(),
        "--partitions", "iid", "--settings", "sgd-1ep", "--seeds", "1", "--algorithms", "fedavg"};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return all;
  }

  @Test
  void aMisspeltOrConflictingSimulateFlagFailsBeforeAnyRun() {
    StringWriter err = new StringWriter();
    assertEquals(2, run(err, grid("--lerning-rate", "0.1")));
    assertTrue(err.toString().contains("simulate would refuse the grid's runs") && err.toString().contains("--lerning-rate"), err.toString());
    err = new StringWriter();
    assertEquals(2, run(err, grid("--lr", "0.1")), "sgd-1ep sets --lr itself");
    assertTrue(err.toString().contains("--lr"), err.toString());
  }

  @Test
  void theGridsAxesCannotBePassedThrough() {
    StringWriter err = new StringWriter();
    assertEquals(2, run(err, grid("--seed", "4")));
    assertTrue(err.toString().contains("--seed is set by the grid"), err.toString());
  }

  @Test
  void passedFlagsReachEveryRunsCommandAndTheModelNamesItsDirectory() throws Exception {
    Path grid = dir.resolve("grid");
    // A finished run for the one cell, so --render-only has metrics to read.
    Path cell = grid.resolve("logreg_iid_sgd-1ep_seed1");
    Files.createDirectories(cell);
    Files.writeString(cell.resolve("metrics.csv"), io.csfl.metrics.RoundMetrics.CSV_HEADER + "\n"
        + "fedavg,1,0.5,1.0,10,10,2,2,5,1,1,9\nfedavg,2,0.6,0.9,10,10,2,2,5,1,1,9\n");
    StringWriter err = new StringWriter();
    assertEquals(0, run(err, grid("--model", "logreg", "--rounds", "2", "--dataset", "synthetic:1,1")), err.toString());
    String page = Files.readString(dir.resolve("results.md"));
    assertTrue(page.contains("--model logreg --rounds 2 --dataset synthetic:1,1 --optimizer sgd"), page);
  }
}
