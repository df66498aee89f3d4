package io.csfl.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@link Checkpoints} stores the held entries of a strategy state: each in a file of its own,
 * written once, named by the checkpoints that hold it, checked when read, deleted when no kept
 * checkpoint names it.
 */
class CheckpointsTest {
  private static final Architecture MLP = Architecture.mlp();
  @TempDir
  Path dir;

  /** The held entry of {@code round}: what CS keeps per earlier model, here 40 KB of bytes fixed by the round. */
  private static TensorFile entry(int round) {
    byte[] values = new byte[40_000];
    new Random(round).nextBytes(values);
    return TensorFile.EMPTY.withBytes("kept/w", new byte[] {(byte) round}).withBytes("values/w", values);
  }

  /** Round {@code round} of a cs run whose clients hold the models of the two rounds before it. */
  private static Checkpoint checkpoint(int round) {
    List<RoundMetrics> rows = new ArrayList<>();
    for (int r = 1; r <= round; r++) {
      rows.add(new RoundMetrics("cs", r, 0.5, 1.0, 10, 20, 2, 2, 1, 1, 1, 1));
    }
    Map<String, Integer> held = new HashMap<>();
    TensorFile state = TensorFile.EMPTY.withBytes("mask/w", new byte[] {1, 0, (byte) round});
    for (int r = Math.max(0, round - 2); r < round; r++) {
      held.put("client-" + r, r);
      state = state.withAll(Checkpoint.heldState(r), entry(r));
    }
    return new Checkpoint("cs", round, rows, held, MLP.initialModel(round), state);
  }

  private Set<String> entryFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.contains("-held-")).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private Object fileKey(String name) throws IOException {
    return Files.readAttributes(dir.resolve(name), BasicFileAttributes.class).fileKey();
  }

  private static String entryOf(Set<String> files, int round) {
    return files.stream().filter(n -> n.startsWith(String.format("cs-held-%06d-", round))).findFirst().orElseThrow();
  }

  @Test
  void eachHeldEntryIsWrittenOnceAndTheCheckpointReadsBackWhole() throws IOException {
    Checkpoints store = new Checkpoints(dir, 2);
    store.save(checkpoint(1));
    String first = entryOf(entryFiles(), 0);
    Object firstKey = fileKey(first);
    store.save(checkpoint(2));
    assertEquals(firstKey, fileKey(first), "the entry of round 0 was not written again");
    for (int r = 3; r <= 4; r++) {
      store.save(checkpoint(r));
    }
    // Kept: rounds 3 (entries 1, 2) and 4 (entries 2, 3); the entry of round 0 is named by neither.
    Set<String> files = entryFiles();
    assertEquals(3, files.size(), files.toString());
    for (int r = 1; r <= 3; r++) {
      entryOf(files, r);
    }
    TensorFile main = SafeTensors.read(dir.resolve("cs-round-000004.safetensors"), Long.MAX_VALUE);
    assertTrue(main.tensors().keySet().stream().noneMatch(n -> n.contains("held/")), "the checkpoint holds no entry itself");
    assertEquals(Checkpoint.REVISION, main.meta(Checkpoint.REVISION_KEY).orElseThrow());

    List<String> warnings = new ArrayList<>();
    Checkpoint read = store.latest("cs", MLP.spec(), warnings::add).orElseThrow();
    assertEquals(List.of(), warnings);
    assertEquals(checkpoint(4), read);
    assertEquals(entry(3), read.strategyState().under(Checkpoint.heldState(3)));
    // Another store on the directory (a server that takes over) reads the same.
    assertEquals(checkpoint(4), new Checkpoints(dir, 2).latest("cs", MLP.spec(), warnings::add).orElseThrow());
  }

  /**
   * A checkpoint of another model is a resume with the wrong model, not a damaged file: refused at
   * once, naming the file and the tensor, instead of warned about and skipped (every older one
   * would not fit either, and the caller would quietly start again from round 1).
   */
  /** A round's checkpoint is never written again, so the temporary file of a write a kill cut short is swept by later saves. */
  @Test
  void aStrayFileWithARoundTooLongForAnIntIsNoCheckpoint() throws IOException {
    Checkpoints store = new Checkpoints(dir, 2);
    store.save(checkpoint(3));
    Files.writeString(dir.resolve("cs-round-9999999999.safetensors"), "not a checkpoint");
    Files.writeString(dir.resolve("cs-held-9999999999-0123456789abcdef.safetensors"), "not an entry");
    List<String> warnings = new ArrayList<>();
    assertEquals(checkpoint(3), store.latest("cs", MLP.spec(), warnings::add).orElseThrow(), "the stray files are not read");
    store.save(checkpoint(4));
    assertEquals(checkpoint(4), store.latest("cs", MLP.spec(), warnings::add).orElseThrow());
    assertTrue(warnings.isEmpty(), warnings.toString());
  }

  @Test
  void aSaveSweepsTheAlgorithmsStaleTemporaryFiles() throws IOException {
    java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(
        java.time.Instant.now().minus(io.csfl.internal.files.AtomicFiles.STALE).minusSeconds(60));
    Path killed = Files.writeString(dir.resolve(".cs-round-000001.safetensors.3k9x.tmp"), "cut short");
    Path killedEntry = Files.writeString(dir.resolve(".cs-held-000000-0123456789abcdef.safetensors.k2.tmp"), "cut short");
    Path otherRun = Files.writeString(dir.resolve(".fedavg-round-000001.safetensors.3k9x.tmp"), "another algorithm's");
    Path recent = Files.writeString(dir.resolve(".cs-round-000002.safetensors.a1.tmp"), "perhaps a standby's, in flight");
    for (Path p : List.of(killed, killedEntry, otherRun)) {
      Files.setLastModifiedTime(p, old);
    }
    new Checkpoints(dir, 2).save(checkpoint(3));
    assertFalse(Files.exists(killed));
    assertFalse(Files.exists(killedEntry));
    assertTrue(Files.exists(otherRun) && Files.exists(recent));
  }

  @Test
  void aCheckpointOfAnotherModelIsRefusedNotSkipped() throws IOException {
    Checkpoints store = new Checkpoints(dir, 3);
    store.save(checkpoint(1));
    store.save(checkpoint(2));
    List<String> warnings = new ArrayList<>();
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> store.latest("cs", Architecture.mlp(784, 5).spec(), warnings::add));
    assertTrue(e.getMessage().startsWith("the checkpoint of another model: " + dir.resolve("cs-round-000002.safetensors")), e.getMessage());
    assertTrue(e.getMessage().contains("the model needs F32 [200, 5]") && e.getMessage().endsWith("a run continues only with the model it was started with"),
        e.getMessage());
    assertTrue(warnings.isEmpty(), warnings.toString());
    assertEquals(checkpoint(2), store.latest("cs", MLP.spec(), warnings::add).orElseThrow());
  }

  /**
   * A run that went back from unreadable checkpoints of later rounds keeps what it writes: the
   * later files are not counted among the kept ones, or each new checkpoint, the oldest round by
   * number, would be deleted as soon as it is written, and a crash would lose the progress again.
   */
  @Test
  void checkpointsOfLaterRoundsNeitherCountAmongTheKeptNorAreDeleted() throws IOException {
    Checkpoints store = new Checkpoints(dir, 2);
    store.save(checkpoint(5));
    store.save(checkpoint(6));
    for (int r = 5; r <= 6; r++) {
      Files.write(dir.resolve(String.format("cs-round-%06d.safetensors", r)), new byte[100]);
    }
    Checkpoints resumed = new Checkpoints(dir, 2);
    for (int r = 1; r <= 3; r++) {
      resumed.save(checkpoint(r));
    }
    List<String> warnings = new ArrayList<>();
    assertEquals(checkpoint(3), resumed.latest("cs", MLP.spec(), warnings::add).orElseThrow());
    assertEquals(2, warnings.size(), warnings.toString());
    assertTrue(Files.exists(dir.resolve("cs-round-000002.safetensors")));
    assertFalse(Files.exists(dir.resolve("cs-round-000001.safetensors")), "beyond the two kept up to round 3");
    assertTrue(Files.exists(dir.resolve("cs-round-000006.safetensors")), "a later round's file is left alone");
  }

  /** A description may add to the file's metadata, never replace what the checkpoint says of itself. */
  @Test
  void aDescriptionCannotReplaceTheCheckpointsOwnMetadata() throws IOException {
    Checkpoints store = new Checkpoints(dir, 3);
    for (String own : List.of("round", "algorithm", "metrics", "held", "csfl.anything")) {
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> store.save(checkpoint(1), Map.of(own, "x")));
    }
    store.save(checkpoint(1), Map.of("architecture", "mlp"));
    assertEquals(java.util.Optional.of("mlp"),
        SafeTensors.read(dir.resolve("cs-round-000001.safetensors"), Long.MAX_VALUE).meta("architecture"));
    assertEquals(checkpoint(1), store.latest("cs", MLP.spec(), w -> { }).orElseThrow());
  }

  /** A byte changed on disk in a checkpoint's own tensors is found, as in its history files: the one before is used. */
  @Test
  void aCheckpointWhoseBytesChangedOnDiskIsUnusable() throws IOException {
    Checkpoints store = new Checkpoints(dir, 3);
    store.save(checkpoint(1));
    store.save(checkpoint(2));
    Path newest = dir.resolve("cs-round-000002.safetensors");
    byte[] bytes = Files.readAllBytes(newest);
    bytes[bytes.length - 3] ^= 0x10; // in the data of the last tensor, past the header
    Files.write(newest, bytes);
    List<String> warnings = new ArrayList<>();
    assertEquals(checkpoint(1), store.latest("cs", MLP.spec(), warnings::add).orElseThrow());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains(newest + " does not hold what was written there"), warnings.get(0));
  }

  @Test
  void aMissingOrAlteredEntryMakesTheCheckpointThatNamesItUnusable() throws IOException {
    Checkpoints store = new Checkpoints(dir, 3);
    for (int r = 1; r <= 3; r++) {
      store.save(checkpoint(r));
    }
    // The entry of round 2 is named by round 3's checkpoint only.
    Path entry2 = dir.resolve(entryOf(entryFiles(), 2));
    byte[] bytes = Files.readAllBytes(entry2);
    bytes[bytes.length - 1] ^= 1;
    Files.write(entry2, bytes);
    List<String> warnings = new ArrayList<>();
    assertEquals(checkpoint(2), store.latest("cs", MLP.spec(), warnings::add).orElseThrow());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains(entry2.toString()) && warnings.get(0).contains("SHA-256"), warnings.get(0));

    Files.delete(entry2);
    warnings.clear();
    assertEquals(checkpoint(2), store.latest("cs", MLP.spec(), warnings::add).orElseThrow());
    assertTrue(warnings.get(0).contains(entry2.toString()) && warnings.get(0).contains("does not exist"), warnings.get(0));

    // A file put where an entry of round 1 belongs, under another round's name, is refused too.
    Path entry1 = dir.resolve(entryOf(entryFiles(), 1));
    Files.copy(dir.resolve(entryOf(entryFiles(), 0)), entry1, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    warnings.clear();
    assertEquals(checkpoint(1), store.latest("cs", MLP.spec(), warnings::add).orElseThrow());
    // Rounds 3 and 2 both name entry 1.
    assertEquals(2, warnings.size(), warnings.toString());
    assertTrue(warnings.stream().allMatch(w -> w.contains(entry1.toString())), warnings.toString());
  }

  /**
   * History files lost or damaged under every checkpoint cost the clients their held models, not
   * the run: the newest checkpoint resumes without them, said once, and its clients get the whole
   * downlink. Before, the run started again from round 1 and its rows were removed.
   */
  @Test
  void withEveryCheckpointsEntriesLostTheNewestResumesWithoutThem() throws IOException {
    Checkpoints store = new Checkpoints(dir, 3);
    for (int r = 1; r <= 3; r++) {
      store.save(checkpoint(r));
    }
    // Round 1's checkpoint names entry 0, round 2's entries 0 and 1, round 3's entries 1 and 2.
    Files.delete(dir.resolve(entryOf(entryFiles(), 0)));
    Files.delete(dir.resolve(entryOf(entryFiles(), 1)));
    List<String> warnings = new ArrayList<>();
    Checkpoint read = store.latest("cs", MLP.spec(), warnings::add).orElseThrow();
    assertEquals(3, read.round());
    assertEquals(checkpoint(3).global(), read.global());
    assertEquals(checkpoint(3).metrics(), read.metrics());
    assertEquals(List.of("mask/w"), List.copyOf(read.strategyState().tensors().keySet()), "no held entry");
    assertEquals(4, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).startsWith("checkpoint cs-round-000003.safetensors lacks the models its clients held, trying the previous one: "),
        warnings.get(0));
    assertTrue(warnings.get(2).startsWith("checkpoint cs-round-000001.safetensors lacks the models its clients held, and it is the oldest: "),
        warnings.get(2));
    assertTrue(warnings.get(3).startsWith("cs: resuming from round 3 without the models its clients held (")
        && warnings.get(3).endsWith("): they get the whole downlink once"), warnings.get(3));
  }

  /** Checkpoints that are there but all unusable stop the resume: starting again would lose every round without a word. */
  @Test
  void checkpointsThatAreAllUnusableAreRefusedNotTakenForNone() throws IOException {
    Checkpoints store = new Checkpoints(dir, 3);
    for (int r = 1; r <= 2; r++) {
      store.save(checkpoint(r));
      Path file = dir.resolve(String.format("cs-round-%06d.safetensors", r));
      Files.write(file, java.util.Arrays.copyOf(Files.readAllBytes(file), 1000));
    }
    List<String> warnings = new ArrayList<>();
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> store.latest("cs", MLP.spec(), warnings::add));
    assertTrue(e.getMessage().startsWith("none of the 2 checkpoint(s) of cs in " + dir + " is usable (the newest: "), e.getMessage());
    assertTrue(e.getMessage().endsWith("put a good copy back, or move them away to train cs again from round 1"), e.getMessage());
    assertEquals(2, warnings.size(), warnings.toString());
    assertTrue(store.latest("fedavg", MLP.spec(), warnings::add).isEmpty(), "no checkpoint at all: a fresh start");
  }

  @Test
  void aSoleWriterDeletesAnEntryNoCheckpointNamesHoweverNew() throws IOException {
    new Checkpoints(dir, 2).save(checkpoint(1));
    Path fresh = Files.write(dir.resolve("cs-held-000008-0123456789abcdef.safetensors"), new byte[] {1});
    new Checkpoints(dir, 2).save(checkpoint(2));
    assertTrue(Files.exists(fresh), "a shared store leaves a new file another writer may be about to name");
    new Checkpoints(dir, 2).soleWriter().save(checkpoint(3));
    assertFalse(Files.exists(fresh), "a store that alone writes the directory deletes it");
  }

  @Test
  void aStoreThatResumesWritesNoEntryAgainAndDeletesWhatNoCheckpointNames() throws IOException {
    new Checkpoints(dir, 2).save(checkpoint(1));
    new Checkpoints(dir, 2).save(checkpoint(2));
    // Entry 1 as the run before the resume wrote it.
    Object key1 = fileKey(entryOf(entryFiles(), 1));
    // Left by a crash between an entry and its checkpoint, an hour ago and just now (perhaps by a
    // server still running, about to name it), and another algorithm's entry.
    Path crashed = Files.write(dir.resolve("cs-held-000009-0123456789abcdef.safetensors"), new byte[] {1});
    Files.setLastModifiedTime(crashed, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
    Files.write(dir.resolve("cs-held-000008-0123456789abcdef.safetensors"), new byte[] {1});
    Files.write(dir.resolve("stc-held-000001-0123456789abcdef.safetensors"), new byte[] {1});
    Checkpoints resumed = new Checkpoints(dir, 2);
    assertEquals(checkpoint(2), resumed.latest("cs", MLP.spec(), w -> { throw new AssertionError(w); }).orElseThrow());
    resumed.save(checkpoint(3));
    Set<String> files = entryFiles();
    assertFalse(files.contains("cs-held-000009-0123456789abcdef.safetensors"), files.toString());
    assertTrue(files.contains("cs-held-000008-0123456789abcdef.safetensors"), files.toString());
    assertTrue(files.contains("stc-held-000001-0123456789abcdef.safetensors"), files.toString());
    // Rounds 2 and 3 kept: entries 0 and 1, then 1 and 2.
    assertEquals(5, files.size(), files.toString());
    Object key2 = fileKey(entryOf(files, 2));
    assertEquals(key1, fileKey(entryOf(files, 1)), "an entry the run wrote before it was resumed is not written again");
    resumed.save(checkpoint(4));
    assertEquals(key2, fileKey(entryOf(entryFiles(), 2)), "written once by this store");
    // A copy damaged in place (same name, other bytes) is written again by a store that finds it.
    Path damaged = dir.resolve(entryOf(entryFiles(), 3));
    byte[] intact = Files.readAllBytes(damaged);
    byte[] changed = intact.clone();
    changed[changed.length - 1] ^= 1;
    Files.write(damaged, changed);
    new Checkpoints(dir, 2).save(checkpoint(5));
    assertArrayEquals(intact, Files.readAllBytes(damaged));
  }

  @Test
  void anEntryOfAnotherRunIsNeverTakenForThisOne() throws IOException {
    Checkpoints store = new Checkpoints(dir, 1);
    store.save(checkpoint(2));
    String before = entryOf(entryFiles(), 1);
    // The same round with other contents (another run in the same directory) gets another file.
    Checkpoint other = new Checkpoint("cs", 2, checkpoint(2).metrics(), Map.of("client-1", 1), MLP.initialModel(2),
        TensorFile.EMPTY.withAll(Checkpoint.heldState(1), entry(7)));
    store.save(other);
    String after = entryOf(entryFiles(), 1);
    assertNotEquals(before, after);
    assertEquals(other, store.latest("cs", MLP.spec(), w -> { throw new AssertionError(w); }).orElseThrow());
  }

  @Test
  void aCheckpointThatHoldsItsEntriesItselfStillReads() throws IOException {
    Checkpoint c = checkpoint(3);
    SafeTensors.write(dir.resolve("cs-round-000003.safetensors"), c.toFile());
    assertEquals(c, new Checkpoints(dir, 2).latest("cs", MLP.spec(), w -> { throw new AssertionError(w); }).orElseThrow());
  }
}
