package io.csfl.internal.files;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A failed read or write of a file in words a user can act on: which path, and what is wrong with
 * it ("permission denied", "a file of that name is in the way"), never an exception's class name.
 */
public final class FileProblems {
  private FileProblems() {}

  /**
   * {@code PATH: what is wrong}, for a failure to create or write a file or directory; the path is
   * the one the failure names, else {@code path}.
   */
  public static String writing(Path path, IOException e) {
    return describe(path, e, "no such directory can be created");
  }

  /** {@code PATH: what is wrong}, for a failure to read {@code path} (or the file the failure names). */
  public static String reading(Path path, IOException e) {
    return describe(path, e, "no such file or directory");
  }

  private static String describe(Path given, IOException e, String missing) {
    if (!(e instanceof FileSystemException f) || f.getFile() == null) {
      return given + ": " + (e.getMessage() != null ? e.getMessage() : "an input/output error");
    }
    // A failed move or copy names its source and its target; the target is what is in the way
    // (an atomic write's temporary file was just written, its rename onto the target failed).
    String path = f.getOtherFile() != null ? f.getOtherFile() : f.getFile();
    if (e instanceof NoSuchFileException) {
      return path + ": " + missing;
    }
    if (e instanceof FileAlreadyExistsException) {
      return path + ": a file of that name is in the way";
    }
    if (e instanceof AccessDeniedException) {
      return path + ": permission denied";
    }
    if (e instanceof NotDirectoryException || "Not a directory".equals(f.getReason())) {
      Path file = fileInTheWay(Path.of(path));
      return path + ": " + (file != null ? file + " is a file, not a directory" : "a file is in the way of a directory");
    }
    String reason = f.getReason();
    if (reason == null || reason.isBlank()) {
      return path + ": cannot be used";
    }
    return path + ": " + reason.substring(0, 1).toLowerCase(Locale.ROOT) + reason.substring(1);
  }

  /** The nearest ancestor of {@code path}, or the path itself, that exists and is not a directory; null if none. */
  private static Path fileInTheWay(Path path) {
    for (Path p = path; p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        return Files.isDirectory(p) ? null : p;
      }
    }
    return null;
  }
}
