package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run refused before it started removes the lock file it made while still holding its lock. A
 * process that opened that file just before must not take its lock on the removed file for a lock
 * on the directory: other processes open the name afresh, and would not see it.
 */
class RunLockTest {
  @TempDir
  Path dir;

  @Test
  void aLockFileRemovedBetweenOpeningAndLockingIsNotTrustedAndTheDirectorysFileIsLockedInstead() throws Exception {
    assertLockedAfterRemovingOnTheFirstOpening(false);
  }

  @Test
  void aRunDirectoryRemovedWithItsLockFileBetweenOpeningAndLockingIsMadeAgainAndLocked() throws Exception {
    // What a refused run that made the directory leaves of it: nothing.
    assertLockedAfterRemovingOnTheFirstOpening(true);
  }

  /**
   * Locks a run directory whose lock file (and the directory too, if {@code directoryToo}) is
   * removed between the first opening and locking: the lock is taken again, on the file the
   * directory holds, and another process is refused.
   */
  private void assertLockedAfterRemovingOnTheFirstOpening(boolean directoryToo) throws Exception {
    Path out = Files.createDirectories(dir.resolve("out"));
    Path file = Files.createFile(out.resolve(RunLock.FILE));
    int[] opened = {0};
    try (RunLock lock = RunLock.acquire(out, "--out", () -> {
      if (opened[0]++ == 0) {
        delete(file);
        if (directoryToo) {
          delete(out);
        }
      }
    })) {
      assertTrue(opened[0] > 1, "the lock was taken again, on the file now in the directory");
      assertTrue(lock.isHeld());
      assertTrue(Files.isRegularFile(file), "a lock file is in the directory");
      assertOtherProcessIsRefused(out);
    }
  }

  @Test
  void aLockFileReplacedByAnotherRunBetweenOpeningAndLockingLeavesThatRunAlone() throws Exception {
    Path out = Files.createDirectories(dir.resolve("out"));
    Path file = Files.createFile(out.resolve(RunLock.FILE));
    Process[] other = {null};
    try {
      RunLock.InUse refused = assertThrows(RunLock.InUse.class, () -> RunLock.acquire(out, "--out", () -> {
        if (other[0] == null) {
          delete(file);
          other[0] = holder(out);
          try {
            assertEquals("locked", new BufferedReader(new InputStreamReader(other[0].getInputStream())).readLine(),
                "the other run made a new lock file and locked it");
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }).close());
      assertTrue(refused.getMessage().contains(out + " is in use by another csfl run"), refused.getMessage());
    } finally {
      if (other[0] != null) {
        other[0].getOutputStream().close();
        assertTrue(other[0].waitFor(60, TimeUnit.SECONDS), "the other run exits once its input ends");
      }
    }
    // Its lock given up, the directory can be locked again.
    RunLock.acquire(out, "--out").close();
  }

  /** Another process, opening the directory's lock file, finds it locked. */
  private static void assertOtherProcessIsRefused(Path out) throws Exception {
    Process other = holder(out);
    // A holder that got the lock would hold it until its input ends: it ends at once.
    other.getOutputStream().close();
    String said = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(other.waitFor(60, TimeUnit.SECONDS), "the other process exits");
    assertNotEquals(0, other.exitValue(), said);
    assertTrue(said.contains(out + " is in use by another csfl run"), said);
  }

  /** Another process that locks {@code out} as a run's directory, says so, and holds it until its input ends. */
  private static Process holder(Path out) {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    try {
      return new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), RunLockHolder.class.getName(),
          out.toString(), out.toString()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path file) {
    try {
      Files.delete(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
