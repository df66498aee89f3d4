package io.csfl.checkpoint;

/**
 * A tensor file (a model or a checkpoint) that cannot be read: missing, truncated, or not what
 * its header says. The message names the file, so a user knows which one to delete or replace.
 */
public final class TensorFileException extends RuntimeException {
  /** A failure described by {@code message}, which should name the file. */
  public TensorFileException(String message) {
    super(message);
  }

  /**
   * A failure described by {@code message}, which should name the file, caused by {@code cause} (an
   * I/O or parse error).
   */
  public TensorFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
