package io.csfl.internal.wire;

import io.csfl.codec.MalformedWireException;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a decoder may build from bytes it did not write: at most the model the receiver expects.
 *
 * <p>Byte-backed content (values, bitmaps, strings) cannot outgrow its input, because
 * {@link WireReader} checks every length against the bytes that remain. A coded mask can: an
 * all-zero mask of 2^28 positions codes in a handful of bytes and decodes to 32 MiB. So each
 * {@link WireReader} carries limits, and the decoders check every announced tensor index, count
 * and mask length against them before allocating:
 *
 * <ul>
 *   <li>a tensor index below the model's tensor count, and no more values or positions for it
 *       than the tensor has;
 *   <li>mask positions in one message (one {@link WireReader}) at most
 *       {@link #MASK_POSITIONS_PER_PARAMETER} per parameter of the model, 16 bytes of bitmap per
 *       parameter: a difference of many rounds (one ternary mask per tensor and round) fits, a
 *       message that would decode to much more than the model is refused;
 *   <li>a whole model (the server-side messages) equal to the expected one.
 * </ul>
 *
 * <p>Without a model to expect, {@link #ofParameters} bounds any model by its parameter count
 * ({@code csfl.codec.max-parameters} on an ActorSystem).
 */
public final class WireLimits {
  /** Mask positions one message may decode per parameter of the expected model. */
  public static final int MASK_POSITIONS_PER_PARAMETER = 128;
  /** The parameter bound of a reader given no limits: 4 Mi parameters, 16 MiB of float32. */
  public static final long DEFAULT_MAX_PARAMETERS = 4L << 20;
  /** For bytes this process wrote itself (benchmarks, tests); the network's use the expected model. */
  public static final WireLimits DEFAULT = ofParameters(DEFAULT_MAX_PARAMETERS);

  /** The largest size of each tensor index; null when any index below {@link #tensorCount} may be as large as {@link #maxTensorSize}. */
  private final int[] tensorSizes;
  private final int tensorCount;
  private final int maxTensorSize;
  private final long parameters;
  /** The one model expected, when there is one. */
  private final ModelSpec spec;

  private WireLimits(int[] tensorSizes, int tensorCount, int maxTensorSize, long parameters, ModelSpec spec) {
    this.tensorSizes = tensorSizes;
    this.tensorCount = tensorCount;
    this.maxTensorSize = maxTensorSize;
    this.parameters = parameters;
    this.spec = spec;
  }

  /** Exactly {@code spec}: its tensors, their sizes, its parameter count. */
  public static WireLimits of(ModelSpec spec) {
    int[] sizes = spec.tensors().stream().mapToInt(TensorSpec::size).toArray();
    return new WireLimits(sizes, sizes.length, Arrays.stream(sizes).max().orElse(0), spec.parameterCount(), spec);
  }

  /** Any model of at most {@code maxParameters} parameters. */
  public static WireLimits ofParameters(long maxParameters) {
    if (maxParameters <= 0 || maxParameters > PayloadCodec.MAX_TENSOR_VALUES * (long) PayloadCodec.MAX_SECTIONS) {
      throw new IllegalArgumentException("max parameters must be in 1.." + PayloadCodec.MAX_TENSOR_VALUES * (long) PayloadCodec.MAX_SECTIONS
          + ", got " + maxParameters);
    }
    int maxTensor = (int) Math.min(maxParameters, PayloadCodec.MAX_TENSOR_VALUES);
    return new WireLimits(null, PayloadCodec.MAX_SECTIONS, maxTensor, maxParameters, null);
  }

  /** Whatever either allows: for a receiver that expects one of two models. */
  public WireLimits or(WireLimits other) {
    Objects.requireNonNull(other, "other");
    if (Objects.equals(spec, other.spec) && spec != null) {
      return this;
    }
    int[] sizes = null;
    if (tensorSizes != null && other.tensorSizes != null) {
      sizes = Arrays.copyOf(tensorSizes, Math.max(tensorSizes.length, other.tensorSizes.length));
      for (int i = 0; i < other.tensorSizes.length; i++) {
        sizes[i] = Math.max(sizes[i], other.tensorSizes[i]);
      }
    }
    return new WireLimits(sizes, Math.max(tensorCount, other.tensorCount), Math.max(maxTensorSize, other.maxTensorSize),
        Math.max(parameters, other.parameters), null);
  }

  /** Tensor indices are below this. */
  int tensorCount() {
    return tensorCount;
  }

  /** The most values or positions a section of {@code tensor} may announce; refuses an index beyond the model. */
  int tensorSize(int tensor, String what) {
    if (tensor < 0 || tensor >= tensorCount) {
      throw new MalformedWireException(what + ": tensor " + tensor + " is beyond the expected model's " + tensorCount + " tensors");
    }
    return tensorSizes == null ? maxTensorSize : tensorSizes[tensor];
  }

  /** Mask positions one message may decode. */
  long maskPositions() {
    return MASK_POSITIONS_PER_PARAMETER * parameters;
  }

  /** Refuses a decoded model spec the receiver does not expect. */
  ModelSpec require(ModelSpec decoded) {
    if (spec != null) {
      if (!spec.equals(decoded)) {
        throw new MalformedWireException("model " + decoded + " is not the expected " + spec);
      }
      return decoded;
    }
    if (decoded.parameterCount() > parameters) {
      throw new MalformedWireException("model of " + decoded.parameterCount() + " parameters is above the expected " + parameters);
    }
    for (int t = 0; t < decoded.tensorCount(); t++) {
      if (decoded.tensor(t).size() > tensorSize(t, "model")) {
        throw new MalformedWireException("tensor " + decoded.tensor(t) + " is larger than expected (" + tensorSize(t, "model") + ")");
      }
    }
    return decoded;
  }

  @Override
  public String toString() {
    return spec != null ? "WireLimits(" + spec + ")" : "WireLimits(" + tensorCount + " tensors, " + parameters + " parameters)";
  }
}
