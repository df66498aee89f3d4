package io.csfl.data;

/** A data file that is missing, unreadable or not what it claims to be; the message names the path and the cure. */
public final class DataFileException extends RuntimeException {
  public DataFileException(String message) {
    super(message);
  }

  public DataFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
