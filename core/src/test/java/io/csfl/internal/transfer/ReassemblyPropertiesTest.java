package io.csfl.internal.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.internal.wire.Hostile;
import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile chunk streams through what a node runs them through: each frame through
 * {@link ChunkSerializer}, each decoded chunk into a {@link Reassembly} made from an announcement.
 * Valid transfers are cut, reordered, duplicated, re-cut with overlaps, announced with wrong totals
 * or huge sizes, extended past their end, or have their frames damaged; random bytes are sent as
 * frames. Every stream either reassembles to exactly the bytes its accepted chunks carried (for an
 * undamaged transfer, the original message), is refused with {@link Reassembly.Refused} (or the
 * serializer's {@link NotSerializableException}), or is still waiting for chunks, which the ack
 * timeout ends. Throughout, the bytes a transfer holds stay within what has arrived plus one
 * block and within the announced size, and what the node allocates stays within a bound of the
 * bytes that arrived.
 */
class ReassemblyPropertiesTest {
  /** A node's max-bytes for these tries: small, so that random announcements fall on both sides of it. */
  private static final long MAX_BYTES = 8 << 20;
  private static final ChunkSerializer SERIALIZER = new ChunkSerializer(null);

  /** Loading classes and compiling is not the reassembly's allocation. */
  @BeforeContainer
  static void warmUp() {
    Random rng = new Random(1);
    for (int i = 0; i < 500; i++) {
      feed(stream(i % SHAPES, rng), false);
    }
  }

  /** Random bytes that messages are cut from: drawing them for every try would take longer than the try. */
  private static final byte[] RANDOM = new byte[3 * Reassembly.BLOCK + 1];

  static {
    new Random(3).nextBytes(RANDOM);
  }

  /** A message of 1 byte to a few blocks: mostly small, so 20,000 tries take seconds. */
  private static byte[] message(Random rng) {
    int bound = switch (rng.nextInt(200)) {
      case 0 -> 3 * Reassembly.BLOCK;
      case 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 -> 100_000;
      default -> 4_000;
    };
    int length = 1 + rng.nextInt(bound);
    int from = rng.nextInt(RANDOM.length - length + 1);
    return Arrays.copyOfRange(RANDOM, from, from + length);
  }

  /** {@code bytes} cut as {@link Transfers} cuts a message: chunks of {@code size}, the last one shorter. */
  private static List<Chunk> split(long id, byte[] bytes, int size) {
    List<Chunk> chunks = new ArrayList<>();
    for (int from = 0, seq = 0; from < bytes.length; from += size, seq++) {
      chunks.add(new Chunk(id, seq, Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + size))));
    }
    return chunks;
  }

  /** One hostile transfer: what is announced, the frames that follow, and what they must reassemble to if left intact. */
  private record Stream(long id, int totalBytes, int chunkCount, List<byte[]> frames, byte[] original) {}

  private static final int SHAPES = 10;

  /**
   * Shape 0: intact; 1: intact but cut at other places (chunk boundaries moved, content kept);
   * 2: two chunks swapped; 3: a chunk sent twice; 4: overlapping chunks (one re-sends bytes of
   * the one before); 5: the announcement's total or chunk count wrong; 6: a huge announcement
   * (around max-bytes, or up to 2^31 - 1); 7: truncated (the tail never comes); 8: chunks past
   * the end; 9: frames damaged byte by byte, or random bytes sent as frames.
   */
  private static Stream stream(int shape, Random rng) {
    long id = rng.nextLong() & Long.MAX_VALUE;
    byte[] original = message(rng);
    int size = 1 + rng.nextInt(Math.max(1, Math.min(original.length, 128 << 10)));
    size = Math.max(size, original.length / 40 + 1);
    List<Chunk> chunks = new ArrayList<>(split(id, original, size));
    int total = original.length;
    int count = chunks.size();
    switch (shape) {
      case 1 -> {
        chunks.clear();
        for (int from = 0; from < original.length; ) {
          int to = Math.min(original.length, from + 1 + rng.nextInt(2 * size));
          chunks.add(new Chunk(id, chunks.size(), Arrays.copyOfRange(original, from, to)));
          from = to;
        }
        count = chunks.size();
      }
      case 2 -> {
        if (count > 1) {
          int i = rng.nextInt(count - 1);
          Collections.swap(chunks, i, i + 1 + rng.nextInt(count - i - 1));
        }
      }
      case 3 -> {
        int i = rng.nextInt(count);
        chunks.add(i, chunks.get(i));
      }
      case 4 -> {
        if (count > 1) {
          // Chunk i+1 starts up to a chunk's worth of bytes early; numbering stays right.
          int i = rng.nextInt(count - 1);
          int start = (i + 1) * size - 1 - rng.nextInt(size);
          int end = Math.min(original.length, (i + 2) * size);
          chunks.set(i + 1, new Chunk(id, i + 1, Arrays.copyOfRange(original, Math.max(0, start), end)));
        } else {
          chunks.add(new Chunk(id, 1, Arrays.copyOfRange(original, rng.nextInt(original.length), original.length)));
        }
      }
      case 5 -> {
        if (rng.nextBoolean()) {
          total += rng.nextBoolean() ? 1 + rng.nextInt(size) : -1 - rng.nextInt(total);
        } else {
          count += rng.nextBoolean() ? 1 + rng.nextInt(3) : -1 - rng.nextInt(count);
        }
      }
      case 6 -> {
        total = switch (rng.nextInt(3)) {
          case 0 -> (int) MAX_BYTES;
          case 1 -> (int) MAX_BYTES + 1;
          default -> original.length + rng.nextInt(Integer.MAX_VALUE - original.length);
        };
        count = rng.nextBoolean() ? count : 1 + rng.nextInt(total);
      }
      case 7 -> chunks.subList(rng.nextInt(count), count).clear();
      case 8 -> {
        for (int extra = 1 + rng.nextInt(3); extra > 0; extra--) {
          byte[] more = new byte[1 + rng.nextInt(size)];
          rng.nextBytes(more);
          chunks.add(new Chunk(id, chunks.size(), more));
        }
      }
      default -> { }
    }
    List<byte[]> frames = new ArrayList<>();
    for (Chunk chunk : chunks) {
      frames.add(SERIALIZER.toBinary(chunk));
    }
    if (shape == 9) {
      for (int i = 0; i < frames.size(); i++) {
        if (rng.nextInt(4) == 0) {
          frames.set(i, rng.nextBoolean() ? Hostile.mutate(frames.get(i), rng) : randomFrame(id, i, rng));
        }
      }
    }
    return new Stream(id, total, count, frames, original);
  }

  /** Random bytes as a frame; half of them carry the expected header, so the reassembly sees their bytes. */
  private static byte[] randomFrame(long id, int seq, Random rng) {
    byte[] frame = new byte[rng.nextInt(ChunkSerializer.HEADER_BYTES + 600)];
    rng.nextBytes(frame);
    if (frame.length >= ChunkSerializer.HEADER_BYTES && rng.nextBoolean()) {
      ByteBuffer.wrap(frame).putLong(id).putInt(seq);
    }
    return frame;
  }

  private enum Outcome { COMPLETE, REFUSED, WAITING }

  /** How a stream ended, and the message if it completed. */
  private record Result(Outcome outcome, byte[] message) {}

  /**
   * Feeds {@code stream} as a node would, checking after every frame the bytes held against the
   * bytes arrived, and at the end what decoding and keeping the frames allocated against their
   * size: a copy of each frame's bytes, the blocks (at most the bytes kept plus one), a few objects
   * per frame and one exception.
   */
  private static Result feed(Stream stream, boolean checkAllocation) {
    Reassembly reassembly;
    InboundBuffers buffers = new InboundBuffers(2 * MAX_BYTES);
    try {
      reassembly = Reassembly.of(stream.id(), stream.totalBytes(), stream.chunkCount(), MAX_BYTES, buffers);
    } catch (Reassembly.Refused refused) {
      assertTrue(stream.totalBytes() > MAX_BYTES || stream.totalBytes() <= 0 || stream.chunkCount() <= 0
          || stream.chunkCount() > stream.totalBytes(), refused.getMessage());
      return new Result(Outcome.REFUSED, null);
    }
    long arrived = 0;
    long framed = 0;
    Outcome outcome = Outcome.WAITING;
    long before = Hostile.allocatedBytes();
    for (byte[] frame : stream.frames()) {
      framed += frame.length;
      try {
        Chunk chunk = (Chunk) SERIALIZER.fromBinary(frame, ChunkSerializer.MANIFEST);
        if (reassembly.add(chunk)) {
          outcome = Outcome.COMPLETE;
        }
        arrived += chunk.bytes().length;
      } catch (NotSerializableException refused) {
        assertTrue(frame.length < ChunkSerializer.HEADER_BYTES || ByteBuffer.wrap(frame).getInt(Long.BYTES) < 0, refused.getMessage());
        outcome = Outcome.REFUSED;
      } catch (Reassembly.Refused refused) {
        assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank());
        outcome = Outcome.REFUSED;
      }
      long held = reassembly.bufferedBytes();
      if (held > arrived + Reassembly.BLOCK || held > stream.totalBytes() || held > MAX_BYTES || buffers.held() != held) {
        throw new AssertionError(held + " bytes held (" + buffers.held() + " counted) after " + arrived + " arrived, "
            + stream.totalBytes() + " announced");
      }
      if (outcome != Outcome.WAITING) {
        break;
      }
    }
    long allocated = Hostile.allocatedBytes() - before;
    long bound = 2 * framed + 256L * stream.frames().size() + Reassembly.BLOCK + (64 << 10);
    assertTrue(!checkAllocation || allocated <= bound, allocated + " bytes allocated for " + framed + " bytes of frames");
    byte[] message = null;
    if (outcome == Outcome.COMPLETE) {
      assertEquals(stream.chunkCount(), reassembly.received());
      try {
        message = reassembly.message();
      } catch (Reassembly.Refused refused) {
        throw new AssertionError("a node with room for twice max-bytes refused to join a complete message", refused);
      }
      assertEquals(stream.totalBytes(), buffers.held(), "the joined message is counted, and only it");
    }
    reassembly.release();
    assertEquals(0, buffers.held(), "a transfer that ended gives back every byte it took");
    return new Result(outcome, message);
  }

  @Property(tries = 20_000)
  void chunkStreamsReassembleExactlyOrAreRefusedWithinBoundedMemory(@ForAll @IntRange(min = 0, max = SHAPES - 1) int shape,
                                                                     @ForAll long seed) {
    Stream stream = stream(shape, new Random(seed));
    Result result = feed(stream, true);
    switch (shape) {
      case 0, 1 -> assertEquals(Outcome.COMPLETE, result.outcome(), "an intact transfer must arrive");
      case 2, 4 -> assertTrue(result.outcome() == Outcome.REFUSED || stream.chunkCount() == 1,
          () -> "a reordered or overlapping transfer of " + stream.chunkCount() + " chunks ended " + result.outcome());
      case 5 -> assertTrue(result.outcome() != Outcome.COMPLETE, "a transfer announced with wrong totals completed");
      case 7 -> assertEquals(Outcome.WAITING, result.outcome(), "a truncated transfer waits for the ack timeout");
      default -> { }
    }
    if (result.outcome() == Outcome.COMPLETE && shape != 9) {
      // Whatever was done to the stream (chunks repeated or added after the last), what completes is the original.
      assertArrayEquals(stream.original(), result.message());
    }
    if (result.outcome() == Outcome.COMPLETE && shape == 9) {
      // Damaged frames that still decode and fit: the bytes they carried, nothing else.
      ByteArrayOutputStream carried = new ByteArrayOutputStream();
      for (int i = 0; i < stream.chunkCount(); i++) {
        byte[] frame = stream.frames().get(i);
        carried.write(frame, ChunkSerializer.HEADER_BYTES, frame.length - ChunkSerializer.HEADER_BYTES);
      }
      assertArrayEquals(carried.toByteArray(), result.message());
    }
  }

  @Example
  void theAnnouncementAloneAllocatesNothing() throws Reassembly.Refused {
    long before = Hostile.allocatedBytes();
    Reassembly reassembly = Reassembly.of(1, (int) MAX_BYTES, 64, MAX_BYTES, new InboundBuffers(MAX_BYTES));
    assertTrue(Hostile.allocatedBytes() - before < 1024);
    assertEquals(0, reassembly.bufferedBytes());
    assertThrows(Reassembly.Refused.class, () -> Reassembly.of(1, Integer.MAX_VALUE, 1, 512L << 20, new InboundBuffers(MAX_BYTES)));
    assertThrows(Reassembly.Refused.class, () -> Reassembly.of(1, 100, 101, MAX_BYTES, new InboundBuffers(MAX_BYTES)));
  }

  @Example
  void aChunkThatNeedsABlockTheNodeHasNoRoomForEndsItsTransfer() throws Reassembly.Refused {
    InboundBuffers buffers = new InboundBuffers(2L * Reassembly.BLOCK);
    byte[] original = new byte[3 * Reassembly.BLOCK];
    List<Chunk> chunks = split(4, original, Reassembly.BLOCK);
    Reassembly first = Reassembly.of(4, original.length, chunks.size(), MAX_BYTES, buffers);
    assertFalse(first.add(chunks.get(0)));
    assertFalse(first.add(chunks.get(1)));
    Reassembly.Refused refused = assertThrows(Reassembly.Refused.class, () -> first.add(chunks.get(2)));
    assertTrue(refused.getMessage().contains("max-inbound-bytes"), refused.getMessage());
    assertEquals(2L * Reassembly.BLOCK, buffers.held());
    first.release();
    assertEquals(0, buffers.held());

    // With the bytes given back, another transfer has the whole bound again.
    Reassembly second = Reassembly.of(5, 2 * Reassembly.BLOCK, 2, MAX_BYTES, buffers);
    assertFalse(second.add(new Chunk(5, 0, new byte[Reassembly.BLOCK])));
    assertTrue(second.add(new Chunk(5, 1, new byte[Reassembly.BLOCK])));
  }

  @Example
  void aMessageOfSeveralBlocksIsJoinedExactly() throws Reassembly.Refused {
    Random rng = new Random(7);
    byte[] original = new byte[2 * Reassembly.BLOCK + 12_345];
    rng.nextBytes(original);
    List<Chunk> chunks = split(9, original, 128 << 10);
    Reassembly reassembly = Reassembly.of(9, original.length, chunks.size(), MAX_BYTES, new InboundBuffers(MAX_BYTES));
    for (int i = 0; i < chunks.size(); i++) {
      assertEquals(i == chunks.size() - 1, reassembly.add(chunks.get(i)));
      assertTrue(reassembly.bufferedBytes() <= (i + 1L) * (128 << 10) + Reassembly.BLOCK);
    }
    assertArrayEquals(original, reassembly.message());
  }

  @Example
  void joiningAMessageOfSeveralBlocksIsCountedAndRefusedWithoutRoom() throws Reassembly.Refused {
    byte[] original = new byte[2 * Reassembly.BLOCK];
    List<Chunk> chunks = split(6, original, Reassembly.BLOCK);
    // Room for the blocks and half the joined array: the join, which would hold both, is refused.
    InboundBuffers tight = new InboundBuffers(3L * Reassembly.BLOCK);
    Reassembly refused = Reassembly.of(6, original.length, chunks.size(), MAX_BYTES, tight);
    refused.add(chunks.get(0));
    assertTrue(refused.add(chunks.get(1)));
    Reassembly.Refused noRoom = assertThrows(Reassembly.Refused.class, refused::message);
    assertTrue(noRoom.getMessage().contains("join") && noRoom.getMessage().contains("max-inbound-bytes"), noRoom.getMessage());
    refused.release();
    assertEquals(0, tight.held());

    InboundBuffers room = new InboundBuffers(5L * Reassembly.BLOCK);
    Reassembly joined = Reassembly.of(7, original.length, chunks.size(), MAX_BYTES, room);
    joined.add(new Chunk(7, 0, chunks.get(0).bytes()));
    joined.add(new Chunk(7, 1, chunks.get(1).bytes()));
    room.tryHold(Reassembly.BLOCK);
    assertEquals(3L * Reassembly.BLOCK, room.held());
    joined.message();
    assertEquals(3L * Reassembly.BLOCK, room.held(), "the blocks given back, the joined array counted in their place");
    joined.release();
    assertEquals(Reassembly.BLOCK, room.held());
  }
}
