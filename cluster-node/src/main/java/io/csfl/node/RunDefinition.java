package io.csfl.node;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.csfl.internal.files.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The flags that decide what a cluster run computes, kept beside its checkpoints. Every
 * server-capable node shares the checkpoint directory and may continue the run from it, so each
 * one checks at its start that it was given the same flags: a standby with another learning rate,
 * model or data would otherwise continue someone else's run with its own settings after a
 * take-over, and nothing would show it.
 *
 * <p>The first server node to start publishes the definition; the file is created with an
 * exclusive link, so of two nodes starting at once one publishes and the other checks.
 */
final class RunDefinition {
  /** The file in the checkpoint directory. */
  static final String FILE = "run.json";
  /**
   * Flags that may differ between the nodes of one run: how long to wait, where files are, the
   * initial model, which only round 1 reads (the data are compared by their signature), and the
   * engine clients train on, which each node chooses for itself.
   */
  static final Set<String> OPERATIONAL = Set.of("--round-timeout", "--aggregator-grace", "--client-grace", "--data-dir",
      "--initial-model", "--test-file", "--engine");
  /**
   * With private data, flags that each server node chooses for its own data: how it would share
   * them among clients, and which of its rows it holds out to evaluate on.
   */
  static final Set<String> SITES_OWN = Set.of("--partition", "--test-fraction");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private RunDefinition() {}

  /** The run-defining flags of {@code federation}, by name, and the training data's signature. */
  static SortedMap<String, String> of(FederationOptions federation, String dataSignature) {
    SortedMap<String, String> run = new TreeMap<>();
    for (OptionSpec o : CommandSpec.forAnnotatedObject(federation).options()) {
      if (!OPERATIONAL.contains(o.longestName()) && !(federation.privateData && SITES_OWN.contains(o.longestName()))) {
        Object value = o.getValue();
        String text = value == null ? "" : value.toString();
        // A file's place may differ between nodes; its content is compared through the data signature.
        if (o.longestName().equals("--dataset") && text.matches("(csv|idx):.*")) {
          text = text.substring(0, 3) + ":(a file)";
        }
        run.put(o.longestName(), text);
      }
    }
    // A layer list may come from a file (@FILE) whose place differs between nodes: its canonical text.
    run.put("--model", federation.architecture().name());
    run.put("--algorithm", String.join(",", federation.algorithms));
    run.put("data", dataSignature);
    return run;
  }

  /**
   * Publishes {@code run} in {@code directory}, or, if a run is published there already, checks
   * that it is the same one.
   *
   * @throws IllegalArgumentException naming the flags that differ, or why the directory cannot
   *     be used (a usage error: exit code 2)
   */
  static void claim(Path directory, SortedMap<String, String> run) {
    try {
      publishOrCheck(directory, run);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot keep the run's flags: " + io.csfl.internal.files.FileProblems.writing(directory, e));
    }
  }

  private static void publishOrCheck(Path directory, SortedMap<String, String> run) throws IOException {
    Path file = directory.resolve(FILE);
    if (AtomicFiles.createOnce(file, JSON.writeValueAsBytes(run))) {
      return;
    }
    // Published before, or by another server node first: check against that definition.
    Map<String, String> published;
    try {
      published = JSON.readValue(file.toFile(), new TypeReference<TreeMap<String, String>>() {});
    } catch (IOException e) {
      throw new IllegalArgumentException(file + " is not readable (" + e.getMessage().lines().findFirst().orElse("")
          + "); remove it to start a new run there");
    }
    List<String> differences = differences(published, run);
    FederationOptions.require(differences.isEmpty(), "the run in " + directory + " was started with other flags ("
        + String.join("; ", differences) + "): give the same flags, or another --checkpoint-dir and --out");
  }

  /** A flag's value in a refusal: an empty one as {@code (none)}. */
  private static String shown(String value) {
    return value.isEmpty() ? "(none)" : value;
  }

  /**
   * How two data signatures differ, in words: a checksum of shared data says only that they are
   * other data; a private-data federation's schema, which words differ ({@code classes=3 there,
   * classes=4 here}); one of each, which of them has {@code --private-data}.
   */
  static String dataDifference(String there, String here) {
    boolean privateThere = there.startsWith("private-data ");
    boolean privateHere = here.startsWith("private-data ");
    if (privateThere != privateHere) {
      return "the run was started " + (privateThere ? "with" : "without") + " --private-data, this node " + (privateHere ? "has" : "lacks") + " it";
    }
    if (!privateThere) {
      String how = io.csfl.internal.data.DataIdentity.difference(there.split(" ")[0], here.split(" ")[0]);
      return how.isEmpty() ? "other training data" : "other training data (" + how + ")";
    }
    List<String> thereWords = List.of(there.split(" "));
    List<String> hereWords = List.of(here.split(" "));
    return "other data schema: " + String.join(" ", thereWords.stream().filter(w -> !hereWords.contains(w)).toList()) + " there, "
        + String.join(" ", hereWords.stream().filter(w -> !thereWords.contains(w)).toList()) + " here";
  }

  /** Each flag whose value differs, as {@code --flag: A there, B here}; at most five, then a count. */
  static List<String> differences(Map<String, String> there, Map<String, String> here) {
    TreeMap<String, String> all = new TreeMap<>();
    there.keySet().forEach(k -> all.put(k, ""));
    here.keySet().forEach(k -> all.put(k, ""));
    List<String> out = new ArrayList<>();
    int more = 0;
    for (String k : all.keySet()) {
      String a = there.getOrDefault(k, "(not set)");
      String b = here.getOrDefault(k, "(not set)");
      if (!a.equals(b)) {
        if (out.size() < 5) {
          out.add(k + ": " + (k.equals("data") ? dataDifference(a, b) : shown(a) + " there, " + shown(b) + " here"));
        } else {
          more++;
        }
      }
    }
    if (more > 0) {
      out.add(more + " more");
    }
    return out;
  }
}
