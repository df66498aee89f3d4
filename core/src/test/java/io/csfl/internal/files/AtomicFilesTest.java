package io.csfl.internal.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir
  Path dir;

  private List<Path> files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void replacesTheFileAndLeavesNoTemporaryFile() throws Exception {
    Path file = dir.resolve("run.json");
    AtomicFiles.write(file, new byte[] {1, 2, 3}, false);
    AtomicFiles.write(file, new byte[] {4}, false);
    assertArrayEquals(new byte[] {4}, Files.readAllBytes(file));
    assertEquals(List.of(file), files());
  }

  @Test
  void anOwnerOnlyFileIsReadableByItsOwnerAlone() throws Exception {
    Path key = dir.resolve("tls.key");
    AtomicFiles.write(key, "secret".getBytes(), true);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    Path cert = dir.resolve("tls.crt");
    AtomicFiles.write(cert, "public".getBytes(), false);
    Path plain = Files.createFile(dir.resolve("plain"));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(cert),
        "a shared file gets the default permissions, as a file created plainly does");
  }

  @Test
  void aFullDiskIsSaidWithTheFileItStopped() throws Exception {
    // ENOSPC from FileChannel.write or force is a plain IOException that names no file: the run's
    // "could not be saved (java.io.IOException: No space left on device)" left the user guessing
    // whether --out or --checkpoint-dir was full.
    Path model = dir.resolve("model-cs.safetensors");
    Files.write(model, new byte[] {7});
    IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(model, ch -> {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2}));
      throw new IOException("No space left on device");
    }, false));
    assertTrue(e instanceof java.nio.file.FileSystemException, "names its file: " + e);
    assertEquals(model.toString(), ((java.nio.file.FileSystemException) e).getFile());
    assertEquals(model + ": no space left on device", FileProblems.writing(model, e));
    assertArrayEquals(new byte[] {7}, Files.readAllBytes(model), "the old file stands");
    assertEquals(List.of(model), files(), "the temporary file is gone");
  }

  @Test
  void aWriteThatCannotLandLeavesWhatWasThere() throws Exception {
    Path target = Files.createDirectories(dir.resolve("metrics.csv"));
    Files.writeString(target.resolve("inside"), "kept");
    assertThrows(IOException.class, () -> AtomicFiles.write(target, new byte[] {1}, false));
    assertEquals("kept", Files.readString(target.resolve("inside")));
    assertEquals(List.of(target), files(), "the temporary file is gone");
  }

  @Test
  void aWriteDeletesWhatAKilledWriteOfTheSameFileLeftAndNothingElse() throws Exception {
    Path model = dir.resolve("model.safetensors");
    Path killed = Files.writeString(dir.resolve(".model.safetensors.3k9x0q2m1z.tmp"), "half a model");
    Path inFlight = Files.writeString(dir.resolve(".model.safetensors.a1b2c3.tmp"), "another writer's");
    Path otherFile = Files.writeString(dir.resolve(".metrics.csv.3k9x0q2m1z.tmp"), "not this file's");
    Path lookAlike = Files.writeString(dir.resolve(".model.safetensors.mine.bak.tmp"), "not a temporary name");
    FileTime old = FileTime.from(Instant.now().minus(AtomicFiles.STALE).minusSeconds(60));
    for (Path p : List.of(killed, otherFile, lookAlike)) {
      Files.setLastModifiedTime(p, old);
    }
    AtomicFiles.write(model, new byte[] {7}, false);
    assertArrayEquals(new byte[] {7}, Files.readAllBytes(model));
    assertFalse(Files.exists(killed), "left by a write that died long ago");
    assertEquals(List.of(otherFile, inFlight, lookAlike, model), files(),
        "a recent one may be a live writer's; other files' and other names are not this write's");
  }

  @Test
  void createOnceCreatesAFileThatIsNotThereAndLeavesOneThatIs() throws Exception {
    Path run = dir.resolve("checkpoints").resolve("run.json");
    Path killed = Files.writeString(Files.createDirectories(run.getParent()).resolve(".run.json.3k9x0q2m1z.tmp"), "{\"half");
    Files.setLastModifiedTime(killed, FileTime.from(Instant.now().minus(AtomicFiles.STALE).minusSeconds(60)));
    assertTrue(AtomicFiles.createOnce(run, new byte[] {1, 2}));
    assertFalse(AtomicFiles.createOnce(run, new byte[] {3}), "the first writer's file stands");
    assertArrayEquals(new byte[] {1, 2}, Files.readAllBytes(run));
    try (Stream<Path> s = Files.list(run.getParent())) {
      assertEquals(List.of(run), s.toList(), "no temporary file, the killed writer's swept too");
    }
    // Swept also where the file exists: a killed first try's leftover goes at the next start.
    Path later = Files.writeString(run.getParent().resolve(".run.json.a1b2c3.tmp"), "{");
    Files.setLastModifiedTime(later, FileTime.from(Instant.now().minus(AtomicFiles.STALE).minusSeconds(60)));
    assertFalse(AtomicFiles.createOnce(run, new byte[] {3}));
    assertFalse(Files.exists(later));
  }

  @Test
  void temporariesOfChosenFilesGoOnceOldEnoughOrAtOnceWhenAsked() throws Exception {
    Path oldRound = Files.writeString(dir.resolve(".cs-round-000003.safetensors.3k9x0q2m1z.tmp"), "killed long ago");
    Path newRound = Files.writeString(dir.resolve(".cs-round-000004.safetensors.a1b2c3.tmp"), "perhaps in flight");
    Path otherAlgorithm = Files.writeString(dir.resolve(".stc-round-000003.safetensors.3k9x0q2m1z.tmp"), "not chosen");
    // Read as a write of the file cs-round-000003 (random part "safetensors"), which is not chosen.
    Path notTemporary = Files.writeString(dir.resolve(".cs-round-000003.safetensors.tmp"), "not of a chosen file");
    for (Path p : List.of(oldRound, otherAlgorithm, notTemporary)) {
      Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(AtomicFiles.STALE).minusSeconds(60)));
    }
    java.util.function.Predicate<String> csRounds = name -> name.matches("cs-round-\\d{6}\\.safetensors");
    AtomicFiles.removeTemporaries(dir, csRounds, AtomicFiles.STALE);
    assertEquals(List.of(notTemporary, newRound, otherAlgorithm), files());
    AtomicFiles.removeTemporaries(dir, csRounds, java.time.Duration.ZERO);
    assertEquals(List.of(notTemporary, otherAlgorithm), files(), "at once, however recent");
    AtomicFiles.removeTemporaries(dir.resolve("missing"), name -> true, java.time.Duration.ZERO);
  }

  @Test
  void aTemporaryNameSaysWhichFileItWasFor() {
    assertEquals("model.safetensors", AtomicFiles.temporaryOf(".model.safetensors.3k9x0q2m1z.tmp"));
    assertEquals("a", AtomicFiles.temporaryOf(".a.0.tmp"));
    assertEquals(null, AtomicFiles.temporaryOf("model.safetensors.3k9x0q2m1z.tmp"));
    assertEquals(null, AtomicFiles.temporaryOf(".model.safetensors.AB.tmp"));
    assertEquals(null, AtomicFiles.temporaryOf("..0.tmp"));
    assertEquals(null, AtomicFiles.temporaryOf(".tmp"));
  }

  @Test
  void temporaryNamesAreTheOnesWritesDraw() {
    assertTrue(AtomicFiles.isTemporary(".a.json.0.tmp", ".a.json"));
    assertTrue(AtomicFiles.isTemporary(".a.json.3w5e11264sgsf.tmp", ".a.json"));
    assertFalse(AtomicFiles.isTemporary(".a.json.tmp", ".a.json"));
    assertFalse(AtomicFiles.isTemporary(".a.json.3w5e11264sgsfx.tmp", ".a.json"), "longer than a long in base 36");
    assertFalse(AtomicFiles.isTemporary(".a.json.AB.tmp", ".a.json"));
    assertFalse(AtomicFiles.isTemporary(".a.jsonx.ab.tmp", ".a.json"));
  }

  @Test
  void everyDirectoryAWriteMakesIsKnownSoItsParentCanBeSynced() throws Exception {
    Path deep = dir.resolve("out").resolve("checkpoints").resolve("cs");
    assertEquals(List.of(deep, deep.getParent(), deep.getParent().getParent()), AtomicFiles.missingDirectories(deep));
    AtomicFiles.write(deep.resolve("round.json"), new byte[] {1}, false);
    assertArrayEquals(new byte[] {1}, Files.readAllBytes(deep.resolve("round.json")));
    assertEquals(List.of(), AtomicFiles.missingDirectories(deep));
  }
}
