package io.csfl.internal.transfer;

/**
 * A chunked transfer that did not arrive: told to the sender's failure listener, never dropped in
 * silence.
 *
 * @param recipient the recipient's actor path
 * @param message   the class of the message that did not arrive
 * @param bytes     its serialized size
 * @param reason why it failed, for a log line: the receiver's refusal, a stall, or a size above
 *     {@code csfl.transfer.max-bytes}
 */
public record TransferFailed(String recipient, String message, long bytes, String reason) implements TransferMessage {}
