package io.csfl.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.Precision;
import io.csfl.tensor.Values;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class WireWriterTest {
  private static byte[] counting(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) i;
    }
    return b;
  }

  @Test
  void aWriteLargerThanTheBufferGrowsItAtOnce() {
    WireWriter w = new WireWriter(16);
    w.writeBytes(counting(1000), 0, 1000);
    assertEquals(1000, w.size());
    assertArrayEquals(counting(1000), w.toByteArray());
  }

  @Test
  void growthDoublesButNeverPassesTheBound() {
    WireWriter w = new WireWriter(16, 40);
    w.writeBytes(counting(17), 0, 17);
    assertEquals(32, w.capacity());
    w.writeBytes(counting(16), 0, 16);
    assertEquals(40, w.capacity(), "doubling 32 would give 64, past the bound of 40");
    w.writeBytes(counting(7), 0, 7);
    assertEquals(40, w.size());
    assertEquals(40, w.capacity());
  }

  @Test
  void aWritePastTheBoundFailsAndKeepsWhatWasWritten() {
    WireWriter w = new WireWriter(16, 100);
    w.writeBytes(counting(90), 0, 90);
    assertThrows(IllegalStateException.class, () -> w.writeBytes(counting(11), 0, 11));
    assertThrows(IllegalStateException.class, () -> w.writeBits(new long[2], 81));
    assertThrows(IllegalStateException.class, () -> w.writeFloats(Values.zeros(3)));
    assertThrows(IllegalStateException.class, () -> w.writeFloats(Values.zeros(6), Precision.FP16));
    assertEquals(90, w.size());
    assertArrayEquals(counting(90), w.toByteArray());
    w.writeBytes(counting(10), 0, 10);
    assertEquals(100, w.size());
    assertTrue(w.capacity() <= 100);
  }

  @Test
  void aLengthThatWouldOverflowAnIntFailsWithoutAllocating() {
    WireWriter w = new WireWriter(16).writeBytes(counting(100), 0, 100);
    assertThrows(IllegalStateException.class, () -> w.writeBytes(new byte[1], 0, Integer.MAX_VALUE));
    assertThrows(IllegalStateException.class, () -> w.writeBytes(new byte[1], 0, WireWriter.MAX_SIZE - 99));
    assertEquals(100, w.size());
    assertTrue(w.capacity() < 1 << 20, "no buffer was allocated for the refused write");
  }

  @Test
  void negativeLengthsAreRefused() {
    WireWriter w = new WireWriter(16);
    assertThrows(IllegalArgumentException.class, () -> w.writeBytes(new byte[4], 0, -1));
    assertThrows(IllegalArgumentException.class, () -> w.writeBits(new long[1], -8));
    assertEquals(0, w.size());
  }

  @Test
  void boundsOutsideWhatAnArrayHoldsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new WireWriter(16, 0));
    assertThrows(IllegalArgumentException.class, () -> new WireWriter(16, Integer.MAX_VALUE));
    WireWriter small = new WireWriter(1 << 20, 8);
    assertEquals(8, small.capacity(), "the initial buffer is no larger than the bound");
    small.writeLong(-1);
    assertArrayEquals(filled(8, (byte) -1), small.toByteArray());
  }

  private static byte[] filled(int n, byte value) {
    byte[] b = new byte[n];
    Arrays.fill(b, value);
    return b;
  }

  @Test
  void writtenGivesExactlyTheBytesAndReusesTheThreadsScratchBuffer() {
    byte[] first = WireWriter.written(out -> out.writeBytes(counting(100_000), 0, 100_000));
    assertArrayEquals(counting(100_000), first);
    byte[] second = WireWriter.written(out -> out.writeVarInt(300).writeByte(7));
    assertArrayEquals(new byte[] {(byte) 0xAC, 0x02, 7}, second, "the scratch starts empty for each message");
    assertEquals(3, second.length);
  }

  @Test
  void aNestedWrittenCallUsesAWriterOfItsOwn() {
    byte[] outer = WireWriter.written(out -> {
      out.writeByte(1);
      byte[] inner = WireWriter.written(in -> in.writeByte(2).writeByte(3));
      out.writeBytes(inner, 0, inner.length).writeByte(4);
    });
    assertArrayEquals(new byte[] {1, 2, 3, 4}, outer);
  }

  @Test
  void aFailedWriteLeavesTheScratchEmptyForTheNext() {
    assertThrows(IllegalArgumentException.class, () -> WireWriter.written(out -> out.writeByte(9).writeVarInt(-1)));
    assertArrayEquals(new byte[] {5}, WireWriter.written(out -> out.writeByte(5)));
  }
}
