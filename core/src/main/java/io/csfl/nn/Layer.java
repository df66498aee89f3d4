package io.csfl.nn;

import io.csfl.tensor.TensorSpec;
import java.util.List;
import java.util.Random;

/**
 * One layer over a batch of samples stored row-major, one sample after the other. A layer is
 * stateful (it holds its parameter and gradient arrays and per-batch scratch) and is used by one
 * thread: the trainer that built it.
 */
interface Layer {
  int inputSize();

  int outputSize();

  /** The tensors this layer owns, in the order {@link #bind} receives them; none by default. */
  default List<TensorSpec> parameters() {
    return List.of();
  }

  /** Gives the layer its parameter arrays and the matching gradient arrays. */
  default void bind(float[][] params, float[][] grads) {}

  /** Fills freshly bound parameters (He initialisation for kernels, zero biases). */
  default void initialize(Random rng) {}

  void forward(float[] in, float[] out, int batch);

  /**
   * Accumulates parameter gradients and, when {@code dIn} is non-null, writes the gradient with
   * respect to the input. {@code out} is what {@link #forward} produced for {@code in}.
   */
  void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch);
}
