package io.csfl.codec;

/** Input bytes that do not decode: truncated, forged lengths, unknown versions or kinds. */
public final class MalformedWireException extends IllegalArgumentException {
  /**
   * Input that does not decode, as {@code message} says: what was being read and why it is refused.
   */
  public MalformedWireException(String message) {
    super(message);
  }

  /**
   * Input that does not decode, as {@code message} says, found by a check that threw {@code cause}.
   */
  public MalformedWireException(String message, Throwable cause) {
    super(message, cause);
  }
}
