package io.csfl.internal.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Files that a crash, a power loss or a reader at the wrong moment sees whole: the old file or
 * the new one, never a part of one. What a run cannot afford to lose or to read half of
 * (checkpoints, the trained model, the run's flags, metrics.csv when rows are removed, keys and
 * certificates) is written through here.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /**
   * Writes {@code bytes} to {@code path}: to a new temporary file beside it, forced to disk, then
   * renamed over {@code path}; then the directory is forced (where the platform can), so that the
   * rename survives a power loss as well. With {@code ownerOnly} the temporary file is created
   * readable and writable by its owner alone, before a byte is written, so a private key is never
   * readable by others, not even while it is being written; otherwise it gets the process's
   * default permissions.
   */
  public static void write(Path path, byte[] bytes, boolean ownerOnly) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = create(dir, "." + path.getFileName(), ownerOnly);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // best effort: not every platform can open or sync a directory
    }
  }

  /** A new, empty file in {@code dir} whose name starts with {@code prefix}, private to its owner when asked. */
  private static Path create(Path dir, String prefix, boolean ownerOnly) throws IOException {
    while (true) {
      Path tmp = dir.resolve(prefix + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
      try {
        if (!ownerOnly) {
          return Files.createFile(tmp);
        }
        try {
          return Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
          Files.createFile(tmp);
          java.io.File f = tmp.toFile();
          if (!(f.setReadable(false, false) && f.setReadable(true, true) && f.setWritable(false, false) && f.setWritable(true, true))) {
            Files.deleteIfExists(tmp);
            throw new IOException("cannot make " + tmp + " private to its owner");
          }
          return tmp;
        }
      } catch (FileAlreadyExistsException taken) {
        // another writer's temporary file: draw another name
      }
    }
  }
}
