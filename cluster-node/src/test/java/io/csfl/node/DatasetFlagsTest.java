package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** --dataset and its flags through the CLI's own code path, in-process. */
class DatasetFlagsTest {
  @TempDir
  Path dir;

  private record Result(int exitCode, String out, String err) {}

  private static Result run(String... args) {
    CommandLine cl = CsflCommand.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      code = cl.execute(args);
    } finally {
      System.setOut(stdout);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    stdout.print(out);
    return new Result(code, out, err.toString());
  }

  @Test
  void syntheticTrainsOnItsThirtyDevicesSplitNaturally() throws IOException {
    Path out = dir.resolve("synthetic");
    Result r = run("simulate", "--dataset", "synthetic:1,1", "--algorithm", "fedavg,cs", "--model", "logreg", "--rounds", "3",
        "--optimizer", "sgd", "--lr", "0.01", "--batch-size", "10", "--local-epochs", "2", "--seed", "2", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("partition natural: 30 clients"), r.out());
    assertTrue(r.out().contains("model logreg (610 parameters)"), r.out());
    List<RoundMetrics> rows = MetricsCsv.read(out.resolve("metrics.csv"));
    assertEquals(6, rows.size());
    RoundMetrics last = rows.stream().filter(m -> m.algorithm().equals("fedavg")).reduce((a, b) -> b).orElseThrow();
    assertTrue(last.accuracy() > 0.3, "fedavg accuracy " + last.accuracy() + " (chance is about 0.1 to 0.3 on skewed labels)");
  }

  private Path csv() throws IOException {
    // Two numeric features and a label that is their sign pattern, rows from four users.
    StringBuilder s = new StringBuilder("user,f1,label,f2\n");
    Random rng = new Random(4);
    for (int i = 0; i < 400; i++) {
      double a = rng.nextGaussian() * 10 + 50;
      double b = rng.nextGaussian() * 3;
      int label = (a > 50 ? 1 : 0) + (b > 0 ? 2 : 0);
      s.append("u").append(i % 4).append(',').append(a).append(',').append(label).append(',').append(b).append('\n');
    }
    Path p = dir.resolve("rows.csv");
    Files.writeString(p, s);
    return p;
  }

  @Test
  void aSmallCsvTrainsWithAHoldOutStandardisedAndSplitByUser() throws IOException {
    Path out = dir.resolve("csv");
    Result r = run("simulate", "--dataset", "csv:" + csv(), "--label-column", "label", "--group-column", "user",
        "--test-fraction", "0.25", "--standardize", "--per-round", "4", "--algorithm", "fedavg", "--rounds", "5",
        "--model", "mlp", "--local-epochs", "2", "--batch-size", "16", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("partition natural: 4 clients"), r.out());
    assertTrue(r.out().contains("300 examples of 2 features, 4 classes, 4 groups"), r.out());
    List<RoundMetrics> rows = MetricsCsv.read(out.resolve("metrics.csv"));
    assertEquals(5, rows.size());
    assertTrue(rows.get(4).accuracy() > 0.8, "accuracy " + rows.get(4).accuracy());
  }

  private void assertUsageError(String expected, String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--out";
    all[args.length + 1] = dir.resolve("never").toString();
    Result r = run(all);
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains(expected), "'" + expected + "' not in: " + r.err());
    assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    assertTrue(r.err().length() < 2 * CsflCommand.MAX_LINE_CHARS, "a short line: " + r.err().length() + " characters");
  }

  @Test
  void badDatasetFlagsAreOneClearUsageError() throws IOException {
    assertUsageError("--partition natural makes one client per group, and synthetic(1.0,1.0) seed 1 train has 30: leave out --clients or give --clients 30",
        "simulate", "--dataset", "synthetic:1,1", "--clients", "20");
    assertUsageError("--dataset csv:FILE needs --label-column NAME", "simulate", "--dataset", "csv:" + csv(), "--test-fraction", "0.2");
    assertUsageError("needs a test set", "simulate", "--dataset", "csv:" + csv(), "--label-column", "label");
    assertUsageError("go with --dataset csv:FILE only", "simulate", "--label-column", "label");
    assertUsageError("--classes goes with --dataset csv:FILE or idx:DIR only", "simulate", "--classes", "12");
    assertUsageError("--classes must be between 2 and 65536, got 1", "simulate", "--dataset", "csv:" + csv(), "--label-column", "label",
        "--test-fraction", "0.2", "--classes", "1");
    assertUsageError("--test-file and --test-fraction exclude each other", "simulate", "--dataset", "csv:" + csv(), "--label-column", "label",
        "--test-fraction", "0.2", "--test-file", csv().toString());
    assertUsageError("model cnn needs images", "simulate", "--dataset", "synthetic:0,0", "--model", "cnn");
    assertUsageError("unknown --dataset 'cifar'", "simulate", "--dataset", "cifar");
    assertUsageError("synthetic:ALPHA,BETA needs two numbers", "simulate", "--dataset", "synthetic:1");
    assertUsageError("--partition natural needs data with groups", "simulate", "--data-dir", SimulateCommandTest.repoData().toString(),
        "--partition", "natural");
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "f1,label\n1,0\n2\n");
    assertUsageError("row 2: 1 values, but the header has 2 columns", "simulate", "--dataset", "csv:" + bad, "--label-column", "label",
        "--test-fraction", "0.5");
    // What a refusal quotes from a file stays on one line, and a long value is cut.
    Path quoted = dir.resolve("quoted.csv");
    Files.writeString(quoted, "f1,label\n\"1\n2\",0\n3,1\n");
    assertUsageError("'1\\n2' is not a finite number", "simulate", "--dataset", "csv:" + quoted, "--label-column", "label",
        "--test-fraction", "0.5");
    Path huge = dir.resolve("huge.csv");
    Files.writeString(huge, "f1,label\n" + "9".repeat(100_000) + "x,0\n3,1\n");
    assertUsageError("characters in all)", "simulate", "--dataset", "csv:" + huge, "--label-column", "label", "--test-fraction", "0.5");
    // The file system's root has no name to give the data set; clients times shards past the int range.
    assertUsageError("csfl: /", "simulate", "--dataset", "idx:/");
    assertUsageError("csfl: 4294967294 shards need at least as many examples, have ", "simulate", "--dataset", "synthetic:1,1", "--model",
        "logreg", "--partition", "shards:2147483647", "--clients", "2", "--per-round", "2");
  }
}
