package io.csfl.strategy;

/** A client update that does not fit what the server expects this round; nothing was folded. */
public final class InvalidUpdateException extends Exception {
  /**
   * An update refused for the reason {@code message} gives; the aggregator reports it as the
   * client's rejection.
   */
  public InvalidUpdateException(String message) {
    super(message);
  }
}
