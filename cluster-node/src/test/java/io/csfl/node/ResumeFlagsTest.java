package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A resumed simulation runs with the settings its run started with, wherever they came from: the
 * command line, a {@code CSFL_*} variable or the config file ({@code CSFL_CONFIG}), none of which need be there
 * (or say the same) when the run is resumed, perhaps from another directory.
 */
class ResumeFlagsTest {
  @TempDir
  Path dir;

  private record Result(int exitCode, String err) {}

  /** The CLI as {@code main} builds it, with {@code env} as the environment and the config file it names. */
  private static Result run(Map<String, String> env, String... args) {
    CommandLine cl = CsflCommand.commandLine();
    cl.setDefaultValueProvider(new FlagDefaults(cl, args, env));
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    return new Result(cl.execute(args), err.toString());
  }

  @Test
  void aResumeKeepsWhatTheEnvironmentAndConfigFileSaidAndFindsRelativePaths() throws Exception {
    Path config = Files.writeString(dir.resolve("run.conf"), "csfl.local-epochs = 2\ncsfl.optimizer = sgd\n");
    Path out = dir.resolve("run");
    // Relative to the working directory: the resume must find them from anywhere.
    Path checkpoints = Path.of("target", "resume-flags-" + ProcessHandle.current().pid());
    Map<String, String> env = Map.of("CSFL_ROUNDS", "2", "CSFL_CONFIG", config.toString(), "CSFL_LR", "0.05");
    try {
      resumeAfterCut(env, checkpoints, out);
    } finally {
      try (java.util.stream.Stream<Path> files = Files.walk(checkpoints)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private void resumeAfterCut(Map<String, String> env, Path checkpoints, Path out) throws Exception {
    Result first = run(env, "simulate", "--dataset", "synthetic:1,1", "--algorithm", "fedavg", "--model", "logreg",
        "--batch-size", "10", "--seed", "2", "--checkpoint-dir", checkpoints.toString(), "--out", out.toString());
    assertEquals(0, first.exitCode(), first.err());

    List<String> saved = new ObjectMapper().readValue(out.resolve(SimulateCommand.RUN_FLAGS).toFile(), new TypeReference<List<String>>() {});
    for (String flag : List.of("--rounds=2", "--local-epochs=2", "--optimizer=sgd", "--lr=0.05",
        "--checkpoint-dir=" + checkpoints.toAbsolutePath().normalize())) {
      assertTrue(saved.contains(flag), flag + " in " + saved);
    }
    assertTrue(saved.stream().noneMatch(f -> f.startsWith("--config")), "the file's settings are saved themselves: " + saved);

    // Cut the run back to round 1 and resume it with another environment: it ends at round 2 again,
    // with the same training, and takes its checkpoint from where the run wrote it.
    List<RoundMetrics> rows = MetricsCsv.read(out.resolve("metrics.csv"));
    assertEquals(2, rows.size());
    Files.delete(checkpoints.resolve("fedavg-round-000002.safetensors"));
    Files.write(out.resolve("metrics.csv"), Files.readAllLines(out.resolve("metrics.csv")).subList(0, 2));
    // What writes cut short by the kill left: the resume, which holds the directories' locks, removes
    // those of the run's own files at once, however recent, and leaves a user's files alone.
    List<Path> leftovers = List.of(Files.writeString(checkpoints.resolve(".fedavg-round-000002.safetensors.k1x.tmp"), "half"),
        Files.writeString(out.resolve(".metrics.csv.k2y.tmp"), "half"), Files.writeString(out.resolve(".summary.md.0.tmp"), "half"));
    Path usersOwn = Files.writeString(out.resolve(".notes.txt.k4z.tmp"), "mine");
    Result resumed = run(Map.of("CSFL_ROUNDS", "5", "CSFL_LR", "0.5"), "simulate", "--resume", out.toString());
    assertEquals(0, resumed.exitCode(), resumed.err());
    leftovers.forEach(p -> assertFalse(Files.exists(p), p + " left by a killed write"));
    assertTrue(Files.exists(usersOwn), "not a file the run writes");
    List<RoundMetrics> again = MetricsCsv.read(out.resolve("metrics.csv"));
    assertEquals(2, again.size(), "the run's 2 rounds, not the resume's environment's 5");
    assertEquals(rows.get(1).accuracy(), again.get(1).accuracy(), "round 2 trained as before, from the round-1 checkpoint");
    assertEquals(rows.get(1).loss(), again.get(1).loss());
  }
}
