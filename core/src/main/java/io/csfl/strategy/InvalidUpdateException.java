package io.csfl.strategy;

/** A client update that does not fit what the server expects this round; nothing was folded. */
public final class InvalidUpdateException extends Exception {
  public InvalidUpdateException(String message) {
    super(message);
  }
}
