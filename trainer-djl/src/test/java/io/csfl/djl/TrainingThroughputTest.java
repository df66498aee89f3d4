package io.csfl.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.data.RepositoryData;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The throughput runner's command line and result line (what bench/compare reads), on real Fashion-MNIST. */
class TrainingThroughputTest {
  private static String savedHome;

  @BeforeAll
  static void home() {
    // The runner finds Fashion-MNIST under the CSFL home, as in bench/compare's runs.
    savedHome = System.setProperty("csfl.home", RepositoryData.fashionMnistDir().getParent().getParent().toString());
  }

  @AfterAll
  static void restore() {
    if (savedHome == null) {
      System.clearProperty("csfl.home");
    } else {
      System.setProperty("csfl.home", savedHome);
    }
  }

  private static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\": (\"[^\"]*\"|\\[[^]]*]|[^,}]+)").matcher(json);
    assertTrue(m.find(), name + " in " + json);
    return m.group(1);
  }

  @Test
  void aSteadyRunReportsSamplesPerSecondOnOneThread() {
    String json = new TrainingThroughput(List.of("--model", "mlp", "--optimizer", "sgd", "--lr", "0.05",
        "-wi", "1", "-w", "1ms", "-i", "2", "-r", "1ms")).measure();
    assertTrue(json.startsWith("{") && json.endsWith("}") && !json.contains("\n"), json);
    assertEquals("\"steady\"", field(json, "mode"));
    assertEquals("\"sgd\"", field(json, "optimizer"));
    assertEquals("64", field(json, "batch"));
    assertEquals(2, field(json, "iterations").split(",").length, "one score per measured iteration: " + json);
    assertTrue(Double.parseDouble(field(json, "samples_per_s")) > 0, json);
    assertEquals("1", field(json, "intra_op_threads"));
    assertEquals("1", field(json, "inter_op_threads"));
  }

  @Test
  void anEpochRunTrainsWholeEpochs() {
    String json = new TrainingThroughput(List.of("--model", "logreg", "--mode", "epoch", "-wi", "0", "-i", "1",
        "-r", "1ms")).measure();
    assertEquals("\"epoch\"", field(json, "mode"));
    assertEquals("\"logreg\"", field(json, "model"));
    assertTrue(Double.parseDouble(field(json, "samples_per_s")) > 0, json);
  }

  @Test
  void runLengthsAreJmhTimeValues() {
    assertEquals(4_000_000_000L, TrainingThroughput.nanos("4s"));
    assertEquals(500_000_000L, TrainingThroughput.nanos("500ms"));
    for (String bad : List.of("0s", "4", "4min", "-1s", "")) {
      assertThrows(IllegalArgumentException.class, () -> TrainingThroughput.nanos(bad), bad);
    }
  }

  @Test
  void badCommandLinesAreRefused() {
    for (List<String> args : List.of(List.of("--mode", "burst"), List.of("--bogus", "1"), List.of("--lr"),
        List.of("-i", "0"), List.of("-wi", "-1"), List.of("--model", "resnet"), List.of("--optimizer", "rmsprop"),
        List.of("--lr", "0"), List.of("--lr", "fast"))) {
      assertThrows(IllegalArgumentException.class, () -> new TrainingThroughput(args), args.toString());
    }
  }
}
