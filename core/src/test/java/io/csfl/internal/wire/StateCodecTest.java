package io.csfl.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.checkpoint.SafeTensors;
import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.MalformedWireException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A strategy's state crosses the wire with its masks as bits and comes back the same file, byte
 * for byte and in order; a damaged or forged encoding fails in the codec.
 */
class StateCodecTest {
  private static byte[] mask(int n, long seed) {
    Random rng = new Random(seed);
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (rng.nextBoolean() ? 1 : 0);
    }
    return b;
  }

  /** Masks between other tensors: fp32 values, bytes that are not a mask, an empty byte tensor. */
  private static TensorFile state() {
    return TensorFile.EMPTY.withMeta("held_oldest", "3")
        .withF32("held/3/values/w", new long[] {2}, new float[] {-0.0f, 1.5f})
        .withBytes("mask/w", mask(1000, 1))
        .withBytes("codes", new byte[] {0, 1, 2, 1})
        .withBytes("empty", new byte[0])
        .withBytes("mask/b", mask(65, 2))
        .withBytes("ones", new byte[] {1});
  }

  private static byte[] encode(TensorFile state) {
    return CodecTesting.written(out -> StateCodec.write(state, out));
  }

  private static TensorFile decode(byte[] bytes) {
    return CodecTesting.readWhole(bytes, WireLimits.DEFAULT, StateCodec::read);
  }

  @Test
  void theStateComesBackTheSameFileWithItsMasksAsBits() {
    TensorFile state = state();
    byte[] wire = encode(state);
    TensorFile back = decode(wire);
    assertEquals(state, back);
    assertEquals(List.copyOf(state.tensors().keySet()), List.copyOf(back.tensors().keySet()));
    assertArrayEquals(SafeTensors.toBytes(state), SafeTensors.toBytes(back));
    // 1000 + 65 + 1 mask bytes travel as 125 + 9 + 1, plus each name once more.
    int file = SafeTensors.toBytes(state).length;
    assertTrue(wire.length < file - 900, wire.length + " bytes on the wire, " + file + " in the file");
  }

  @Test
  void aStateWithoutMasksIsItsFileAndAZeroCount() {
    TensorFile state = TensorFile.EMPTY.withF32("residual/w", new long[] {3}, new float[] {1, 2, 3});
    byte[] file = SafeTensors.toBytes(state);
    WireWriter expected = new WireWriter(64).writeVarInt(file.length).writeBytes(file, 0, file.length).writeVarInt(0);
    assertArrayEquals(expected.toByteArray(), encode(state));
    assertEquals(state, decode(encode(state)));
    assertEquals(TensorFile.EMPTY, decode(encode(TensorFile.EMPTY)));
  }

  @Test
  void everyTruncationFailsInTheCodec() {
    CodecTesting.assertEveryTruncationFails(encode(state()), StateCodecTest::decode);
  }

  /** The state's safetensors part, then the packed tensors as {@code packed} writes them. */
  private static byte[] forged(TensorFile rest, java.util.function.Consumer<WireWriter> packed) {
    byte[] file = SafeTensors.toBytes(rest);
    WireWriter w = new WireWriter(64).writeVarInt(file.length).writeBytes(file, 0, file.length);
    packed.accept(w);
    return w.toByteArray();
  }

  private static void refused(byte[] bytes, String expected) {
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> decode(bytes));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void packedTensorsMustFillEmptyByteTensorsOfTheStateOnce() {
    TensorFile rest = TensorFile.EMPTY.withBytes("m", new byte[0]).withBytes("full", new byte[] {1, 0})
        .withF32("f", new long[] {0}, new float[0]);
    long[] one = {1};
    assertEquals(TensorFile.EMPTY.withBytes("m", new byte[] {1, 0, 0}).withBytes("full", new byte[] {1, 0})
        .withF32("f", new long[] {0}, new float[0]), decode(forged(rest, w -> w.writeVarInt(1).writeString("m").writeVarInt(3).writeBits(one, 3))));
    refused(forged(rest, w -> w.writeVarInt(1).writeString("x").writeVarInt(3).writeBits(one, 3)), "is not an empty byte tensor");
    refused(forged(rest, w -> w.writeVarInt(1).writeString("full").writeVarInt(3).writeBits(one, 3)), "is not an empty byte tensor");
    refused(forged(rest, w -> w.writeVarInt(1).writeString("f").writeVarInt(3).writeBits(one, 3)), "is not an empty byte tensor");
    refused(forged(rest, w -> w.writeVarInt(2).writeString("m").writeVarInt(3).writeBits(one, 3).writeString("m").writeVarInt(3).writeBits(one, 3)),
        "packed twice");
    refused(forged(rest, w -> w.writeVarInt(4)), "at most 3");
    refused(forged(rest, w -> w.writeVarInt(1).writeString("m").writeVarInt(0)), "is empty");
    refused(forged(rest, w -> w.writeVarInt(1).writeString("m").writeVarInt(3).writeBits(new long[] {8}, 4)), "beyond its length");
  }

  @Test
  void bitsAreBoundedByTheRemainingBytesAndTheMessagesMaskBudget() {
    TensorFile rest = TensorFile.EMPTY.withBytes("m", new byte[0]);
    refused(forged(rest, w -> w.writeVarInt(1).writeString("m").writeVarInt(1 << 20).writeByte(1)), "needs 131072 bytes");
    WireLimits small = WireLimits.ofParameters(10);
    byte[] bomb = forged(rest, w -> w.writeVarInt(1).writeString("m").writeVarInt(Integer.MAX_VALUE));
    MalformedWireException e = assertThrows(MalformedWireException.class, () -> StateCodec.read(new WireReader(bomb, small)));
    assertTrue(e.getMessage().contains("mask positions"), e.getMessage());
  }
}
