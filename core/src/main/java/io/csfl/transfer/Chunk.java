package io.csfl.transfer;

import java.util.Objects;

/**
 * One slice of a serialized message on its way to a remote node. Its wire form has a fixed-width
 * header (see {@link ChunkSerializer}), so every node computes the same size for the same slice.
 */
public record Chunk(long transferId, int seq, byte[] bytes) implements Inbound.Command {
  public Chunk {
    Objects.requireNonNull(bytes, "bytes");
    if (seq < 0) {
      throw new IllegalArgumentException("chunk sequence number must be non-negative, got " + seq);
    }
  }
}
