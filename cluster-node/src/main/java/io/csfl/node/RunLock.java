package io.csfl.node;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a run's directory for as long as one process writes its files. Two runs
 * started at once into one directory would both find it empty and then mix their metrics rows,
 * flags and checkpoints; the second to lock is refused instead. The lock is the operating
 * system's, on a file in the directory, so it goes with the process that holds it, killed or not,
 * and a left-behind lock file stops nobody.
 */
final class RunLock implements AutoCloseable {
  /** The file locked, in the run's directory. */
  static final String FILE = ".csfl.lock";
  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code directory} (made if missing) for this process; {@code flag} names where it came
   * from, for the refusal.
   *
   * @throws IllegalArgumentException if another process holds it, or it cannot be locked
   */
  static RunLock acquire(Path directory, String flag) {
    Path file = directory.resolve(FILE);
    FileChannel channel = null;
    try {
      Files.createDirectories(directory);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock != null) {
        return new RunLock(channel, lock);
      }
    } catch (OverlappingFileLockException e) {
      // Held by this JVM: another run in the same process.
    } catch (IOException e) {
      closeQuietly(channel);
      throw new IllegalArgumentException("cannot write the run's files: " + io.csfl.internal.files.FileProblems.writing(file, e));
    }
    closeQuietly(channel);
    throw new IllegalArgumentException(flag + " " + directory + " is in use by another csfl run; wait until it ends, or choose another directory");
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Nothing was locked through it.
      }
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException ignored) {
      // The lock ends with the channel, and the channel with the process.
    }
  }
}
