package io.csfl.codec;

/** Input bytes that do not decode: truncated, forged lengths, unknown versions or kinds. */
public final class MalformedWireException extends IllegalArgumentException {
  public MalformedWireException(String message) {
    super(message);
  }

  public MalformedWireException(String message, Throwable cause) {
    super(message, cause);
  }
}
