package io.csfl.checkpoint;

/**
 * A tensor file (a model or a checkpoint) that cannot be read: missing, truncated, or not what
 * its header says. The message names the file, so a user knows which one to delete or replace.
 */
public final class TensorFileException extends RuntimeException {
  public TensorFileException(String message) {
    super(message);
  }

  public TensorFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
