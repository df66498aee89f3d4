package io.csfl.nn;

import io.csfl.tensor.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * A named network shape that can build fresh {@link Network}s. The presets are the two models of
 * McMahan et al. 2017 for 28x28 grey images and 10 classes.
 */
public final class Architecture {
  private final String name;
  private final IntFunction<List<Layer>> layers;
  private final ModelSpec spec;

  private Architecture(String name, IntFunction<List<Layer>> layers) {
    this.name = name;
    this.layers = layers;
    this.spec = new Network(layers.apply(1), 1).spec();
  }

  /** 2NN: 784-200-200-10 with ReLU, 199,210 parameters. */
  public static Architecture mlp() {
    return new Architecture("mlp", batch -> List.of(
        new Dense("dense1", 784, 200), new Relu(200),
        new Dense("dense2", 200, 200), new Relu(200),
        new Dense("dense3", 200, 10)));
  }

  /** CNN: 5x5 conv 32, pool, 5x5 conv 64, pool, dense 512, dense 10; 1,663,370 parameters. */
  public static Architecture cnn() {
    return new Architecture("cnn", batch -> {
      List<Layer> l = new ArrayList<>();
      l.add(new Conv2D("conv1", 28, 28, 1, 32, 5));
      l.add(new Relu(28 * 28 * 32));
      l.add(new MaxPool2x2(28, 28, 32));
      l.add(new Conv2D("conv2", 14, 14, 32, 64, 5));
      l.add(new Relu(14 * 14 * 64));
      l.add(new MaxPool2x2(14, 14, 64));
      l.add(new Dense("dense1", 7 * 7 * 64, 512));
      l.add(new Relu(512));
      l.add(new Dense("dense2", 512, 10));
      return l;
    });
  }

  public static Architecture byName(String name) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "mlp" -> mlp();
      case "cnn" -> cnn();
      default -> throw new IllegalArgumentException("unknown model '" + name + "' (expected mlp or cnn)");
    };
  }

  public String name() {
    return name;
  }

  public ModelSpec spec() {
    return spec;
  }

  /** He-initialised weights and zero biases, deterministic for {@code seed}. */
  public io.csfl.tensor.Model initialModel(long seed) {
    Network net = newNetwork(1);
    net.initialize(seed);
    return net.snapshot();
  }

  public Network newNetwork(int maxBatch) {
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
