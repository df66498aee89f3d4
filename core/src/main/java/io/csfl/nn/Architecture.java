package io.csfl.nn;

import io.csfl.tensor.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * A named network shape that can build fresh {@link Network}s: a preset, or a {@link LayerList}
 * for a network of the user's own. Both take the input shape and class count from the dataset;
 * without them the presets are the models of McMahan et al. 2017 for 28x28 grey images and 10
 * classes.
 */
public final class Architecture {
  /** The preset names {@link #byName(String, int[], int)} knows. */
  public static final java.util.List<String> PRESETS = java.util.List.of("mlp", "cnn", "logreg");
  private static final int[] FASHION_MNIST = {1, 28, 28};
  private final String name;
  private final IntFunction<List<Layer>> layers;
  private final ModelSpec spec;

  private Architecture(String name, IntFunction<List<Layer>> layers) {
    this.name = name;
    this.layers = layers;
    // From the layers' parameter shapes: a network would allocate the parameters and gradients too.
    this.spec = Network.specOf(layers.apply(1));
  }

  /** 2NN: 784-200-200-10 with ReLU, 199,210 parameters. */
  public static Architecture mlp() {
    return mlp(784, 10);
  }

  /** 2NN on flat features of any length: inputs-200-200-classes with ReLU. */
  public static Architecture mlp(int inputs, int classes) {
    requireSizes(inputs, classes);
    return new Architecture("mlp", batch -> List.of(
        new Dense("dense1", inputs, 200), new Relu(200),
        new Dense("dense2", 200, 200), new Relu(200),
        new Dense("dense3", 200, classes)));
  }

  /** Multinomial logistic regression: one dense layer from the features to the classes, under softmax. */
  public static Architecture logreg(int inputs, int classes) {
    requireSizes(inputs, classes);
    return new Architecture("logreg", batch -> List.of(new Dense("dense1", inputs, classes)));
  }

  /** CNN: 5x5 conv 32, pool, 5x5 conv 64, pool, dense 512, dense 10; 1,663,370 parameters. */
  public static Architecture cnn() {
    return cnn(FASHION_MNIST, 10);
  }

  /**
   * The same CNN on images of shape {@code [C, H, W]} with H and W divisible by 4 (two 2x2 pools).
   * Images of several channels are moved to channels-last first, the layout of the conv layers.
   */
  public static Architecture cnn(int[] shape, int classes) {
    if (shape.length != 3 || shape[1] % 4 != 0 || shape[2] % 4 != 0) {
      throw new IllegalArgumentException("model cnn needs images of shape [C, H, W] with H and W divisible by 4, the data's shape is "
          + java.util.Arrays.toString(shape) + " (use mlp or logreg for flat features)");
    }
    requireSizes(shape[0] * shape[1] * shape[2], classes);
    int c = shape[0];
    int h = shape[1];
    int w = shape[2];
    return new Architecture("cnn", batch -> {
      List<Layer> l = new ArrayList<>();
      if (c > 1) {
        l.add(new ChannelsLast(c, h, w));
      }
      l.add(new Conv2D("conv1", h, w, c, 32, 5));
      l.add(new Relu(h * w * 32));
      l.add(new MaxPool(h, w, 32, 2));
      l.add(new Conv2D("conv2", h / 2, w / 2, 32, 64, 5));
      l.add(new Relu(h / 2 * w / 2 * 64));
      l.add(new MaxPool(h / 2, w / 2, 64, 2));
      l.add(new Dense("dense1", h / 4 * w / 4 * 64, 512));
      l.add(new Relu(512));
      l.add(new Dense("dense2", 512, classes));
      return l;
    });
  }

  private static void requireSizes(int inputs, int classes) {
    if (inputs <= 0 || classes < 2) {
      throw new IllegalArgumentException("a model needs at least one input and two classes, got " + inputs + " and " + classes);
    }
  }

  /**
   * A preset or layer list for Fashion-MNIST's 28x28 grey images and 10 classes; for other data,
   * {@link #byName(String, int[], int)}.
   *
   * @throws IllegalArgumentException as {@link #byName(String, int[], int)}, its message saying
   *     that the model was built for Fashion-MNIST's shape and classes
   */
  public static Architecture byName(String name) {
    try {
      return byName(name, FASHION_MNIST, 10);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage() + " (for Fashion-MNIST's 1x28x28 images and 10 classes; "
          + "give other data's shape and classes to byName(name, shape, classes))", e);
    }
  }

  /**
   * A model for examples of {@code shape} and {@code classes} classes: a preset ({@code mlp},
   * {@code logreg}, both on flattened examples, or {@code cnn}, images only) or a {@link LayerList}
   * such as {@code conv:16:3,pool:2,dense:10}, whose name is then the list in canonical form, so a
   * model file that records the name can be read back with it.
   *
   * @throws IllegalArgumentException in one line: an unknown name, a malformed list, or the first
   *     layer that does not fit the data
   */
  public static Architecture byName(String name, int[] shape, int classes) {
    int inputs = java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact);
    String key = name.trim().toLowerCase(Locale.ROOT);
    return switch (key) {
      case "mlp" -> mlp(inputs, classes);
      case "logreg" -> logreg(inputs, classes);
      case "cnn" -> cnn(shape, classes);
      default -> {
        if (key.matches("[^:,#\\s]+")) {
          throw new IllegalArgumentException("unknown model '" + name + "' (expected mlp, cnn, logreg or a layer list such as dense:200,dense:"
              + classes + ")");
        }
        yield of(LayerList.parse(name), shape, classes);
      }
    };
  }

  /** The model {@code layers} describes, for examples of {@code shape} and {@code classes} classes. */
  public static Architecture of(LayerList layers, int[] shape, int classes) {
    requireSizes(java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact), classes);
    int[] dims = shape.clone();
    return new Architecture(layers.toString(), batch -> layers.layers(dims, classes));
  }

  /**
   * The preset's name, or for a layer list the list in canonical form; {@link #byName(String, int[], int)} given
   * this name and the same data shape builds the same architecture.
   */
  public String name() {
    return name;
  }

  /** The names and shapes of the parameter tensors, in order: what every model of this architecture must fit. */
  public ModelSpec spec() {
    return spec;
  }

  /** He-initialised weights and zero biases, deterministic for {@code seed}. */
  public io.csfl.tensor.Model initialModel(long seed) {
    Network net = newNetwork(1);
    net.initialize(seed);
    return net.snapshot();
  }

  /**
   * A new network with zeroed parameters and its own buffers for batches of up to {@code maxBatch} samples;
   * call {@link Network#initialize(long)} or {@link Network#load} before use. Each call allocates afresh, so
   * threads can each hold one.
   *
   * @throws IllegalArgumentException if {@code maxBatch} is not positive
   */
  Network newNetwork(int maxBatch) {
    if (maxBatch <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + maxBatch);
    }
    return new Network(layers.apply(maxBatch), maxBatch);
  }

  @Override
  public String toString() {
    return name + " (" + spec.parameterCount() + " parameters)";
  }
}
