package io.csfl.internal.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Files that a crash, a power loss or a reader at the wrong moment sees whole: the old file or
 * the new one, never a part of one. What a run cannot afford to lose or to read half of
 * (checkpoints, the trained model, the run's flags, metrics.csv when rows are removed, keys and
 * certificates) is written through here.
 */
public final class AtomicFiles {
  /**
   * How long a temporary file of the same name must have gone unwritten before a write takes it
   * for the leftover of a writer that died (a kill or a crash between its creation and its
   * rename) and deletes it. A writer that is alive keeps changing its file's modification time
   * until it renames it, within a moment; the margin covers a slow disk.
   */
  public static final Duration STALE = Duration.ofMinutes(10);

  private AtomicFiles() {}

  /**
   * Writes {@code bytes} to {@code path}: to a new temporary file beside it, forced to disk, then
   * renamed over {@code path}; then the directory is forced (where the platform can), so that the
   * rename survives a power loss as well, and so is the parent of each directory made here.
   * With {@code ownerOnly} the temporary file is created readable and writable by its owner alone,
   * before a byte is written, so a private key is never readable by others, not even while it is
   * being written; otherwise it gets the process's default permissions.
   */
  public static void write(Path path, byte[] bytes, boolean ownerOnly) throws IOException {
    write(path, all(bytes), ownerOnly);
  }

  /** Contents that are {@code bytes}. */
  private static Contents all(byte[] bytes) {
    return ch -> {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
    };
  }

  /** What {@link #write} puts into the temporary file; tests give one that fails as a full disk does. */
  @FunctionalInterface
  interface Contents {
    void writeTo(FileChannel channel) throws IOException;
  }

  static void write(Path path, Contents contents, boolean ownerOnly) throws IOException {
    Path dir = directoryOf(path);
    Path tmp = filled(path, contents, ownerOnly);
    try {
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    force(dir);
  }

  /**
   * Creates {@code path} holding {@code bytes} unless a file of that name exists, atomically as
   * {@link #write} does: a reader, a crash or another process doing the same sees no file or the
   * whole of one, and of two processes that race to create it exactly one does. For what the first
   * writer decides for all (the definition of a run that several server nodes share).
   *
   * @return whether this call created the file; false when one was there or another won the race
   */
  public static boolean createOnce(Path path, byte[] bytes) throws IOException {
    Path dir = directoryOf(path);
    if (Files.exists(path)) {
      // A killed first try's leftover goes all the same, though nothing is written now.
      removeStale(dir, "." + path.getFileName());
      return false;
    }
    Path tmp = filled(path, all(bytes), false);
    try {
      // A link fails where the name is taken, which a rename would replace.
      Files.createLink(path, tmp);
    } catch (java.nio.file.FileAlreadyExistsException taken) {
      return false;
    } finally {
      Files.deleteIfExists(tmp);
    }
    force(dir);
    return true;
  }

  /** The directory of {@code path}, made (each new directory synced into its parent) if missing. */
  private static Path directoryOf(Path path) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      // Each directory made here (say out/ and out/checkpoints/) is an entry of its parent: sync
      // every such parent too, or a power loss could drop the new file's directory with it.
      List<Path> made = missingDirectories(dir);
      Files.createDirectories(dir);
      for (Path d : made) {
        force(d.getParent());
      }
    }
    return dir;
  }

  /** A temporary file beside {@code path} ({@code .NAME.RANDOM.tmp}) holding {@code contents}, forced to disk; earlier writers' stale ones swept first. */
  private static Path filled(Path path, Contents contents, boolean ownerOnly) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    String prefix = "." + path.getFileName();
    removeStale(dir, prefix);
    Path tmp = create(dir, prefix, ownerOnly);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      contents.writeTo(ch);
      ch.force(true);
      return tmp;
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      if (e instanceof FileSystemException named) {
        throw named;
      }
      // A full disk (ENOSPC) or a failing device reaches here as a plain IOException that names
      // no file; the reader of "No space left on device" must learn which file, so which disk.
      throw naming(path, e);
    }
  }

  /** {@code dir} and those of its ancestors that do not exist yet, deepest first. */
  static List<Path> missingDirectories(Path dir) {
    List<Path> missing = new ArrayList<>();
    for (Path d = dir.toAbsolutePath(); d != null && !Files.isDirectory(d); d = d.getParent()) {
      missing.add(d);
    }
    return missing;
  }

  /** {@code e}, a failure to write {@code path} that names no file, as one that names it, with {@code e} as its cause. */
  static FileSystemException naming(Path path, IOException e) {
    FileSystemException named = new FileSystemException(path.toString(), null,
        e.getMessage() != null && !e.getMessage().isBlank() ? e.getMessage() : "an input/output error");
    named.initCause(e);
    return named;
  }

  /** Forces a directory's entries to disk, where the platform can open and sync a directory. */
  private static void force(Path dir) {
    if (dir == null) {
      return;
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // best effort: not every platform can open or sync a directory
    }
  }

  /**
   * Deletes the temporary files that earlier writes of the same file left in {@code dir} when
   * their process died before the rename ({@code prefix.RANDOM.tmp}, unwritten for {@link #STALE}):
   * otherwise each kill mid-write would leave one for good, some of them copies of private keys.
   * Best effort: a file that cannot be listed, read or deleted is left.
   */
  private static void removeStale(Path dir, String prefix) {
    removeTemporaries(dir, name -> prefix.equals("." + name), STALE);
  }

  /**
   * Deletes the temporary files in {@code dir} that writes of the files {@code names} accepts left
   * when their process died before the rename, once unwritten for {@code unwrittenFor}. A file
   * written under a name that is never written again (a round's checkpoint) is swept this way by
   * its owner's later writes, with {@link #STALE} for a directory other writers may share, and at
   * once ({@link Duration#ZERO}) by a process that holds the directory's lock. Best effort, as for
   * a write's own leftovers.
   */
  public static void removeTemporaries(Path dir, java.util.function.Predicate<String> names, Duration unwrittenFor) {
    FileTime cutoff = FileTime.from(Instant.now().minus(unwrittenFor));
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, p -> {
      String name = temporaryOf(p.getFileName().toString());
      return name != null && names.test(name);
    })) {
      for (Path p : entries) {
        try {
          if (unwrittenFor.isZero() || Files.getLastModifiedTime(p).compareTo(cutoff) < 0) {
            Files.deleteIfExists(p);
          }
        } catch (IOException ignored) {
          // another writer's, gone meanwhile, or not ours to delete
        }
      }
    } catch (IOException | java.nio.file.DirectoryIteratorException ignored) {
      // best effort
    }
  }

  /** The file whose write left the temporary file {@code name} ({@code .FILE.RANDOM.tmp}), or null if it is no such name. */
  static String temporaryOf(String name) {
    if (!name.startsWith(".") || !name.endsWith(".tmp")) {
      return null;
    }
    int dot = name.lastIndexOf('.', name.length() - ".tmp".length() - 1);
    if (dot <= 1) {
      return null;
    }
    String file = name.substring(1, dot);
    return isTemporary(name, "." + file) ? file : null;
  }

  /** Whether {@code name} is {@code prefix}, a dot, a name {@link #create} draws, and ".tmp". */
  static boolean isTemporary(String name, String prefix) {
    int from = prefix.length() + 1;
    int to = name.length() - ".tmp".length();
    if (to <= from || !name.startsWith(prefix + ".") || !name.endsWith(".tmp")) {
      return false;
    }
    String random = name.substring(from, to);
    return random.length() <= 13 && random.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'z');
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
