package io.csfl.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import io.csfl.nn.Architecture;
import io.csfl.nn.LayerList;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link Architecture} as PyTorch operations, and the mapping of its tensors between CSFL's
 * layouts and PyTorch's. The layers are those the Java engine builds from the same layer list:
 * "same" or "valid" stride-1 convolutions and dense layers, each followed by ReLU except the last
 * dense one, and k x k max pooling of stride k that drops what is left over.
 *
 * <p>Layouts: CSFL keeps a dense kernel as {@code [in, out]} and a convolution kernel as
 * {@code [k, k, in, out]} (Keras' layouts), PyTorch as {@code [out, in]} and
 * {@code [out, in, k, k]}; the copies between them move every float unchanged, so a round trip
 * returns the same bits. Images stay channels-first here; where the Java engine flattens a
 * channels-last image before a dense layer, this one moves the channels last first, so a dense
 * kernel's rows mean the same pixels in both engines.
 *
 * <p>Convolutions are PyTorch's, except where their input needs a gradient that PyTorch's CPU build
 * gets wrong for that layer's shape on this machine: those are computed another way, the same sums in
 * another order (see {@link Convolution}).
 */
final class TorchNet {
  private enum Kind { CONV, POOL, DENSE }

  /** One layer: {@code size} is the output channels or units, {@code kernel} the window. */
  private record Step(Kind kind, int size, int kernel, boolean valid) {}

  private final List<Step> steps;
  private final int[] shape;
  private final ModelSpec spec;

  private TorchNet(List<Step> steps, int[] shape, ModelSpec spec) {
    this.steps = steps;
    this.shape = shape;
    this.spec = spec;
  }

  /**
   * The network of {@code architecture} for examples of {@code shape} and {@code classes} classes.
   *
   * @throws IllegalArgumentException if its tensors would not be exactly those of the architecture's spec
   */
  static TorchNet of(Architecture architecture, int[] shape, int classes) {
    String list = switch (architecture.name()) {
      case "mlp" -> "dense:200,dense:200,dense:" + classes;
      case "logreg" -> "dense:" + classes;
      case "cnn" -> "conv:32:5,pool:2,conv:64:5,pool:2,dense:512,dense:" + classes;
      default -> LayerList.parse(architecture.name()).toString();
    };
    List<Step> steps = new ArrayList<>();
    for (String item : list.split(",")) {
      String[] p = item.split(":");
      steps.add(switch (p[0]) {
        case "conv" -> new Step(Kind.CONV, Integer.parseInt(p[1]), Integer.parseInt(p[2]), p.length == 4);
        case "pool" -> new Step(Kind.POOL, 0, Integer.parseInt(p[1]), true);
        default -> new Step(Kind.DENSE, Integer.parseInt(p[1]), 0, false);
      });
    }
    ModelSpec spec = specOf(steps, shape);
    if (!spec.equals(architecture.spec())) {
      throw new IllegalArgumentException("the PyTorch engine builds " + spec + " for model " + architecture.name()
          + " on data of shape " + java.util.Arrays.toString(shape) + ", not the model's " + architecture.spec());
    }
    return new TorchNet(List.copyOf(steps), shape.clone(), spec);
  }

  /** The tensors, named and shaped as the Java engine names and shapes them. */
  private static ModelSpec specOf(List<Step> steps, int[] shape) {
    boolean image = shape.length == 3;
    int c = image ? shape[0] : 0;
    int h = image ? shape[1] : 0;
    int w = image ? shape[2] : 0;
    int features = java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact);
    int convs = 0;
    int denses = 0;
    List<TensorSpec> tensors = new ArrayList<>();
    for (Step s : steps) {
      switch (s.kind()) {
        case CONV -> {
          String name = "conv" + ++convs;
          tensors.add(TensorSpec.kernel(name + "/kernel", s.kernel(), s.kernel(), c, s.size()));
          tensors.add(TensorSpec.bias(name + "/bias", s.size()));
          c = s.size();
          h = s.valid() ? h - s.kernel() + 1 : h;
          w = s.valid() ? w - s.kernel() + 1 : w;
        }
        case POOL -> {
          h /= s.kernel();
          w /= s.kernel();
        }
        case DENSE -> {
          int in = image ? c * h * w : features;
          String name = "dense" + ++denses;
          tensors.add(TensorSpec.kernel(name + "/kernel", in, s.size()));
          tensors.add(TensorSpec.bias(name + "/bias", s.size()));
          image = false;
          features = s.size();
        }
      }
    }
    return ModelSpec.of(tensors);
  }

  ModelSpec spec() {
    return spec;
  }

  /** The shape of a batch of {@code batch} examples as this network reads it. */
  Shape inputShape(int batch) {
    long[] dims = new long[shape.length + 1];
    dims[0] = batch;
    for (int i = 0; i < shape.length; i++) {
      dims[i + 1] = shape[i];
    }
    return new Shape(dims);
  }

  /** The logits of {@code x}, a batch of {@link #inputShape}, with {@code params} from {@link #load}. */
  NDArray forward(NDArray x, List<NDArray> params) {
    return forward(x, params, Convolution::checked);
  }

  /** {@link #forward(NDArray, List)} with {@code convolution} for the convolutions whose input needs a gradient. */
  NDArray forward(NDArray x, List<NDArray> params, Convolution.Op convolution) {
    int t = 0;
    boolean spatial = false;
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      switch (s.kind()) {
        case CONV -> {
          int pad = s.valid() ? 0 : s.kernel() / 2;
          // The input of the first one never needs a gradient.
          x = t > 0 && JniUtils.isGradMode()
              ? convolution.apply(x, params.get(t), params.get(t + 1), pad)
              : Convolution.pytorch(x, params.get(t), params.get(t + 1), pad);
          x = Activation.relu(x);
          t += 2;
          spatial = true;
        }
        case POOL -> {
          x = Pool.maxPool2d(x, new Shape(s.kernel(), s.kernel()), new Shape(s.kernel(), s.kernel()), new Shape(0, 0), false);
          spatial = true;
        }
        case DENSE -> {
          if (x.getShape().dimension() > 2) {
            // The Java engine reads conv outputs channels-last; raw images it flattens as they come.
            x = (spatial ? x.transpose(0, 2, 3, 1) : x).reshape(x.getShape().get(0), -1);
          }
          x = Linear.linear(x, params.get(t), params.get(t + 1)).singletonOrThrow();
          t += 2;
          if (i < steps.size() - 1) {
            x = Activation.relu(x);
          }
        }
      }
    }
    return x;
  }

  /** {@code model}'s tensors in PyTorch's layouts, in spec order. */
  float[][] load(Model model) {
    if (!model.spec().equals(spec)) {
      throw new IllegalArgumentException("model " + model.spec() + " does not fit network " + spec);
    }
    float[][] params = new float[spec.tensorCount()][];
    for (int t = 0; t < params.length; t++) {
      params[t] = toTorchLayout(t, model.tensor(t).toArray());
    }
    return params;
  }

  /** Values of tensor {@code t} in CSFL's layout, rearranged into PyTorch's. */
  float[] toTorchLayout(int t, float[] values) {
    int[] d = spec.tensor(t).shape();
    return switch (d.length) {
      case 2 -> transpose(values, d[0], d[1]);
      case 4 -> permuteKernel(values, d[0] * d[1], d[2], d[3], true);
      default -> values;
    };
  }

  /** The shape of tensor {@code t} in PyTorch's layout. */
  Shape torchShape(int t) {
    int[] d = spec.tensor(t).shape();
    return switch (d.length) {
      case 2 -> new Shape(d[1], d[0]);
      case 4 -> new Shape(d[3], d[2], d[0], d[1]);
      default -> new Shape(d[0]);
    };
  }

  /**
   * {@code params} from {@link #load} as arrays of {@code manager}, in memory PyTorch owns, named as the tensors;
   * they need gradients when {@code trainable}.
   */
  List<NDArray> arrays(NDManager manager, float[][] params, boolean trainable) {
    List<NDArray> arrays = new ArrayList<>();
    for (int t = 0; t < params.length; t++) {
      NDArray a = owned(manager.create(params[t], torchShape(t)));
      a.setName(spec.tensor(t).name());
      if (trainable) {
        a.setRequiresGradient(true);
      }
      arrays.add(a);
    }
    return arrays;
  }

  /**
   * A copy of {@code borrowed} in memory that PyTorch allocated and frees; {@code borrowed} is closed. DJL makes
   * an array of Java values on a direct buffer of the JVM's that PyTorch reads in place, and then the buffer's
   * lifetime, not PyTorch's reference counts, decides how long the memory stays valid.
   */
  static NDArray owned(NDArray borrowed) {
    NDArray copy = borrowed.duplicate();
    borrowed.close();
    return copy;
  }

  /** Arrays in PyTorch's layouts, as {@link #load} returns them, back in CSFL's layouts. */
  Model snapshot(float[][] params) {
    float[][] arrays = new float[spec.tensorCount()][];
    for (int t = 0; t < arrays.length; t++) {
      int[] d = spec.tensor(t).shape();
      float[] v = params[t];
      arrays[t] = switch (d.length) {
        case 2 -> transpose(v, d[1], d[0]);
        case 4 -> permuteKernel(v, d[0] * d[1], d[2], d[3], false);
        default -> v.clone();
      };
    }
    return Model.copyOf(spec, arrays);
  }

  /** {@code a} of {@code rows x cols}, row-major, as {@code cols x rows}. */
  private static float[] transpose(float[] a, int rows, int cols) {
    float[] out = new float[a.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = a[r * cols + c];
      }
    }
    return out;
  }

  /**
   * A convolution kernel moved between CSFL's {@code [taps, in, out]} (taps = k * k, row-major) and PyTorch's
   * {@code [out, in, taps]}, in the direction {@code toTorch} says.
   */
  private static float[] permuteKernel(float[] from, int taps, int in, int out, boolean toTorch) {
    float[] to = new float[from.length];
    for (int p = 0; p < taps; p++) {
      for (int i = 0; i < in; i++) {
        for (int o = 0; o < out; o++) {
          int csfl = (p * in + i) * out + o;
          int torch = (o * in + i) * taps + p;
          to[toTorch ? torch : csfl] = from[toTorch ? csfl : torch];
        }
      }
    }
    return to;
  }
}
