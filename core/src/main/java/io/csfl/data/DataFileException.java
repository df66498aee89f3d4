package io.csfl.data;

/** A data file that is missing, unreadable or not what it claims to be; the message names the path and the cure. */
public final class DataFileException extends RuntimeException {
  /** A failure described by {@code message}, which should name the file and how to fix it. */
  public DataFileException(String message) {
    super(message);
  }

  /** As {@link #DataFileException(String)}, keeping the underlying failure (an I/O or parse error) as the cause. */
  public DataFileException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Refuses {@code file} unless it is a regular file: missing, a directory or a device, said as such. */
  static void requireRegularFile(java.nio.file.Path file) {
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new DataFileException(!java.nio.file.Files.exists(file) ? "missing data file " + file
          : file + (java.nio.file.Files.isDirectory(file) ? " is a directory, not a data file" : " is not a regular file (a device or a pipe is not read)"));
    }
  }
}
