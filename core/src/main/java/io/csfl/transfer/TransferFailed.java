package io.csfl.transfer;

/**
 * A chunked transfer that did not arrive: told to the sender's failure listener, never dropped in
 * silence.
 *
 * @param recipient the recipient's actor path
 * @param message   the class of the message that did not arrive
 * @param bytes     its serialized size
 */
public record TransferFailed(String recipient, String message, long bytes, String reason) implements TransferMessage {}
