package io.csfl.internal.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a file a user named, bounded by what the reader expects. Its size is not trusted: a device
 * such as /dev/zero reports 0 bytes and never ends, a pipe blocks until someone writes, a file can
 * grow while it is read. So only a regular file is read, and never more than the bound.
 */
public final class RegularFiles {
  private RegularFiles() {}

  /**
   * The bytes of {@code path}, at most {@code maxBytes}.
   *
   * @throws NoSuchFileException if there is no such file
   * @throws FileSystemException naming {@code path}, if it is not a regular file (a directory, a
   *     device, a pipe) or holds more than {@code maxBytes} bytes; {@link FileProblems} words it
   * @throws IOException if reading fails
   */
  public static byte[] read(Path path, long maxBytes) throws IOException {
    if (!Files.isRegularFile(path)) {
      if (!Files.exists(path)) {
        throw new NoSuchFileException(path.toString());
      }
      throw new FileSystemException(path.toString(), null, notRegular(path));
    }
    long bound = Math.min(maxBytes, Integer.MAX_VALUE - 9);
    try (InputStream in = Files.newInputStream(path)) {
      byte[] bytes = in.readNBytes((int) bound + 1);
      if (bytes.length > bound) {
        throw new FileSystemException(path.toString(), null, "more than the " + bound + " bytes expected");
      }
      return bytes;
    }
  }

  /**
   * Why {@code path} is no file to read, as the end of a sentence that names it ("does not exist",
   * "is a directory, not a file"), or null when it is a regular file.
   */
  public static String whyNotAFile(Path path) {
    if (Files.isRegularFile(path)) {
      return null;
    }
    return Files.exists(path) ? "is " + notRegular(path) : "does not exist";
  }

  private static String notRegular(Path path) {
    return Files.isDirectory(path) ? "a directory, not a file" : "not a regular file (a device or a pipe is not read)";
  }
}
