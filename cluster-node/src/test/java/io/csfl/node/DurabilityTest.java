package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.SafeTensors;
import io.csfl.checkpoint.TensorFile;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Checkpoints, resume, the saved model and exit codes, through the CLI on the real Fashion-MNIST.
 * One uninterrupted run is the reference; a crash after round {@link #CUT} is rebuilt from what it
 * leaves on disk (the flags, that round's checkpoints, metrics.csv without the last row, which the
 * crash kept out of the file) and resumed in a new ActorSystem.
 */
class DurabilityTest {
  private static final int ROUNDS = 6;
  private static final int CUT = 3;
  private static final String EVAL = "500";
  /** The metadata of a checkpoint that names its history files, as docs/cli.md documents it. */
  private static final String HELD_FILES = "csfl.checkpoint.held-files";

  @TempDir
  static Path dir;
  private static Path full;

  private record Result(int exitCode, String out, String err) {}

  private static Result run(String... args) {
    CommandLine cl = CsflCommand.commandLine();
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(out));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void uninterruptedRun() {
    full = dir.resolve("full");
    Result r = run("simulate", "--algorithm", "fedavg,cs", "--data-dir", SimulateCommandTest.repoData().toString(),
        "--clients", "8", "--per-round", "2", "--rounds", "" + ROUNDS, "--partition", "iid", "--local-epochs", "1",
        "--eval-examples", EVAL, "--seed", "4", "--keep-checkpoints", "" + ROUNDS, "--out", full.toString());
    assertEquals(0, r.exitCode(), r.err());
  }

  /**
   * What the crash after round {@link #CUT} leaves in {@code name}, its cs checkpoint passed
   * through {@code csCheckpoint}; then resumed. Returns the rows of the uninterrupted run and of
   * the resumed one, after checking that they trained the same.
   */
  private static List<List<RoundMetrics>> crashAndResume(String name, UnaryOperator<TensorFile> csCheckpoint) throws Exception {
    // fedavg's rows 1..CUT-1 only: its row CUT was not written, and cs had not started.
    return crashAndResume(name, csCheckpoint, lines -> String.join("\n", lines.subList(0, CUT)) + "\n");
  }

  /** As above, with metrics.csv as {@code metrics} makes it from the uninterrupted run's lines. */
  private static List<List<RoundMetrics>> crashAndResume(String name, UnaryOperator<TensorFile> csCheckpoint,
                                                         java.util.function.Function<List<String>, String> metrics) throws Exception {
    return crashAndResume(name, csCheckpoint, metrics, crashed -> { });
  }

  /** As above, with {@code damage} done to the crashed run's directory before the resume. */
  private static List<List<RoundMetrics>> crashAndResume(String name, UnaryOperator<TensorFile> csCheckpoint,
                                                         java.util.function.Function<List<String>, String> metrics,
                                                         java.util.function.Consumer<Path> damage) throws Exception {
    Path crashed = dir.resolve(name);
    Files.createDirectories(crashed.resolve("checkpoints"));
    Files.copy(full.resolve(SimulateCommand.RUN_FLAGS), crashed.resolve(SimulateCommand.RUN_FLAGS));
    for (String alg : List.of("fedavg", "cs")) {
      String file = String.format("%s-round-%06d.safetensors", alg, CUT);
      TensorFile checkpoint = SafeTensors.read(full.resolve("checkpoints").resolve(file), Long.MAX_VALUE);
      SafeTensors.write(crashed.resolve("checkpoints").resolve(file), alg.equals("cs") ? csCheckpoint.apply(checkpoint) : checkpoint);
    }
    // The files of CS's history, written once each and named by the checkpoints.
    try (Stream<Path> files = Files.list(full.resolve("checkpoints"))) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("cs-held-")).toList()) {
        Files.copy(f, crashed.resolve("checkpoints").resolve(f.getFileName()));
      }
    }
    Files.writeString(crashed.resolve("metrics.csv"), metrics.apply(Files.readAllLines(full.resolve("metrics.csv"))));
    damage.accept(crashed);

    Result r = run("simulate", "--resume", crashed.toString());
    assertEquals(0, r.exitCode(), r.err());

    List<RoundMetrics> before = MetricsCsv.read(full.resolve("metrics.csv"));
    List<RoundMetrics> after = MetricsCsv.read(crashed.resolve("metrics.csv"));
    assertEquals(2 * ROUNDS, after.size(), "every row once");
    for (String alg : List.of("fedavg", "cs")) {
      List<RoundMetrics> a = before.stream().filter(m -> m.algorithm().equals(alg)).toList();
      List<RoundMetrics> b = after.stream().filter(m -> m.algorithm().equals(alg)).toList();
      for (int i = 0; i < ROUNDS; i++) {
        assertEquals(i + 1, b.get(i).round());
        assertEquals(f6(a.get(i).accuracy()), f6(b.get(i).accuracy()), alg + " round " + (i + 1) + " accuracy");
        assertEquals(f6(a.get(i).loss()), f6(b.get(i).loss()), alg + " round " + (i + 1) + " loss");
        assertEquals(a.get(i).bytesUp(), b.get(i).bytesUp(), alg + " round " + (i + 1) + " uplink bytes");
        assertEquals(a.get(i).clientsCompleted(), b.get(i).clientsCompleted());
      }
    }
    return List.of(before, after);
  }

  @Test
  void aResumedRunRepeatsTheUninterruptedOne() throws Exception {
    List<List<RoundMetrics>> rows = crashAndResume("crashed", UnaryOperator.identity());
    List<RoundMetrics> before = rows.get(0);
    List<RoundMetrics> after = rows.get(1);
    // The same downlink bytes, up to the actor reference in each message (its uid varies in length
    // between runs, resumed or not): FedAvg ships the dense model; CS's returning clients got back
    // the models they held, and the server the history to patch them from.
    for (String alg : List.of("fedavg", "cs")) {
      List<RoundMetrics> a = before.stream().filter(m -> m.algorithm().equals(alg)).toList();
      List<RoundMetrics> b = after.stream().filter(m -> m.algorithm().equals(alg)).toList();
      for (int i = CUT; i < ROUNDS; i++) {
        assertEquals(a.get(i).bytesDown(), b.get(i).bytesDown(), 64, alg + " round " + (i + 1));
      }
    }
    var atCut = SafeTensors.read(full.resolve("checkpoints").resolve(String.format("cs-round-%06d.safetensors", CUT)), Long.MAX_VALUE);
    assertTrue(atCut.meta(HELD_FILES).orElse("").contains("cs-held-"), "the checkpoint names the models clients hold: " + atCut.metadata());
  }

  @Test
  void aCheckpointWithoutTheHistoryStillResumesWithWholeModels() throws Exception {
    // As revision 1 wrote it: neither history files named nor the history in the file, nor a digest.
    List<List<RoundMetrics>> rows = crashAndResume("without-history",
        f -> f.without(n -> n.startsWith("state/" + Checkpoint.HELD_STATE)).withoutMeta(HELD_FILES).withoutMeta("csfl.checkpoint.digest"));
    // The returning clients hold their models, but the server cannot patch them: they get the whole sparse model.
    long before = rows.get(0).stream().filter(m -> m.algorithm().equals("cs") && m.round() > CUT).mapToLong(RoundMetrics::bytesDown).sum();
    long after = rows.get(1).stream().filter(m -> m.algorithm().equals("cs") && m.round() > CUT).mapToLong(RoundMetrics::bytesDown).sum();
    assertTrue(after > before + 1000, after + " vs " + before);
  }

  /**
   * A history file lost from under the only checkpoint costs the returning clients their models
   * (they get the whole sparse model once), not the run: it resumed from round 1 before, its rows
   * removed.
   */
  @Test
  void aLostHistoryFileCostsTheClientsTheirModelsNotTheRun() throws Exception {
    List<List<RoundMetrics>> rows = crashAndResume("lost-history", UnaryOperator.identity(),
        lines -> String.join("\n", lines.subList(0, CUT)) + "\n", crashed -> {
          try (Stream<Path> files = Files.list(crashed.resolve("checkpoints"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("cs-held-")).toList()) {
              Files.delete(f);
            }
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    long before = rows.get(0).stream().filter(m -> m.algorithm().equals("cs") && m.round() > CUT).mapToLong(RoundMetrics::bytesDown).sum();
    long after = rows.get(1).stream().filter(m -> m.algorithm().equals("cs") && m.round() > CUT).mapToLong(RoundMetrics::bytesDown).sum();
    assertTrue(after > before + 1000, "the whole sparse model once: " + after + " vs " + before);
  }

  @Test
  void aRowCutShortByTheCrashIsDroppedAndTheRunResumes() throws Exception {
    // The crash came while fedavg's row CUT was being written: half of it is in the file.
    crashAndResume("torn-row", UnaryOperator.identity(), lines -> String.join("\n", lines.subList(0, CUT)) + "\n"
        + lines.get(CUT).substring(0, lines.get(CUT).length() / 2));
  }

  @Test
  void rowsPastTheCheckpointAreReplacedByTheRoundsRunAgain() throws Exception {
    // The newest checkpoint (round CUT + 1) was unusable: the file has fedavg's rows up to CUT + 1,
    // the last of them from the attempt that is lost (its accuracy marks it). After the resume
    // every row is the uninterrupted run's, once.
    crashAndResume("rows-past", UnaryOperator.identity(), lines -> {
      List<String> kept = new java.util.ArrayList<>(lines.subList(0, CUT + 2));
      String[] fields = kept.get(CUT + 1).split(",", -1);
      fields[2] = "0.000001";
      kept.set(CUT + 1, String.join(",", fields));
      return String.join("\n", kept) + "\n";
    });
  }

  private static String f6(double v) {
    return String.format(Locale.ROOT, "%.6f", v);
  }

  @Test
  void aFreshStartIntoADirectoryWithARunIsRefused() throws Exception {
    long size = Files.size(full.resolve("metrics.csv"));
    Result r = run("simulate", "--data-dir", SimulateCommandTest.repoData().toString(), "--rounds", "1", "--out", full.toString());
    assertEquals(2, r.exitCode(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("--resume " + full), r.err());
    assertEquals(size, Files.size(full.resolve("metrics.csv")), "metrics.csv untouched");
  }

  @Test
  void theSavedModelIsSafetensorsAndEvaluatesToTheRunsFinalAccuracy() throws Exception {
    Path model = full.resolve("model-cs.safetensors");
    byte[] bytes = Files.readAllBytes(model);
    long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
    assertEquals("mlp", header.get("__metadata__").get("architecture").asText());
    assertEquals(List.of(784, 200), List.of(header.get("dense1/kernel").get("shape").get(0).asInt(),
        header.get("dense1/kernel").get("shape").get(1).asInt()));
    long end = 0;
    for (JsonNode e : (Iterable<JsonNode>) header::elements) {
      if (e.has("data_offsets")) {
        end = Math.max(end, e.get("data_offsets").get(1).asLong());
      }
    }
    assertEquals(bytes.length - 8 - n, end, "the data ends where the last tensor does");

    Result r = run("evaluate", "--model", model.toString(), "--data-dir", SimulateCommandTest.repoData().toString(),
        "--eval-examples", EVAL);
    assertEquals(0, r.exitCode(), r.err());
    RoundMetrics last = MetricsCsv.read(full.resolve("metrics.csv")).get(2 * ROUNDS - 1);
    assertEquals("cs", last.algorithm());
    assertTrue(r.out().contains(String.format(Locale.ROOT, "accuracy %.4f", last.accuracy())), r.out() + " vs " + last);
    Path checkpoint = full.resolve("checkpoints").resolve(String.format(Locale.ROOT, "cs-round-%06d.safetensors", ROUNDS));
    Result fromCheckpoint = run("evaluate", "--model", checkpoint.toString(), "--data-dir", SimulateCommandTest.repoData().toString(),
        "--eval-examples", EVAL);
    assertEquals(0, fromCheckpoint.exitCode(), fromCheckpoint.err());
    assertTrue(fromCheckpoint.out().contains(String.format(Locale.ROOT, "accuracy %.4f", last.accuracy())), fromCheckpoint.out());

    Result cnn = run("simulate", "--model", "cnn", "--initial-model", model.toString(), "--data-dir",
        SimulateCommandTest.repoData().toString(), "--rounds", "1", "--out", dir.resolve("cnn").toString());
    assertEquals(2, cnn.exitCode(), cnn.err());
    assertEquals(1, cnn.err().strip().lines().count(), cnn.err());
    assertTrue(cnn.err().contains(model.toString()) && cnn.err().contains("conv1"), cnn.err());
  }

  @Test
  void aModelThatCannotBeWrittenAbortsTheRunAndItsResumeWritesIt() throws Exception {
    Path out = dir.resolve("unwritable");
    // A non-empty directory where the model goes: the rename onto it fails, as on a full disk.
    Path blocker = Files.createDirectories(out.resolve("model.safetensors"));
    Files.writeString(blocker.resolve("in-the-way"), "");
    Result r = run("simulate", "--algorithm", "fedavg", "--data-dir", SimulateCommandTest.repoData().toString(),
        "--clients", "4", "--per-round", "2", "--rounds", "2", "--local-epochs", "1", "--eval-examples", "100",
        "--out", out.toString());
    assertEquals(SimulateCommand.ABORTED, r.exitCode(), r.err());
    assertTrue(r.err().contains("aborted fedavg") && r.err().contains("the last round could not be saved")
        && r.err().contains(blocker.toString()), r.err());
    Path lastCheckpoint = out.resolve("checkpoints").resolve("fedavg-round-000002.safetensors");
    assertFalse(Files.exists(lastCheckpoint), "the last round's checkpoint waits for its model");

    Files.delete(blocker.resolve("in-the-way"));
    Files.delete(blocker);
    Result resumed = run("simulate", "--resume", out.toString());
    assertEquals(0, resumed.exitCode(), resumed.err());
    assertTrue(Files.isRegularFile(blocker), "the resumed run wrote the model");
    assertTrue(Files.exists(lastCheckpoint), "and the last round's checkpoint");
    assertEquals(List.of(1, 2), MetricsCsv.read(out.resolve("metrics.csv")).stream().map(RoundMetrics::round).toList());
  }

  /** A checkpoint is a model to start from, as csfl evaluate reads it: its model, checked against its digest. */
  @Test
  void aCheckpointIsAnInitialModel() throws Exception {
    Path checkpoint = full.resolve("checkpoints").resolve(String.format(Locale.ROOT, "cs-round-%06d.safetensors", ROUNDS));
    Result r = run("simulate", "--algorithm", "fedavg", "--data-dir", SimulateCommandTest.repoData().toString(), "--clients", "4",
        "--per-round", "2", "--rounds", "1", "--local-epochs", "1", "--eval-examples", EVAL, "--initial-model", checkpoint.toString(),
        "--out", dir.resolve("from-checkpoint").toString());
    assertEquals(0, r.exitCode(), r.err());
    byte[] bytes = Files.readAllBytes(checkpoint);
    bytes[bytes.length - 3] ^= 0x10;
    Path altered = Files.write(dir.resolve("altered.safetensors"), bytes);
    CliTest.run("simulate", "--algorithm", "fedavg", "--data-dir", SimulateCommandTest.repoData().toString(), "--rounds", "1",
        "--initial-model", altered.toString(), "--out", dir.resolve("from-altered").toString())
        .isOneLineUsageError(altered + " does not hold what was written there");
  }

  /** A finished run's resume writes its trained model again when the file is gone or damaged: the last checkpoint holds it. */
  @Test
  void aResumedFinishedRunWritesAMissingOrDamagedModelAgain() throws Exception {
    Path out = dir.resolve("finished-model");
    Result r = run("simulate", "--algorithm", "fedavg", "--data-dir", SimulateCommandTest.repoData().toString(),
        "--clients", "4", "--per-round", "2", "--rounds", "2", "--local-epochs", "1", "--eval-examples", "100", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    Path model = out.resolve("model.safetensors");
    byte[] written = Files.readAllBytes(model);
    Files.delete(model);
    String said = CliTest.stderrOf(() -> assertEquals(0, run("simulate", "--resume", out.toString()).exitCode()));
    assertTrue(said.contains(model + " is missing: written again from the checkpoint of round 2"), said);
    assertTrue(java.util.Arrays.equals(written, Files.readAllBytes(model)), "the same file as the run wrote");

    Files.write(model, java.util.Arrays.copyOf(written, written.length / 2));
    said = CliTest.stderrOf(() -> assertEquals(0, run("simulate", "--resume", out.toString()).exitCode()));
    assertTrue(said.contains(model + " does not read ("), said);
    assertTrue(java.util.Arrays.equals(written, Files.readAllBytes(model)));

    said = CliTest.stderrOf(() -> assertEquals(0, run("simulate", "--resume", out.toString()).exitCode()));
    assertFalse(said.contains("written again"), "a whole model is left alone: " + said);
  }

  /** A finished run saves no more: its resume deletes a checkpoint beyond --keep-checkpoints that a kill before the save's deletions left. */
  @Test
  void aResumedFinishedRunKeepsNoMoreCheckpointsThanAsked() throws Exception {
    Path out = dir.resolve("finished");
    Result r = run("simulate", "--algorithm", "fedavg", "--data-dir", SimulateCommandTest.repoData().toString(),
        "--clients", "4", "--per-round", "2", "--rounds", "3", "--local-epochs", "1", "--eval-examples", "100",
        "--keep-checkpoints", "2", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    Path checkpoints = out.resolve("checkpoints");
    Files.copy(checkpoints.resolve("fedavg-round-000002.safetensors"), checkpoints.resolve("fedavg-round-000001.safetensors"));
    Result resumed = run("simulate", "--resume", out.toString());
    assertEquals(0, resumed.exitCode(), resumed.err());
    try (java.util.stream.Stream<Path> files = Files.list(checkpoints)) {
      assertEquals(List.of("fedavg-round-000002.safetensors", "fedavg-round-000003.safetensors"),
          files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".safetensors")).sorted().toList());
    }
  }

  @Test
  void anAbortedRunExitsThreeAndSaysWhy() throws Exception {
    Path out = dir.resolve("aborted");
    Result r = run("simulate", "--algorithm", "fedavg", "--data-dir", SimulateCommandTest.repoData().toString(),
        "--clients", "4", "--per-round", "2", "--rounds", "2", "--local-epochs", "1", "--eval-examples", "100",
        "--drop-rate", "1", "--round-timeout", "5s", "--out", out.toString());
    assertEquals(SimulateCommand.ABORTED, r.exitCode(), r.err());
    assertTrue(r.err().contains("aborted fedavg"), r.err());
    assertTrue(Files.readString(out.resolve("summary.md")).contains("Aborted"), "summary.md names the abort");
    // Aborted again when resumed: the note replaces the first one (no report could be rendered, so the old summary stands).
    Result again = run("simulate", "--resume", out.toString());
    assertEquals(SimulateCommand.ABORTED, again.exitCode(), again.err());
    String summary = Files.readString(out.resolve("summary.md"));
    assertEquals(1, summary.split("## Aborted", -1).length - 1, summary);
    try (java.util.stream.Stream<Path> files = Files.list(out)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file left");
    }
  }
}
