package io.csfl.internal.wire;

import io.csfl.codec.MalformedWireException;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorOps;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary forms of a whole model and of a mask set, for the messages between server-side actors.
 * A model is its spec, then each tensor in whichever of two lossless forms is smaller: dense
 * float32 values, or a bitmap of the positions whose float bits are not all zero followed by those
 * values (a pruned model is half zeros; {@code -0.0f} is not zero in its bits, so it is listed and
 * survives). Same primitives and checks as {@link PayloadCodec}; a decoded spec must be one the
 * reader's {@link WireLimits} expect, and it bounds everything read after it.
 */
public final class ModelCodec {
  private static final int MAX_NAME_BYTES = 1024;
  private static final int MAX_RANK = 8;

  private ModelCodec() {}

  /**
   * Appends the spec: the tensor count, then each tensor's name, prunable flag, rank and
   * dimensions.
   */
  public static void writeSpec(ModelSpec spec, WireWriter out) {
    out.writeVarInt(spec.tensorCount());
    for (TensorSpec t : spec.tensors()) {
      out.writeString(t.name()).writeByte(t.prunable() ? 1 : 0).writeVarInt(t.rank());
      for (int d : t.shape()) {
        out.writeVarInt(d);
      }
    }
  }

  /**
   * Reads a spec written by {@link #writeSpec}; throws MalformedWireException when it is malformed
   * or not one the reader's {@link WireLimits} expect.
   */
  public static ModelSpec readSpec(WireReader in) {
    int count = in.readCount("tensor count", in.limits().tensorCount());
    List<TensorSpec> tensors = new ArrayList<>(Math.min(count, 64));
    try {
      for (int i = 0; i < count; i++) {
        String name = in.readString("tensor name", MAX_NAME_BYTES);
        boolean prunable = flag(in, "prunable flag");
        int[] shape = new int[in.readCount("rank of " + name, MAX_RANK)];
        for (int d = 0; d < shape.length; d++) {
          shape[d] = in.readCount("dimension of " + name, PayloadCodec.MAX_TENSOR_VALUES);
        }
        tensors.add(TensorSpec.of(name, prunable, shape));
        in.limits().tensorSize(i, name);
      }
      return in.limits().require(ModelSpec.of(tensors));
    } catch (IllegalArgumentException e) {
      throw e instanceof MalformedWireException m ? m : new MalformedWireException("model spec: " + e.getMessage(), e);
    }
  }

  /** A tensor's form flag: every value, as float32. */
  static final int DENSE = 0;
  /** A tensor's form flag: a bitmap of the positions with non-zero bits, then their values. */
  static final int SPARSE = 1;

  /**
   * Appends the model's spec, then for every tensor a form flag and its values in that form
   * ({@link #DENSE} or {@link #SPARSE}, whichever is smaller), with no length prefix: the spec
   * gives the sizes.
   */
  public static void writeModel(Model model, WireWriter out) {
    writeSpec(model.spec(), out);
    for (int t = 0; t < model.spec().tensorCount(); t++) {
      writeTensor(model.tensor(t), out);
    }
  }

  private static void writeTensor(Values values, WireWriter out) {
    int n = values.length();
    // Not TensorOps.nonZeros: that leaves out -0.0f, which must be listed to survive.
    long[] words = new long[(n + 63) >>> 6];
    for (int i = 0; i < n; i++) {
      if (Float.floatToRawIntBits(values.get(i)) != 0) {
        words[i >>> 6] |= 1L << i;
      }
    }
    Mask listed = Mask.fromWords(n, words);
    if ((n + 7L) / 8 + 4L * listed.cardinality() >= 4L * n) {
      out.writeByte(DENSE).writeFloats(values);
      return;
    }
    out.writeByte(SPARSE).writeBits(words, n).writeFloats(TensorOps.gather(values, listed));
  }

  /**
   * Reads a model written by {@link #writeModel}; throws MalformedWireException when it is
   * malformed, holds a non-finite value or its spec is not expected. A sparse tensor's bitmap is
   * as long as the spec says and charged to the message's mask budget; its values are as many as
   * the bitmap has bits set, refused before anything is allocated for them when the message is
   * too short to hold them, and each must have non-zero bits (a zero is left out, not listed).
   */
  public static Model readModel(WireReader in) {
    ModelSpec spec = readSpec(in);
    List<Values> tensors = new ArrayList<>(spec.tensorCount());
    for (TensorSpec t : spec.tensors()) {
      String what = "values of " + t.name();
      int form = in.readByte("form of " + t.name());
      tensors.add(switch (form) {
        case DENSE -> in.readFloats(t.size(), what);
        case SPARSE -> readSparse(in, t.size(), what);
        default -> throw new MalformedWireException("form of " + t.name() + " is " + form + ", not " + DENSE + " or " + SPARSE);
      });
    }
    return Model.of(spec, tensors);
  }

  private static Values readSparse(WireReader in, int size, String what) {
    Mask kept = readBitmap(in, size, "bitmap of " + what);
    Values listed = in.readFloats(kept.cardinality(), what);
    float[] out = new float[size];
    int[] positions = kept.positions();
    for (int j = 0; j < positions.length; j++) {
      float v = listed.get(j);
      if (Float.floatToRawIntBits(v) == 0) {
        throw new MalformedWireException(what + ": position " + positions[j] + " is listed but zero");
      }
      out[positions[j]] = v;
    }
    return Values.copyOf(out);
  }

  /**
   * {@code length} bits written by {@link WireWriter#writeBits}, as a mask: charged to the
   * message's mask budget before they are read, and refused when a bit past {@code length} is set.
   */
  static Mask readBitmap(WireReader in, int length, String what) {
    in.chargeMask(length, what);
    try {
      return Mask.fromWords(length, in.readBits(length, what));
    } catch (IllegalArgumentException e) {
      throw e instanceof MalformedWireException m ? m : new MalformedWireException(what + ": " + e.getMessage(), e);
    }
  }

  /** A flag byte: 1 for yes, 0 for no; anything else is malformed, not a third way of saying no. */
  private static boolean flag(WireReader in, String what) {
    int b = in.readByte(what);
    if (b != 0 && b != 1) {
      throw new MalformedWireException(what + " is " + b + ", not 0 or 1");
    }
    return b == 1;
  }
}
