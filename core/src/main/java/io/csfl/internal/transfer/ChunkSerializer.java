package io.csfl.internal.transfer;

import akka.actor.ExtendedActorSystem;
import akka.serialization.SerializerWithStringManifest;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * {@link Chunk}'s binary form: transfer id (8 bytes), sequence number (4 bytes), then the slice.
 * The header is fixed-width on purpose: the framing a message costs does not depend on its id.
 */
public final class ChunkSerializer extends SerializerWithStringManifest {
  static final String MANIFEST = "Chunk/1";
  static final int HEADER_BYTES = Long.BYTES + Integer.BYTES;

  /**
   * Made by Akka's serialization from reference.conf's binding for {@link Chunk}; the system is not
   * used.
   */
  public ChunkSerializer(ExtendedActorSystem system) {}

  @Override
  public int identifier() {
    return 7263002;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof Chunk) {
      return MANIFEST;
    }
    throw new IllegalArgumentException("ChunkSerializer cannot serialize " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (!(o instanceof Chunk c)) {
      throw new IllegalArgumentException("ChunkSerializer cannot serialize " + o.getClass().getName());
    }
    return ByteBuffer.allocate(HEADER_BYTES + c.bytes().length).putLong(c.transferId()).putInt(c.seq()).put(c.bytes()).array();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (!MANIFEST.equals(manifest)) {
      throw new NotSerializableException("unknown chunk manifest '" + manifest + "'");
    }
    if (bytes.length < HEADER_BYTES) {
      throw new NotSerializableException("chunk of " + bytes.length + " bytes is shorter than its " + HEADER_BYTES + "-byte header");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    long id = in.getLong();
    int seq = in.getInt();
    if (seq < 0) {
      throw new NotSerializableException("chunk with negative sequence number " + seq);
    }
    return new Chunk(id, seq, Arrays.copyOfRange(bytes, HEADER_BYTES, bytes.length));
  }
}
