package io.csfl.internal.transfer;

import java.util.Objects;

/**
 * One slice of a serialized message on its way to a remote node. Its wire form has a fixed-width
 * header (see {@link ChunkSerializer}), so every node computes the same size for the same slice.
 *
 * @param transferId the transfer the slice belongs to, chosen at random by the sending node
 * @param seq the slice's place in the message, counted from 0; the receiver takes slices only in
 *     order
 * @param bytes the slice, never empty in a transfer; neither copied nor to be changed after
 *     construction
 */
public record Chunk(long transferId, int seq, byte[] bytes) implements Inbound.Command {
  /**
   * Throws NullPointerException without bytes and IllegalArgumentException for a negative sequence
   * number.
   */
  public Chunk {
    Objects.requireNonNull(bytes, "bytes");
    if (seq < 0) {
      throw new IllegalArgumentException("chunk sequence number must be non-negative, got " + seq);
    }
  }
}
