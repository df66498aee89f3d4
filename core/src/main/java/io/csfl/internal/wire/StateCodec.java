package io.csfl.internal.wire;

import io.csfl.checkpoint.SafeTensors;
import io.csfl.checkpoint.TensorFile;
import io.csfl.checkpoint.TensorFileException;
import io.csfl.codec.MalformedWireException;
import io.csfl.tensor.Mask;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The binary form of a strategy's state between server-side actors. A state is a {@link TensorFile},
 * the same that goes into a checkpoint, where a mask is a byte tensor of 0s and 1s; on the wire
 * each such tensor travels as one bit per position, an eighth of its bytes:
 *
 * <pre>
 * length:varint  safetensors bytes, each packed tensor in it empty
 * packedCount:varint  (name:string  length:varint  ceil(length / 8) bytes of bits)*
 * </pre>
 *
 * The receiver gets back the same tensors in the same order, byte for byte, so the checkpoint it
 * writes is the one the sender's state would make. A packed tensor must name an empty byte tensor
 * of the safetensors part, once; its bits are charged to the message's mask budget.
 */
public final class StateCodec {
  private StateCodec() {}

  /** Appends {@code state}, its one-dimensional byte tensors of only 0s and 1s as bits. */
  public static void write(TensorFile state, WireWriter out) {
    List<String> packed = new ArrayList<>();
    TensorFile rest = state;
    for (String name : state.tensors().keySet()) {
      if (isBits(state, name)) {
        packed.add(name);
        // Put over the tensor of the same name, the empty one keeps its place in the file's order.
        rest = rest.withBytes(name, new byte[0]);
      }
    }
    byte[] file = SafeTensors.toBytes(rest);
    out.writeVarInt(file.length).writeBytes(file, 0, file.length);
    out.writeVarInt(packed.size());
    for (String name : packed) {
      byte[] b = state.bytes(name);
      long[] words = new long[(b.length + 63) >>> 6];
      for (int i = 0; i < b.length; i++) {
        words[i >>> 6] |= (long) b[i] << i;
      }
      out.writeString(name).writeVarInt(b.length).writeBits(words, b.length);
    }
  }

  /** A one-dimensional, non-empty byte tensor of only 0s and 1s. */
  private static boolean isBits(TensorFile state, String name) {
    TensorFile.Tensor t = state.tensors().get(name);
    if (t.dtype() != TensorFile.DType.U8 || t.shape().length != 1 || t.byteLength() == 0) {
      return false;
    }
    for (byte b : state.bytes(name)) {
      if ((b & ~1) != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads a state written by {@link #write}; throws MalformedWireException when it is malformed.
   * Its safetensors part is bounded by the bytes that remain, its bits by the message's mask budget.
   */
  public static TensorFile read(WireReader in) {
    byte[] file = in.readBytes("strategy state", Integer.MAX_VALUE - 8);
    TensorFile state;
    try {
      state = SafeTensors.fromBytes(file, "the strategy state");
    } catch (TensorFileException e) {
      throw new MalformedWireException(e.getMessage(), e);
    }
    int n = in.readCount("packed state tensor count", state.tensors().size());
    Set<String> filled = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String name = in.readString("packed state tensor name", Integer.MAX_VALUE - 8);
      TensorFile.Tensor empty = state.tensors().get(name);
      if (empty == null || empty.dtype() != TensorFile.DType.U8 || empty.shape().length != 1 || empty.byteLength() != 0 || !filled.add(name)) {
        throw new MalformedWireException("packed state tensor " + name + " is not an empty byte tensor of the state, or is packed twice");
      }
      int length = in.readVarInt("length of " + name);
      if (length == 0) {
        throw new MalformedWireException("packed state tensor " + name + " is empty");
      }
      // Bit by bit into the bytes: a list of the set positions would cost four more bytes each.
      Mask bits = ModelCodec.readBitmap(in, length, "bits of " + name);
      byte[] b = new byte[length];
      for (int p = 0; p < length; p++) {
        b[p] = (byte) (bits.get(p) ? 1 : 0);
      }
      state = state.withBytes(name, b);
    }
    return state;
  }
}
