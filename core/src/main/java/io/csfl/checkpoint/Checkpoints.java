package io.csfl.checkpoint;

import io.csfl.metrics.RoundMetrics;
import io.csfl.tensor.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A directory of checkpoints, {@code ALGORITHM-round-NNNNNN.safetensors}: each written atomically
 * (temporary file, fsync, rename), the last {@code keep} per algorithm kept. Reading takes the
 * newest one that is whole; a truncated or corrupt one is reported by name and the one before it
 * is used.
 *
 * <p>The held entries of a strategy state ({@link Checkpoint#heldState(int)}: CS's earlier models)
 * never change once made, and a checkpoint keeps up to one per round of its downlink history, most
 * of its size. So each is written once, to a file of its own,
 * {@code ALGORITHM-held-NNNNNN-DIGEST.safetensors} (DIGEST: the first 16 hex digits of the file's
 * SHA-256), before the first checkpoint that names it; a checkpoint names its entries' files in
 * its metadata, and a round writes only the model, the rest of the state and the one new entry.
 * An entry file that is missing, or whose bytes do not match its digest, makes the checkpoints
 * that name it unusable, as a corrupt checkpoint is. Entry files no kept checkpoint names are
 * deleted (those of another writer, such as a crashed server, once they are a minute old).
 *
 * <p>Thread-safe; one server writes a directory at a time.
 */
public final class Checkpoints {
  // Rounds of six to nine digits, as written: a longer number (a stray file) is no checkpoint of a
  // round an int can hold, and is ignored rather than failing every listing.
  private static final Pattern NAME = Pattern.compile("(.+)-round-(\\d{6,9})\\.safetensors");
  private static final Pattern HELD_NAME = Pattern.compile("(.+)-held-(\\d{6,9})-([0-9a-f]{16})\\.safetensors");
  private static final String HELD_ROUND_KEY = "csfl.checkpoint.held-round";
  /** The metadata key of a checkpoint file's {@link #contentDigest}. */
  static final String DIGEST_KEY = "csfl.checkpoint.digest";
  /** How old an entry file another store wrote must be before it is deleted as named by no checkpoint. */
  private static final Duration FOREIGN_ENTRY_AGE = Duration.ofMinutes(1);
  private final Path directory;
  private final int keep;
  /** {@link #FOREIGN_ENTRY_AGE}, or zero for a {@link #soleWriter()}. */
  private final Duration foreignEntryAge;
  /** The held entries this store has written, by algorithm and round, and their files: each is written once. */
  private final Map<String, Map<Integer, Written>> written = new HashMap<>();
  /** The entry files each checkpoint names, by checkpoint file, as this store wrote or read them. */
  private final Map<Path, Collection<String>> named = new HashMap<>();

  /**
   * The metrics rows of the last checkpoint saved, as text: a checkpoint holds every row of its
   * run so far, and formatting them all again at each round would cost a number of calls
   * quadratic in the rounds.
   */
  private Map<RoundMetrics, String> csvRows = Map.of();

  private record Written(TensorFile entry, String file) {}

  /** @param keep checkpoints kept per algorithm, at least 1 */
  public Checkpoints(Path directory, int keep) {
    this(directory, keep, FOREIGN_ENTRY_AGE);
  }

  private Checkpoints(Path directory, int keep, Duration foreignEntryAge) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep at least one checkpoint, got " + keep);
    }
    this.directory = directory;
    this.keep = keep;
    this.foreignEntryAge = foreignEntryAge;
  }

  /**
   * A new store of this directory for a process that alone writes it (one that holds a lock on
   * it): a history file no kept checkpoint names is deleted at once, however new. A store shared
   * with other processes (a cluster's server nodes) waits a minute, since another writer's newest
   * file may be about to be named by its next checkpoint.
   */
  public Checkpoints soleWriter() {
    return new Checkpoints(directory, keep, Duration.ZERO);
  }

  /** The directory the checkpoint files are in; it need not exist until the first save. */
  public Path directory() {
    return directory;
  }

  /**
   * Writes {@code checkpoint}, after the held entries no checkpoint of this store has written yet,
   * and deletes that algorithm's older ones beyond {@code keep} and the entry files none of the
   * kept ones names; returns the checkpoint's file. A checkpoint of a later round than this one is
   * never deleted, nor counted among the {@code keep}: it is another writer's (a server that took
   * over), or an unreadable one a resume went back from, and counting it would delete the
   * checkpoint just written.
   */
  public synchronized Path save(Checkpoint checkpoint) throws IOException {
    return save(checkpoint, Map.of());
  }

  /**
   * As {@link #save(Checkpoint)}, with {@code description} in the file's metadata besides the
   * checkpoint's own: what a reader of the file alone needs and the checkpoint does not hold, such
   * as the model's architecture ({@code csfl evaluate} reads it). The checkpoint's own keys
   * ({@code algorithm}, {@code round}, ..., and every key starting {@code csfl.}) are refused.
   */
  public synchronized Path save(Checkpoint checkpoint, Map<String, String> description) throws IOException {
    String algorithm = checkpoint.algorithm();
    Map<RoundMetrics, String> rows = new HashMap<>();
    Map<RoundMetrics, String> formatted = csvRows;
    TensorFile whole = checkpoint.toFile(m -> rows.computeIfAbsent(m, k -> {
      String row = formatted.get(k);
      return row != null ? row : k.toCsvRow();
    }));
    csvRows = rows;
    for (Map.Entry<String, String> e : new TreeMap<>(description).entrySet()) {
      if (e.getKey().startsWith("csfl.") || whole.meta(e.getKey()).isPresent()) {
        throw new IllegalArgumentException("metadata key " + e.getKey() + " is the checkpoint's own");
      }
      whole = whole.withMeta(e.getKey(), e.getValue());
    }
    Map<Integer, String> entryFiles = new TreeMap<>();
    for (Map.Entry<Integer, TensorFile> e : Checkpoint.heldEntries(whole).entrySet()) {
      entryFiles.put(e.getKey(), saveHeld(algorithm, e.getKey(), e.getValue()));
    }
    Path file = directory.resolve(String.format("%s-round-%06d.safetensors", algorithm, checkpoint.round()));
    TensorFile written = entryFiles.isEmpty() ? whole : Checkpoint.withHeldFiles(whole, entryFiles);
    SafeTensors.write(file, written.withMeta(DIGEST_KEY, contentDigest(written)));
    named.put(file, List.copyOf(entryFiles.values()));
    prune(algorithm, checkpoint.round());
    // A round's file is never written again, so a write of it that a kill cut short would leave
    // its temporary file for good: swept here, once old enough not to be a standby's write in flight.
    removeTemporaries(algorithm, io.csfl.internal.files.AtomicFiles.STALE);
    return file;
  }

  /**
   * Deletes {@code algorithm}'s checkpoints of rounds up to {@code round} but the newest kept
   * ones, and the entry files that no remaining checkpoint names, as each save does after writing
   * its own. A run resumed after its last round calls it too: it saves no more, and a kill between
   * its last save and the deletions left one checkpoint too many. Later rounds' checkpoints stay,
   * as for a save.
   */
  public synchronized void prune(String algorithm, int round) throws IOException {
    List<Path> all = files(algorithm);
    int upToThis = (int) all.stream().filter(f -> roundOf(f) <= round).count();
    for (int i = 0; i < upToThis - keep; i++) {
      Files.deleteIfExists(all.get(i));
      named.remove(all.get(i));
    }
    deleteUnnamedEntries(algorithm, all.subList(Math.max(0, upToThis - keep), all.size()));
  }

  /**
   * Deletes the temporary files that writes of {@code algorithm}'s checkpoints and held entries
   * left here when their process died before the rename, once unwritten for {@code unwrittenFor}:
   * {@link Duration#ZERO} for a process that holds the directory alone, more where another
   * writer's may be in flight. Each save does this with ten minutes.
   */
  public void removeTemporaries(String algorithm, Duration unwrittenFor) {
    io.csfl.internal.files.AtomicFiles.removeTemporaries(directory,
        name -> named(NAME, name, algorithm) || named(HELD_NAME, name, algorithm), unwrittenFor);
  }

  /** Whether {@code pattern} matches the file name {@code name} with {@code algorithm} as its first group. */
  private static boolean named(Pattern pattern, String name, String algorithm) {
    Matcher m = pattern.matcher(name);
    return m.matches() && m.group(1).equals(algorithm);
  }

  /** The file of the held entry of {@code round}: the one written before if it is the same, else a new one. */
  private String saveHeld(String algorithm, int round, TensorFile entry) throws IOException {
    Map<Integer, Written> byRound = written.computeIfAbsent(algorithm, a -> new HashMap<>());
    Written before = byRound.get(round);
    if (before != null && before.entry().equals(entry) && Files.exists(directory.resolve(before.file()))) {
      return before.file();
    }
    byte[] bytes = SafeTensors.toBytes(entry.withMeta("algorithm", algorithm).withMeta(HELD_ROUND_KEY, Integer.toString(round)));
    String file = String.format("%s-held-%06d-%s.safetensors", algorithm, round, digest(bytes));
    Path path = directory.resolve(file);
    // Named by its content's digest, so a file of that name is this entry: written by this run
    // before it was resumed, say. Written again only if its bytes differ (a damaged copy).
    if (!(Files.isRegularFile(path) && Files.size(path) == bytes.length && java.util.Arrays.equals(Files.readAllBytes(path), bytes))) {
      SafeTensors.writeAtomically(path, bytes);
    }
    byRound.put(round, new Written(entry, file));
    return file;
  }

  /**
   * Deletes the entry files of {@code algorithm} that none of {@code kept}, its checkpoints, names.
   * A checkpoint this store did not write is asked from its header; if one cannot be read, nothing
   * is deleted.
   */
  private void deleteUnnamedEntries(String algorithm, List<Path> kept) throws IOException {
    Set<String> inUse = new HashSet<>();
    for (Path checkpoint : kept) {
      Collection<String> names = named.get(checkpoint);
      if (names == null) {
        try {
          names = List.copyOf(Checkpoint.heldFiles(TensorFile.of(Map.of(), SafeTensors.readMetadata(checkpoint)), checkpoint.toString()).values());
        } catch (TensorFileException e) {
          return;
        }
        named.put(checkpoint, names);
      }
      inUse.addAll(names);
    }
    Map<Integer, Written> own = written.getOrDefault(algorithm, Map.of());
    Set<String> ownFiles = new HashSet<>();
    own.values().forEach(w -> ownFiles.add(w.file()));
    FileTime settled = FileTime.from(Instant.now().minus(foreignEntryAge));
    for (Path entry : heldFiles(algorithm)) {
      String name = entry.getFileName().toString();
      // Another writer's entry may be about to be named by its next checkpoint: a server cut off
      // from the cluster while its successor runs, or a crash's leftover, which can wait.
      if (!inUse.contains(name) && (ownFiles.contains(name) || Files.getLastModifiedTime(entry).compareTo(settled) <= 0)) {
        Files.deleteIfExists(entry);
      }
    }
    own.values().removeIf(w -> !inUse.contains(w.file()));
  }

  /**
   * The first 16 hex digits of a SHA-256 over {@code file}'s tensors (names, dtypes, shapes and
   * bytes, by name) and its metadata but {@link #DIGEST_KEY}, by key: what the file holds, however
   * its header lays it out. A checkpoint's own bytes are then checked as its history files are.
   */
  static String contentDigest(TensorFile file) {
    MessageDigest sha = sha256();
    java.nio.ByteBuffer number = java.nio.ByteBuffer.allocate(8);
    for (Map.Entry<String, TensorFile.Tensor> e : new TreeMap<>(file.tensors()).entrySet()) {
      sha.update((e.getKey() + "\0" + e.getValue().dtype() + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      for (long d : e.getValue().shape()) {
        sha.update(number.clear().putLong(d).array());
      }
      sha.update(number.clear().putLong(e.getValue().byteLength()).array());
      sha.update(e.getValue().data());
    }
    for (Map.Entry<String, String> e : new TreeMap<>(file.metadata()).entrySet()) {
      if (!e.getKey().equals(DIGEST_KEY)) {
        sha.update((e.getKey() + "\0" + e.getValue() + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    return HexFormat.of().formatHex(sha.digest(), 0, 8);
  }

  /** The first 16 hex digits of the SHA-256 of {@code bytes}: a history file's name and check. */
  private static String digest(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes), 0, 8);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * Throws unless {@code file}, read from {@code source}, holds what was written there: a
   * checkpoint carries a digest of its tensors and metadata, and a file whose content no longer
   * matches it (a flipped bit, a half-copied file) is refused. A file without a digest (a model
   * file) passes.
   */
  public static void requireIntact(TensorFile file, String source) throws TensorFileException {
    Optional<String> digest = file.meta(DIGEST_KEY);
    if (digest.isPresent() && !digest.get().equals(contentDigest(file))) {
      throw new TensorFileException(source + " does not hold what was written there: its tensors or metadata differ from its digest");
    }
  }

  /**
   * The newest readable checkpoint of {@code algorithm} for a model of {@code spec}; each unreadable
   * newer one is passed to {@code warnings} as one line naming the file and why. When no checkpoint
   * reads whole, but some does without its held entries (a history file lost or damaged), the
   * newest of those is returned without them, said in one more warning: its clients then get the
   * whole downlink once, as after a resume from a revision 1 file, instead of the run starting
   * again from round 1.
   *
   * @throws IllegalArgumentException if the newest checkpoint whose file reads holds a model of
   *     other tensors than {@code spec}'s: that is a resume with the wrong model, not a damaged
   *     file, and an older checkpoint of the run would not fit either; or if there are checkpoint
   *     files of {@code algorithm} and none is usable: the run would silently start again, its
   *     rounds lost, where a user can still put a good copy back
   */
  public Optional<Checkpoint> latest(String algorithm, ModelSpec spec, Consumer<String> warnings) {
    List<Path> all = files(algorithm);
    Checkpoint withoutHistory = null;
    String historyProblem = null;
    String newestProblem = null;
    for (int i = all.size() - 1; i >= 0; i--) {
      Path f = all.get(i);
      String next = i > 0 ? ", trying the previous one: " : ", and it is the oldest: ";
      try {
        TensorFile file = SafeTensors.read(f, maxBytes(spec));
        requireIntact(file, f.toString());
        String otherModel = Checkpoint.modelDifference(file, spec, f.toString());
        if (otherModel != null) {
          throw new IllegalArgumentException("the checkpoint of another model: " + otherModel
              + "; a run continues only with the model it was started with");
        }
        TensorFile whole;
        try {
          whole = withHeldEntries(file, algorithm, spec, f);
        } catch (TensorFileException e) {
          Checkpoint usable = checked(Checkpoint.fromFile(file, spec, f.toString()), algorithm, f);
          if (withoutHistory == null) {
            withoutHistory = usable;
            historyProblem = e.getMessage();
          }
          newestProblem = newestProblem == null ? e.getMessage() : newestProblem;
          warnings.accept("checkpoint " + f.getFileName() + " lacks the models its clients held" + next + e.getMessage());
          continue;
        }
        return Optional.of(checked(Checkpoint.fromFile(whole, spec, f.toString()), algorithm, f));
      } catch (TensorFileException e) {
        newestProblem = newestProblem == null ? e.getMessage() : newestProblem;
        warnings.accept("checkpoint " + f.getFileName() + " unusable" + next + e.getMessage());
      }
    }
    if (withoutHistory != null) {
      warnings.accept(algorithm + ": resuming from round " + withoutHistory.round() + " without the models its clients held ("
          + historyProblem + "): they get the whole downlink once");
      return Optional.of(withoutHistory);
    }
    if (!all.isEmpty()) {
      throw new IllegalArgumentException("none of the " + all.size() + " checkpoint(s) of " + algorithm + " in " + directory
          + " is usable (the newest: " + newestProblem + "); put a good copy back, or move them away to train "
          + algorithm + " again from round 1");
    }
    return Optional.empty();
  }

  /** {@code c}, read from {@code f}, unless it is not the checkpoint {@code f}'s name says. */
  private static Checkpoint checked(Checkpoint c, String algorithm, Path f) {
    if (!c.algorithm().equals(algorithm) || c.round() != roundOf(f)) {
      throw new TensorFileException(f + " holds " + c.algorithm() + " round " + c.round() + ", not what its name says");
    }
    return c;
  }

  /**
   * {@code file}, the checkpoint {@code source}, with the held entries it names read back from
   * their files, each checked against its name: the algorithm, the round and the digest.
   */
  private TensorFile withHeldEntries(TensorFile file, String algorithm, ModelSpec spec, Path source) {
    TensorFile whole = file;
    for (Map.Entry<Integer, String> e : Checkpoint.heldFiles(file, source.toString()).entrySet()) {
      String name = e.getValue();
      Matcher m = HELD_NAME.matcher(name);
      if (!m.matches() || !m.group(1).equals(algorithm) || Integer.parseInt(m.group(2)) != e.getKey()) {
        throw new TensorFileException(source + " names " + name + " as the held entry of " + algorithm + " round " + e.getKey());
      }
      Path entryFile = directory.resolve(name);
      byte[] bytes = SafeTensors.readBytes(entryFile, maxHeldBytes(spec));
      if (!digest(bytes).equals(m.group(3))) {
        throw new TensorFileException(entryFile + " does not hold what " + source + " wrote there (its SHA-256 differs)");
      }
      TensorFile entry = SafeTensors.fromBytes(bytes, entryFile.toString());
      if (!entry.meta("algorithm").equals(Optional.of(algorithm))
          || !entry.meta(HELD_ROUND_KEY).equals(Optional.of(Integer.toString(e.getKey())))) {
        throw new TensorFileException(entryFile + " is not the held entry of " + algorithm + " round " + e.getKey());
      }
      whole = Checkpoint.withHeldEntry(whole, e.getKey(), entry);
    }
    return whole;
  }

  /** Whether the directory holds any checkpoint file. */
  public boolean isEmpty() {
    try (Stream<Path> s = Files.exists(directory) ? Files.list(directory) : Stream.empty()) {
      return s.noneMatch(p -> NAME.matcher(p.getFileName().toString()).matches());
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The largest checkpoint file of a model of {@code spec} that is read: the model, the server
   * residual and up to 64 rounds of history, each at most model-sized, and the metadata.
   */
  public static long maxFileBytes(ModelSpec spec) {
    return maxBytes(spec);
  }

  /** The model, the server residual and up to 64 rounds of history, each at most model-sized, and the metadata. */
  static long maxBytes(ModelSpec spec) {
    return 4 * spec.parameterCount() * 70 + (64L << 20);
  }

  /** A held entry: at most one value per position of the model, and a bit per position for its masks. */
  static long maxHeldBytes(ModelSpec spec) {
    return 4 * spec.parameterCount() + spec.parameterCount() / 8 + 8L * spec.tensorCount() + (1 << 20);
  }

  /** The held entry files of {@code algorithm}. */
  private List<Path> heldFiles(String algorithm) {
    return list(HELD_NAME, algorithm);
  }

  /** The checkpoint files of {@code algorithm}, oldest round first. */
  private List<Path> files(String algorithm) {
    List<Path> out = list(NAME, algorithm);
    out.sort(Comparator.comparingInt(Checkpoints::roundOf));
    return out;
  }

  /** The files of the directory whose names {@code pattern} matches with {@code algorithm} as its first group. */
  private List<Path> list(Pattern pattern, String algorithm) {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(directory)) {
      return out;
    }
    try (Stream<Path> s = Files.list(directory)) {
      s.filter(p -> named(pattern, p.getFileName().toString(), algorithm)).forEach(out::add);
    } catch (IOException e) {
      throw new TensorFileException("cannot list " + directory + ": " + e, e);
    }
    return out;
  }

  private static int roundOf(Path p) {
    Matcher m = NAME.matcher(p.getFileName().toString());
    return m.matches() ? Integer.parseInt(m.group(2)) : -1;
  }
}
