package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code csfl evaluate} reads the data as {@code simulate} does, so a model trained on any --dataset can be evaluated. */
class EvaluateCommandTest {
  @TempDir
  static Path dir;
  private static Path out;

  @BeforeAll
  static void trainOnSyntheticData() {
    out = dir.resolve("synthetic");
    CliTest.Result r = CliTest.run("simulate", "--dataset", "synthetic:1,1", "--algorithm", "cs", "--model", "logreg",
        "--rounds", "2", "--optimizer", "sgd", "--lr", "0.01", "--batch-size", "10", "--local-epochs", "1", "--seed", "3",
        "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
  }

  @Test
  void aModelTrainedOnSyntheticDataEvaluatesToTheRunsFinalAccuracy() throws Exception {
    CliTest.Result r = CliTest.run("evaluate", "--model", out.resolve("model.safetensors").toString(),
        "--dataset", "synthetic:1,1", "--seed", "3");
    assertEquals(0, r.exitCode(), r.err());
    List<RoundMetrics> rows = MetricsCsv.read(out.resolve("metrics.csv"));
    RoundMetrics last = rows.get(rows.size() - 1);
    assertTrue(r.out().contains(String.format(Locale.ROOT, "accuracy %.6f  loss %.6f", last.accuracy(), last.loss())),
        r.out() + " vs " + last);
    assertTrue(r.out().contains("logreg"), r.out());
  }

  /** A checkpoint records the architecture as the model file does: no --model-spec needed for a logreg run's round 1. */
  @Test
  void aCheckpointEvaluatesToItsRoundsAccuracyWithoutAModelSpec() throws Exception {
    CliTest.Result r = CliTest.run("evaluate", "--model", out.resolve("checkpoints").resolve("cs-round-000001.safetensors").toString(),
        "--dataset", "synthetic:1,1", "--seed", "3");
    assertEquals(0, r.exitCode(), r.err());
    RoundMetrics first = MetricsCsv.read(out.resolve("metrics.csv")).get(0);
    assertTrue(r.out().contains(String.format(Locale.ROOT, "accuracy %.6f  loss %.6f", first.accuracy(), first.loss())),
        r.out() + " vs " + first);
    assertTrue(r.out().contains("logreg"), r.out());
  }

  @Test
  void aCheckpointThatNoLongerMatchesItsDigestIsRefused() throws Exception {
    Path flipped = dir.resolve("flipped.safetensors");
    byte[] bytes = java.nio.file.Files.readAllBytes(out.resolve("checkpoints").resolve("cs-round-000001.safetensors"));
    bytes[bytes.length - 1] ^= 1; // the last byte of the last tensor's data
    java.nio.file.Files.write(flipped, bytes);
    CliTest.run("evaluate", "--model", flipped.toString(), "--dataset", "synthetic:1,1", "--seed", "3")
        .isOneLineUsageError(flipped + " does not hold what was written there");
  }

  @Test
  void dataOfAnotherSeedIsOtherDataAndDataOfAnotherShapeIsRefused() {
    CliTest.Result other = CliTest.run("evaluate", "--model", out.resolve("model.safetensors").toString(),
        "--dataset", "synthetic:1,1", "--seed", "4");
    assertEquals(0, other.exitCode(), other.err());
    assertTrue(other.out().contains("seed 4"), other.out());

    CliTest.run("evaluate", "--model", out.resolve("model.safetensors").toString(), "--dataset", "csv:" + dir.resolve("none.csv"))
        .isOneLineUsageError("--dataset csv:FILE needs --label-column NAME");
    CliTest.run("evaluate", "--model", out.resolve("model.safetensors").toString(), "--dataset", "idx:" + SimulateCommandTest.repoData(),
        "--model-spec", "logreg").isOneLineUsageError("dense1/kernel");
  }
}
