package io.csfl.checkpoint;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.csfl.metrics.RoundMetrics;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

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
   * What this writer adds to {@link #VERSION}'s files without changing what a reader of an earlier
   * revision gets from them: 2, the strategy state may hold {@link #heldState(int)} entries; 3,
   * {@link Checkpoints} keeps each of those entries in a file of its own, written once, which the
   * checkpoint names in its metadata; 4, {@link Checkpoints} writes a digest of the file's tensors
   * and metadata into it, checked when read, so that bytes changed on disk are found. A file
   * without it is revision 1. A reader of revision 1 or 2 reads a revision 3 or 4 file as one
   * without held entries: it still resumes, and the clients get the whole downlink once.
   */
  public static final String REVISION = "4";
  /**
   * The prefix of the strategy state kept per global model: {@link #heldState(int)}, followed by
   * the strategy's own names.
   */
  public static final String HELD_STATE = "held/";
  /**
   * The metadata of a strategy state that leaves out held entries the receiver has
   * ({@link #withoutHeldBefore}): the oldest round whose entry the sender still keeps.
   */
  public static final String HELD_OLDEST = "csfl.held.oldest";
  static final String VERSION_KEY = "csfl.checkpoint";
  static final String REVISION_KEY = "csfl.checkpoint.revision";
  /** The metadata of a checkpoint file whose held entries are files of their own: round to file name, as JSON. */
  static final String HELD_FILES_KEY = "csfl.checkpoint.held-files";
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
    Set<Integer> heldRounds = new HashSet<>(held.values());
    // An entry that names no round belongs to no client either.
    strategyState = heldFirst(strategyState.without(name -> isHeld(name) && !heldRounds.contains(roundOrNull(name))));
  }

  /**
   * This checkpoint as clients that start again with nothing see it: no client holds a model (and
   * the strategy keeps nothing for one), so the server sends each the whole downlink, not a
   * difference from a model the client no longer has. Resume from it when the clients' actors are
   * new, as after a restart of the whole application; resume from the checkpoint itself when
   * they ran on and only the server was replaced.
   */
  public Checkpoint withoutHeld() {
    return new Checkpoint(algorithm, round, metrics, Map.of(), global, strategyState);
  }

  /**
   * {@code state} with its held entries first, by round, and then the rest, each in the order it
   * had: one order however the state was put together (exported, merged, or read back from a
   * checkpoint whose entries are files of their own), so that equal states are equal.
   */
  private static TensorFile heldFirst(TensorFile state) {
    List<String> names = new ArrayList<>(state.tensors().keySet());
    // Held names that name no round are gone by now (the constructor drops them first).
    names.sort(Comparator.comparingLong(name -> isHeld(name) ? heldRound(name) : Long.MAX_VALUE));
    if (names.equals(List.copyOf(state.tensors().keySet()))) {
      return state;
    }
    Map<String, TensorFile.Tensor> tensors = new LinkedHashMap<>();
    names.forEach(name -> tensors.put(name, state.tensors().get(name)));
    return TensorFile.of(tensors, state.metadata());
  }

  /**
   * The round of {@code name}, an entry of a strategy state under {@link #heldState(int)}.
   *
   * @throws IllegalArgumentException if {@code name} is not under {@link #HELD_STATE} or names no round there
   */
  public static int heldRound(String name) {
    String rest = name.startsWith(HELD_STATE) ? name.substring(HELD_STATE.length()) : "";
    int slash = rest.indexOf('/');
    return round(slash < 0 ? "" : rest.substring(0, slash), name);
  }

  private static int round(String digits, String where) {
    if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(where + " does not name a round");
    }
    return Integer.parseInt(digits);
  }

  private static Integer roundOrNull(String name) {
    try {
      return heldRound(name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean isHeld(String name) {
    return name.startsWith(HELD_STATE);
  }

  /**
   * {@code state} without its {@link #heldState(int) held} entries of rounds before {@code from},
   * which the receiver has already: entries never change once made. When it leaves some out, the
   * metadata {@link #HELD_OLDEST} says from which round on the sender still keeps entries, so that
   * {@link #mergeState} drops what the sender has forgotten. Names under {@link #HELD_STATE} must
   * each name a round.
   */
  public static TensorFile withoutHeldBefore(TensorFile state, int from) {
    int oldest = state.tensors().keySet().stream().filter(Checkpoint::isHeld).mapToInt(Checkpoint::heldRound).min().orElse(from);
    return oldest >= from ? state
        : state.without(name -> isHeld(name) && heldRound(name) < from).withMeta(HELD_OLDEST, Integer.toString(oldest));
  }

  /**
   * The whole state again, from {@code kept}, the whole state the receiver had, and {@code update}, a
   * newer state that may leave out entries as {@link #withoutHeldBefore} does: {@code update}'s
   * entries, and {@code kept}'s held entries that {@code update} left out and its sender still
   * keeps; of both, only the held entries of {@code heldRounds}, the rounds whose models some client
   * holds (a client only ever gets newer models, so the others are of no more use). The result is
   * what the sender's whole state would be, cut to {@code heldRounds}, and carries no
   * {@link #HELD_OLDEST}.
   *
   * @throws IllegalArgumentException if {@code update} (it came over the network) has a held entry
   *     or a {@link #HELD_OLDEST} that names no round
   */
  public static TensorFile mergeState(TensorFile kept, TensorFile update, Collection<Integer> heldRounds) {
    Set<Integer> holding = Set.copyOf(heldRounds);
    String oldest = update.meta(HELD_OLDEST).orElse(null);
    // Without the metadata nothing was left out: the update is the whole state.
    int from = oldest == null ? Integer.MAX_VALUE : round(oldest, HELD_OLDEST);
    Map<String, TensorFile.Tensor> tensors = new LinkedHashMap<>();
    kept.tensors().forEach((name, t) -> {
      if (isHeld(name) && heldRound(name) >= from && holding.contains(heldRound(name)) && !update.tensors().containsKey(name)) {
        tensors.put(name, t);
      }
    });
    update.tensors().forEach((name, t) -> {
      if (!isHeld(name) || holding.contains(heldRound(name))) {
        tensors.put(name, t);
      }
    });
    Map<String, String> metadata = new LinkedHashMap<>(update.metadata());
    metadata.remove(HELD_OLDEST);
    return TensorFile.of(tensors, metadata);
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

  /**
   * The held entries of {@code file}, a checkpoint's whole file, by round: the tensors under
   * {@link #heldState(int)} of its strategy state, named as in the entry.
   */
  static Map<Integer, TensorFile> heldEntries(TensorFile file) {
    Map<Integer, TensorFile> entries = new TreeMap<>();
    file.under(STATE).tensors().keySet().stream().filter(Checkpoint::isHeld).map(Checkpoint::heldRound).distinct()
        .forEach(r -> entries.put(r, file.under(STATE + heldState(r))));
    return entries;
  }

  /** {@code file} without its held entries, naming instead the files that hold them ({@code files}: round to file name). */
  static TensorFile withHeldFiles(TensorFile file, Map<Integer, String> files) {
    try {
      return file.without(name -> name.startsWith(STATE + HELD_STATE)).withMeta(HELD_FILES_KEY, JSON.writeValueAsString(new TreeMap<>(files)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The held entry files {@code file} names, by round (none for a file that holds its entries, or
   * has none); each round one the checkpoint's {@code round} can hold (0 to round - 1).
   *
   * @throws TensorFileException if the metadata is not such a map
   */
  static Map<Integer, String> heldFiles(TensorFile file, String source) {
    Optional<String> json = file.meta(HELD_FILES_KEY);
    if (json.isEmpty()) {
      return Map.of();
    }
    try {
      int round = Integer.parseInt(required(file, "round", source));
      Map<Integer, String> files = JSON.readValue(json.get(), new TypeReference<TreeMap<Integer, String>>() {});
      for (Map.Entry<Integer, String> e : files.entrySet()) {
        if (e.getKey() == null || e.getKey() < 0 || e.getKey() >= round || e.getValue() == null) {
          throw new IllegalArgumentException("held round " + e.getKey() + " cannot be held after round " + round);
        }
      }
      return files;
    } catch (IOException | IllegalArgumentException e) {
      throw new TensorFileException(source + " names its held entries wrongly (" + HELD_FILES_KEY + "): " + e.getMessage(), e);
    }
  }

  /** {@code file} with {@code entry}, read from its own file, back as the held entry of {@code round}. */
  static TensorFile withHeldEntry(TensorFile file, int round, TensorFile entry) {
    return file.withAll(STATE + heldState(round), TensorFile.of(entry.tensors(), Map.of()));
  }

  TensorFile toFile() {
    return toFile(RoundMetrics::toCsvRow);
  }

  /** This checkpoint as a file, its metrics rows formatted by {@code csvRow} ({@link RoundMetrics#toCsvRow}'s text). */
  TensorFile toFile(Function<RoundMetrics, String> csvRow) {
    StringBuilder csv = new StringBuilder();
    metrics.forEach(m -> csv.append(csvRow.apply(m)).append('\n'));
    try {
      return TensorFile.EMPTY.withMeta(VERSION_KEY, VERSION).withMeta(REVISION_KEY, REVISION).withMeta("algorithm", algorithm)
          .withMeta("round", Integer.toString(round)).withMeta("metrics", csv.toString())
          .withMeta("held", JSON.writeValueAsString(new TreeMap<>(held)))
          .withAll(MODEL, SafeTensors.ofModel(global)).withAll(STATE, strategyState);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The global model's tensors in a checkpoint file, named as in a model file; {@code file} itself
   * when it is not a checkpoint. So a tool that reads a trained model reads a checkpoint's as well.
   */
  public static TensorFile modelTensors(TensorFile file) {
    return file.meta(VERSION_KEY).isPresent() ? file.under(MODEL) : file;
  }

  /**
   * How the model in the checkpoint {@code file} differs from one of {@code spec}, naming
   * {@code source}; null if it does not, or if {@code file} is no checkpoint of this format.
   */
  static String modelDifference(TensorFile file, ModelSpec spec, String source) {
    return file.meta(VERSION_KEY).filter(VERSION::equals).isPresent() ? SafeTensors.modelDifference(file.under(MODEL), spec, source) : null;
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
