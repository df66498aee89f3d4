package io.csfl.internal.wire;

import io.csfl.codec.MalformedWireException;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary forms of a whole model (its spec, then every tensor dense) and of a mask set, for the
 * messages between server-side actors. Same primitives and checks as {@link PayloadCodec}; a
 * decoded spec must be one the reader's {@link WireLimits} expect.
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

  /**
   * Appends the model's spec, then every tensor's values as float32, with no length prefix (the
   * spec gives the sizes).
   */
  public static void writeModel(Model model, WireWriter out) {
    writeSpec(model.spec(), out);
    for (int t = 0; t < model.spec().tensorCount(); t++) {
      out.writeFloats(model.tensor(t));
    }
  }

  /**
   * Reads a model written by {@link #writeModel}; throws MalformedWireException when it is
   * malformed, holds a non-finite value or its spec is not expected.
   */
  public static Model readModel(WireReader in) {
    ModelSpec spec = readSpec(in);
    List<Values> tensors = new ArrayList<>(spec.tensorCount());
    for (TensorSpec t : spec.tensors()) {
      tensors.add(in.readFloats(t.size(), "values of " + t.name()));
    }
    return Model.of(spec, tensors);
  }

  /** Per tensor: a flag, and for a masked tensor its length and bitmap. */
  public static void writeMasks(MaskSet masks, WireWriter out) {
    out.writeVarInt(masks.size());
    for (int t = 0; t < masks.size(); t++) {
      var mask = masks.mask(t);
      out.writeByte(mask.isPresent() ? 1 : 0);
      mask.ifPresent(m -> out.writeVarInt(m.length()).writeBits(m.toWords(), m.length()));
    }
  }

  /**
   * Reads a mask set written by {@link #writeMasks}, bounded by the reader's {@link WireLimits};
   * the caller checks it against the model with {@link MaskSet#requireFits}.
   */
  public static MaskSet readMasks(WireReader in) {
    Mask[] masks = new Mask[in.readCount("mask count", in.limits().tensorCount())];
    try {
      for (int t = 0; t < masks.length; t++) {
        if (flag(in, "mask flag")) {
          int length = in.readCount("mask length", in.limits().tensorSize(t, "mask set"));
          in.chargeMask(length, "mask of tensor " + t);
          masks[t] = Mask.fromWords(length, in.readBits(length, "mask of tensor " + t));
        }
      }
      return MaskSet.of(masks);
    } catch (IllegalArgumentException e) {
      throw e instanceof MalformedWireException m ? m : new MalformedWireException("mask set: " + e.getMessage(), e);
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
