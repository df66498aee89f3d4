package io.csfl.internal.transfer;

import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of one inbound chunked message, put back together in order. Every chunk comes from
 * another node and is checked before it is kept: it must belong to this transfer, be the next in
 * sequence, hold at least one byte and not run past the announced size. Anything else is a
 * {@link Refused} whose message {@link Inbound} reports to the sender.
 *
 * <p>The bytes are kept in blocks of at most {@link #BLOCK} bytes, allocated as chunks fill them,
 * so what a transfer holds is never more than what has arrived plus one block, and never more than
 * the announced size: an announcement alone costs nothing, and neither the chunk size nor the
 * chunk count a sender picks changes that. Each block is taken from the node's
 * {@link InboundBuffers} before it is allocated (a chunk that needs a block the node has no room
 * for is refused) and given back by {@link #release}. The blocks are joined once, when every byte
 * is there, into an array that is counted too. Single-threaded: the {@link Inbound} actor owns one.
 */
final class Reassembly {
  /** The block the bytes are buffered in; also the slack a transfer may hold beyond what arrived. */
  static final int BLOCK = 1 << 20;

  /** A chunk or an announcement that cannot be part of a valid transfer; the message says why. */
  static final class Refused extends Exception {
    Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  private final long id;
  private final int totalBytes;
  private final int chunkCount;
  private final InboundBuffers buffers;
  private final List<byte[]> blocks = new ArrayList<>();
  private int filled;
  private int received;
  /** Bytes taken from {@link #buffers} and not yet given back. */
  private long held;

  private Reassembly(long id, int totalBytes, int chunkCount, InboundBuffers buffers) {
    this.id = id;
    this.totalBytes = totalBytes;
    this.chunkCount = chunkCount;
    this.buffers = buffers;
  }

  /**
   * A reassembly of {@code totalBytes} in {@code chunkCount} chunks, if the announcement is one
   * this node accepts at all: at most {@code maxBytes}, and at least one byte per chunk. Its blocks
   * are taken from {@code buffers}.
   */
  static Reassembly of(long id, int totalBytes, int chunkCount, long maxBytes, InboundBuffers buffers) throws Refused {
    if (totalBytes <= 0 || totalBytes > maxBytes) {
      throw new Refused("message of " + totalBytes + " bytes is not within this node's csfl.transfer.max-bytes (1 to " + maxBytes + ")");
    }
    if (chunkCount <= 0 || chunkCount > totalBytes) {
      throw new Refused("announced " + chunkCount + " chunks for " + totalBytes + " bytes");
    }
    return new Reassembly(id, totalBytes, chunkCount, buffers);
  }

  /** Keeps {@code chunk}'s bytes; true when it was the last chunk and every announced byte is here. */
  boolean add(Chunk chunk) throws Refused {
    if (chunk.transferId() != id || chunk.seq() != received) {
      throw new Refused("expected chunk " + received + " of transfer " + id + ", got chunk " + chunk.seq() + " of transfer " + chunk.transferId());
    }
    byte[] bytes = chunk.bytes();
    if (bytes.length == 0) {
      throw new Refused("chunk " + received + " is empty");
    }
    if (bytes.length > totalBytes - filled) {
      throw new Refused("chunks exceed the announced " + totalBytes + " bytes");
    }
    if (received == chunkCount - 1 && filled + bytes.length != totalBytes) {
      throw new Refused("the last of " + chunkCount + " chunks ends at byte " + (filled + bytes.length) + " of the announced " + totalBytes);
    }
    for (int at = 0; at < bytes.length; ) {
      int inBlock = filled % BLOCK;
      if (inBlock == 0) {
        int size = Math.min(BLOCK, totalBytes - filled);
        if (!buffers.tryHold(size)) {
          throw new Refused(buffers.noRoomFor(size));
        }
        held += size;
        blocks.add(new byte[size]);
      }
      int n = Math.min(bytes.length - at, BLOCK - inBlock);
      System.arraycopy(bytes, at, blocks.get(blocks.size() - 1), inBlock, n);
      at += n;
      filled += n;
    }
    received++;
    return received == chunkCount;
  }

  /** Chunks kept so far. */
  int received() {
    return received;
  }

  /** Bytes kept so far. */
  int receivedBytes() {
    return filled;
  }

  int totalBytes() {
    return totalBytes;
  }

  /** Gives the bytes this transfer took back to the node's {@link InboundBuffers}; once its buffers are dropped or handed on. */
  void release() {
    buffers.release(held);
    held = 0;
  }

  int chunkCount() {
    return chunkCount;
  }

  /** The bytes held for this transfer: at most what arrived plus one {@link #BLOCK}, and at most the announced size. */
  long bufferedBytes() {
    long held = 0;
    for (byte[] block : blocks) {
      held += block.length;
    }
    return held;
  }

  /**
   * The whole message, once {@link #add} returned true. A message of one block is returned as it
   * is. A bigger one is copied once into an array of its size, which is taken from the node's
   * {@link InboundBuffers} first (the blocks count until they are copied, the array until
   * {@link #release}); a {@link Refused} if the node has no room for it now.
   */
  byte[] message() throws Refused {
    if (filled != totalBytes) {
      throw new IllegalStateException("transfer " + id + " holds " + filled + " of " + totalBytes + " bytes");
    }
    if (blocks.size() == 1) {
      return blocks.remove(0);
    }
    if (!buffers.tryHold(totalBytes)) {
      throw new Refused("no room to join the complete message: " + buffers.noRoomFor(totalBytes));
    }
    held += totalBytes;
    byte[] whole = new byte[totalBytes];
    int at = 0;
    for (byte[] block : blocks) {
      System.arraycopy(block, 0, whole, at, block.length);
      at += block.length;
    }
    // The blocks' share is given back: the joined array counts in their place until release.
    blocks.clear();
    buffers.release(totalBytes);
    held -= totalBytes;
    return whole;
  }
}
