package io.csfl.node;

import io.csfl.internal.files.FileProblems;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on a run's directory for as long as one process writes its files. Two runs
 * started at once into one directory would both find it empty and then mix their metrics rows,
 * flags and checkpoints; the second to lock is refused instead. The lock is the operating
 * system's, on a file in the directory, so it goes with the process that holds it, killed or not:
 * the file left behind locks nothing. Where the file system has no locks (some network file
 * systems), or the file cannot be opened, the run goes on unlocked after a warning.
 */
final class RunLock implements AutoCloseable {
  /** The file locked, in the run's directory. */
  static final String FILE = ".csfl.lock";
  /**
   * The lock files this process holds, by real path. A second lock in this process is refused
   * before the file is opened: closing any channel of a file ends every lock the process holds on
   * it, so a refused second channel would free the first.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();
  /** Turns at locking a lock file that keeps being removed or replaced, before giving up as if it were held. */
  private static final int ATTEMPTS = 5;
  /** What {@link #fileKey} gives where the file system names no file keys: the lock is taken as it is. */
  private static final Object FILE_KEYS_UNKNOWN = new Object();
  private final Path directory;
  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(Path directory, Path file, FileChannel channel, FileLock lock) {
    this.directory = directory;
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /** The directory locked, as its real path (links resolved). */
  Path directory() {
    return directory;
  }

  /** Whether the operating system's lock is held: not for a run that goes on unlocked (a file system without locks). */
  boolean isHeld() {
    return lock != null && lock.isValid();
  }

  /**
   * {@code directory} made if missing, as its real path; {@code flag} names it in the refusal.
   *
   * @throws IllegalArgumentException if it cannot be made
   */
  static Path realDirectory(Path directory, String flag) {
    try {
      Files.createDirectories(directory);
      return directory.toRealPath();
    } catch (IOException e) {
      throw cannotWrite(directory, flag, e);
    }
  }

  /**
   * Locks {@code directory} (made if missing) for this process; {@code flag} names where it came
   * from, for the refusal.
   *
   * @throws IllegalArgumentException if another run holds it, or it cannot be made
   */
  static RunLock acquire(Path directory, String flag) {
    return acquire(directory, flag, () -> {});
  }

  /**
   * {@link #acquire(Path, String)}, running {@code opened} between opening the lock file and locking
   * it, where another process may remove or replace it: for tests of that race.
   */
  static RunLock acquire(Path directory, String flag, Runnable opened) {
    Path real = realDirectory(directory, flag);
    Path file = real.resolve(FILE);
    if (!HELD.add(file)) {
      throw inUse(directory, flag);
    }
    for (int attempt = 1; ; attempt++) {
      Object before = fileKey(file);
      FileChannel channel;
      try {
        if (attempt > 1) {
          // The refused run that removed the lock file also removes the directory it made, if empty.
          Files.createDirectories(real);
        }
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      } catch (java.nio.file.NoSuchFileException e) {
        // The directory went between its making and the opening: made again on the next turn.
        if (attempt == ATTEMPTS) {
          throw releasing(file, cannotWrite(directory, flag, e));
        }
        continue;
      } catch (java.nio.file.AccessDeniedException e) {
        // Not a file system without locks: a directory the run cannot write its files into.
        throw releasing(file, cannotWrite(directory, flag, e));
      } catch (IOException e) {
        return unlocked(real, file, "cannot open " + FileProblems.writing(file, e));
      }
      opened.run();
      try {
        FileLock lock = channel.tryLock();
        if (lock == null) {
          close(channel);
          throw releasing(file, inUse(directory, flag));
        }
        // A run refused before it started removes the lock file it made, still holding its lock. A
        // process that opened the file just before then locks a file that is no longer in the
        // directory, and keeps nobody out. So the lock counts only if the directory's file was the
        // same before the opening and after the locking; otherwise it is given up and taken again
        // (the file this process creates is checked on the next turn). The file is compared by what
        // the file system says of its name, without opening it: closing any other channel of the
        // locked file would end this process's lock.
        Object after = fileKey(file);
        if (after == FILE_KEYS_UNKNOWN || before != null && before.equals(after)) {
          return new RunLock(real, file, channel, lock);
        }
      } catch (IOException e) {
        close(channel);
        return unlocked(real, file, "its file system does not lock files (" + e.getMessage() + ")");
      }
      close(channel);
      if (attempt == ATTEMPTS) {
        throw releasing(file, inUse(directory, flag));
      }
    }
  }

  /** {@code refusal}, this process's claim on {@code file} given up first. */
  private static IllegalArgumentException releasing(Path file, IllegalArgumentException refusal) {
    HELD.remove(file);
    return refusal;
  }

  private static IllegalArgumentException cannotWrite(Path directory, String flag, IOException e) {
    return new IllegalArgumentException(flag + " " + directory + ": cannot write the run's files: " + FileProblems.writing(directory, e));
  }

  /** The identity of the file {@code file} names (device and inode on Unix), null if there is none. */
  private static Object fileKey(Path file) {
    try {
      Object key = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
      return key != null ? key : FILE_KEYS_UNKNOWN;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Locks a run's directories: {@code out} ({@code outFlag} names it in a refusal), and
   * {@code checkpoints} when it lies outside it (links resolved). The locks come in that order;
   * if the second is refused, the first is given up.
   *
   * @throws IllegalArgumentException if another run holds either, or one cannot be made
   */
  static List<RunLock> acquireRun(Path out, String outFlag, Path checkpoints) {
    RunLock outLock = acquire(out, outFlag);
    try {
      Path checkpointDirectory = realDirectory(checkpoints, "--checkpoint-dir");
      return checkpointDirectory.startsWith(outLock.directory())
          ? List.of(outLock) : List.of(outLock, acquire(checkpointDirectory, "--checkpoint-dir"));
    } catch (RuntimeException e) {
      outLock.close();
      throw e;
    }
  }

  /** Another run holds the lock: what a command refuses, and what a server node waits out. */
  static final class InUse extends IllegalArgumentException {
    InUse(String message) {
      super(message);
    }
  }

  private static InUse inUse(Path directory, String flag) {
    return new InUse(flag + " " + directory + " is in use by another csfl run; wait until it ends, or choose another directory");
  }

  /** A lock that holds nothing but this process's claim: the run goes on, said once on stderr. */
  private static RunLock unlocked(Path directory, Path file, String why) {
    System.err.println("csfl: warning: " + directory + " is not locked against another run writing it: " + why);
    return new RunLock(directory, file, null, null);
  }

  private static void close(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Nothing of this process is locked through it.
    }
  }

  @Override
  public void close() {
    try {
      if (lock != null) {
        lock.release();
      }
    } catch (IOException ignored) {
      // Closing the channel ends the lock as well.
    } finally {
      if (channel != null) {
        close(channel);
      }
      HELD.remove(file);
    }
  }
}
