package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.checkpoint.SafeTensors;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --model as a layer list or @FILE, through the CLI's own code path on the repository's Fashion-MNIST. */
class ModelListFlagTest {
  @TempDir
  Path dir;

  @Test
  void aLayerListFileTrainsAndItsSavedModelEvaluatesFromTheRecordedList() throws Exception {
    Path spec = dir.resolve("small.model");
    // Saved by an editor that starts UTF-8 with a byte-order mark.
    Files.writeString(spec, "\uFEFF# a small convolutional net\nconv:4:3:valid   # 26x26x4\npool:3\n\ndense:10\n");
    Path out = dir.resolve("run");
    String data = SimulateCommandTest.repoData().toString();
    CliTest.Result r = CliTest.run("simulate", "--model", "@" + spec, "--algorithm", "fedavg", "--data-dir", data, "--clients", "5",
        "--per-round", "2", "--rounds", "2", "--partition", "iid", "--local-epochs", "1", "--eval-examples", "500", "--seed", "2",
        "--keep-checkpoints", "2", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    Path model = out.resolve("model.safetensors");
    assertEquals("conv:4:3:valid,pool:3,dense:10",
        SafeTensors.read(model, 1 << 20).meta("architecture").orElseThrow());
    List<RoundMetrics> rows = MetricsCsv.read(out.resolve("metrics.csv"));
    assertEquals(2, rows.size());
    assertTrue(rows.get(1).accuracy() > 0.3, "chance is 0.1, accuracy " + rows.get(1).accuracy());
    String accuracy = String.format(Locale.ROOT, "accuracy %.4f", rows.get(1).accuracy());

    CliTest.Result recorded = CliTest.run("evaluate", "--model", model.toString(), "--data-dir", data, "--eval-examples", "500");
    assertEquals(0, recorded.exitCode(), recorded.err());
    assertTrue(recorded.out().contains(accuracy) && recorded.out().contains("conv:4:3:valid,pool:3,dense:10"), recorded.out());
    CliTest.Result given = CliTest.run("evaluate", "--model", model.toString(), "--model-spec", "@" + spec, "--data-dir", data,
        "--eval-examples", "500");
    assertEquals(0, given.exitCode(), given.err());
    assertTrue(given.out().contains(accuracy), given.out());
    CliTest.run("evaluate", "--model", model.toString(), "--model-spec", "cnn", "--data-dir", data).isOneLineUsageError("conv1");

    // A run cut after round 1 resumes from its saved flags, @FILE among them, to the same round 2.
    Path cut = dir.resolve("cut");
    Files.createDirectories(cut.resolve("checkpoints"));
    Files.copy(out.resolve(SimulateCommand.RUN_FLAGS), cut.resolve(SimulateCommand.RUN_FLAGS));
    String checkpoint = "fedavg-round-000001.safetensors";
    Files.copy(out.resolve("checkpoints").resolve(checkpoint), cut.resolve("checkpoints").resolve(checkpoint));
    Files.write(cut.resolve("metrics.csv"), Files.readAllLines(out.resolve("metrics.csv")).subList(0, 2));
    CliTest.Result resumed = CliTest.run("simulate", "--resume", cut.toString());
    assertEquals(0, resumed.exitCode(), resumed.err());
    assertEquals(String.format(Locale.ROOT, "%.6f", rows.get(1).accuracy()),
        String.format(Locale.ROOT, "%.6f", MetricsCsv.read(cut.resolve("metrics.csv")).get(1).accuracy()));
  }

  @Test
  void badListsAndMissingFilesAreOneLineAndExitTwo() {
    Path nowhere = dir.resolve("nowhere.model");
    usageError("--model @" + nowhere + ": no such file", "--model", "@" + nowhere);
    usageError("layer 2 (dens:10): unknown layer 'dens'", "--model", "dense:20,dens:10");
    usageError("last layer dense:12 must have 10 outputs, the dataset's class count", "--model", "dense:20,dense:12");
    usageError("layer 1 (conv:4:3): conv needs image input (C x H x W), the dataset has flat features",
        "--dataset", "synthetic:0,0", "--model", "conv:4:3,dense:10");
    usageError("layer 3 (pool:2): input 1x1 is smaller than the pool", "--model", "pool:9,pool:3,pool:2,dense:10");
  }

  private void usageError(String expected, String... flags) {
    String[] args = new String[flags.length + 5];
    args[0] = "simulate";
    System.arraycopy(flags, 0, args, 1, flags.length);
    args[flags.length + 1] = "--data-dir";
    args[flags.length + 2] = SimulateCommandTest.repoData().toString();
    args[flags.length + 3] = "--out";
    args[flags.length + 4] = dir.resolve("never").toString();
    // The refusal is all the run prints: no start-up line on stdout either, although some of these
    // are found only once the data are read.
    assertEquals("", CliTest.stdoutOf(() -> CliTest.run(args).isOneLineUsageError(expected)), String.join(" ", flags));
  }
}
