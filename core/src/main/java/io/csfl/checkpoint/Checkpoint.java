package io.csfl.checkpoint;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.csfl.metrics.RoundMetrics;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a server needs to go on after round {@link #round()} as if it had never stopped: the global
 * model, the strategy's server state, the metrics so far, and which global model (by round) each
 * client was last known to hold. Saved as one safetensors file, so a server on another node that
 * shares the directory can resume from it.
 *
 * @param algorithm the strategy's name as the run gives it (e.g. {@code cs}); the file is named
 *             after it, and a checkpoint resumes only a run of the same algorithm
 * @param round the last committed round, at least 1
 * @param metrics one row per round 1 to {@code round}, in order, all of {@code algorithm}; copied
 * @param held client id to the round whose global model it holds; only valid while those clients
 *             kept their state (a restarted client holds nothing); copied
 * @param global the global model after {@code round}
 * @param strategyState what the strategy's server side exported to go on, from
 *             {@link io.csfl.strategy.ServerAlgorithm#exportState()} (CS's masks, say); empty
 *             when the global model is all it needs. What it keeps under
 *             {@link #heldState(int) heldState(k)} is dropped unless some client of {@code held}
 *             holds round k's model
 */
public record Checkpoint(String algorithm, int round, List<RoundMetrics> metrics, Map<String, Integer> held, Model global,
                         TensorFile strategyState) {
  /** The format version in each file's metadata; a reader refuses others. */
  public static final String VERSION = "1";
  /**
   * What this writer adds to {@link #VERSION}'s files without changing how they are read: 2, the
   * strategy state may hold {@link #heldState(int)} entries. A file without it is revision 1, and
   * any revision of version 1 is read the same way (state a strategy does not know is ignored).
   */
  public static final String REVISION = "2";
  /**
   * The prefix of the strategy state kept per global model: {@link #heldState(int)}, followed by
   * the strategy's own names.
   */
  public static final String HELD_STATE = "held/";
  static final String VERSION_KEY = "csfl.checkpoint";
  static final String REVISION_KEY = "csfl.checkpoint.revision";
  private static final String MODEL = "model/";
  private static final String STATE = "state/";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Checks that the metrics are exactly rounds 1 to {@code round} of {@code algorithm}
   * (IllegalArgumentException otherwise) and copies the list and the map.
   */
  public Checkpoint {
    if (round < 1) {
      throw new IllegalArgumentException("a checkpoint follows a committed round, got round " + round);
    }
    if (metrics.size() != round) {
      throw new IllegalArgumentException("a checkpoint after round " + round + " needs " + round + " metrics rows, has " + metrics.size());
    }
    for (int i = 0; i < metrics.size(); i++) {
      if (metrics.get(i).round() != i + 1 || !metrics.get(i).algorithm().equals(algorithm)) {
        throw new IllegalArgumentException("metrics row " + (i + 1) + " is " + metrics.get(i).algorithm() + " round " + metrics.get(i).round());
      }
    }
    metrics = List.copyOf(metrics);
    held = Map.copyOf(held);
    Set<String> heldRounds = held.values().stream().map(r -> heldState(r)).collect(Collectors.toSet());
    strategyState = strategyState.without(name -> name.startsWith(HELD_STATE) && heldRounds.stream().noneMatch(name::startsWith));
  }

  /**
   * Where a strategy's exported state keeps what it knows of the global model of {@code round}
   * (CS: that model, to send a client that holds it only a patch). It is of use only while some
   * client holds that model, so a checkpoint keeps it only for the rounds {@link #held()} names;
   * restored, it lets the server go on sending those clients what it would have sent them.
   */
  public static String heldState(int round) {
    return HELD_STATE + round + "/";
  }

  TensorFile toFile() {
    StringBuilder csv = new StringBuilder();
    metrics.forEach(m -> csv.append(m.toCsvRow()).append('\n'));
    try {
      return TensorFile.EMPTY.withMeta(VERSION_KEY, VERSION).withMeta(REVISION_KEY, REVISION).withMeta("algorithm", algorithm)
          .withMeta("round", Integer.toString(round)).withMeta("metrics", csv.toString())
          .withMeta("held", JSON.writeValueAsString(new TreeMap<>(held)))
          .withAll(MODEL, SafeTensors.ofModel(global)).withAll(STATE, strategyState);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The checkpoint in {@code file}, read from {@code source}, for a model of {@code spec}. */
  static Checkpoint fromFile(TensorFile file, ModelSpec spec, String source) {
    String version = file.meta(VERSION_KEY).orElseThrow(() -> new TensorFileException(source + " is not a CSFL checkpoint"));
    if (!version.equals(VERSION)) {
      throw new TensorFileException(source + " is a checkpoint of format " + version + ", this version reads " + VERSION);
    }
    try {
      String algorithm = required(file, "algorithm", source);
      int round = Integer.parseInt(required(file, "round", source));
      List<RoundMetrics> metrics = required(file, "metrics", source).lines().map(RoundMetrics::parse).toList();
      Map<String, Integer> held = JSON.readValue(required(file, "held", source), new TypeReference<Map<String, Integer>>() {});
      Model global = SafeTensors.toModel(file.under(MODEL), spec, source);
      return new Checkpoint(algorithm, round, metrics, held, global, file.under(STATE));
    } catch (IOException | IllegalArgumentException e) {
      throw new TensorFileException(source + " is not a valid checkpoint: " + e.getMessage(), e);
    }
  }

  private static String required(TensorFile file, String key, String source) {
    return file.meta(key).orElseThrow(() -> new TensorFileException(source + " has no '" + key + "' metadata"));
  }
}
