package io.csfl.nn;

import io.csfl.data.Dataset;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;

/**
 * Trains a model on a client's examples. The framework federates whatever this produces: a user
 * may bring another model family or a native library, as long as it consumes and produces
 * models of {@link #spec()}; the built-in networks are one implementation ({@link NetworkTrainer}).
 *
 * <p>The contract every implementation keeps:
 * <ul>
 *   <li><b>deterministic for a seed</b>: the same start model, data, examples and seed give the
 *       same result, so a run can be reproduced and a checkpointed run resumed;</li>
 *   <li><b>no mutation of its inputs</b>: {@code start} is immutable, and {@code data} and
 *       {@code examples} are shared with other clients, so neither is changed (copy
 *       {@code examples} before shuffling it). The trainer may keep state of its own, such as
 *       buffers reused from round to round, but no state that changes a later result;</li>
 *   <li><b>thread use</b>: client actors of one JVM share one trainer and call it at the same
 *       time from the threads of {@code Client.DISPATCHER}; a call may block its thread for as long
 *       as training takes, and must be safe alongside other calls;</li>
 *   <li><b>failure</b>: whatever it throws, an exception or an error (a failed assert, a stack
 *       overflow, a class or native library it cannot load), fails that client's round with the
 *       throwable's text as the reason, and the first failure of each kind (its class) in a JVM is
 *       logged with its stack trace; the client trains again when next sampled. Only an error that
 *       leaves the JVM nothing to go on with ({@code OutOfMemoryError}, {@code InternalError}, any
 *       {@code VirtualMachineError} but a stack overflow) is not caught.</li>
 * </ul>
 */
public interface LocalTrainer {
  /** The tensors of the models this trainer reads and writes; the server's initial model must have them. */
  ModelSpec spec();

  /**
   * Trains from {@code start} on {@code examples} of {@code data}.
   *
   * @param start    the model the server sent, of {@link #spec()}
   * @param examples indices into {@code data} of this client's examples
   * @param seed     seeds the shuffling, so a run is reproducible
   * @return the trained model, of {@link #spec()}, and {@code examples.length} as its example
   *         count (each example once, whatever the epochs): the server weighs an update by the
   *         count its client declared, and a client refuses to send a result with another model
   *         or count, failing the round with that reason
   */
  TrainingResult train(Model start, Dataset data, int[] examples, long seed);

  /**
   * Like {@link #train}, with every weight outside {@code keep} held at zero throughout (pruned
   * training, which FL-PQSU's clients do after pruning). A trainer that cannot hold weights at
   * zero keeps this default, and a strategy that needs it fails with this message.
   */
  default TrainingResult trainPruned(Model start, MaskSet keep, Dataset data, int[] examples, long seed) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot train with pruned weights held at zero");
  }
}
