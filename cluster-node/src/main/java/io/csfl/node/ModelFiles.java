package io.csfl.node;

import io.csfl.actor.Server;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.Checkpoints;
import io.csfl.checkpoint.SafeTensors;
import io.csfl.nn.Architecture;
import io.csfl.tensor.ModelSpec;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a server of the command line saves (a checkpoint after every round, the trained model
 * after the last) and where it continues from.
 */
final class ModelFiles {
  private ModelFiles() {}

  /**
   * @param modelFile where the model of an algorithm goes once its last round is committed; it
   *                  records the architecture, so {@code csfl evaluate} needs no --model-spec
   */
  static Server.Checkpointer checkpointer(Checkpoints store, int rounds, Architecture architecture, java.util.Map<String, String> dataMeta,
                                          Function<String, Path> modelFile) {
    java.util.Map<String, String> meta = new java.util.HashMap<>(dataMeta);
    meta.put("architecture", architecture.name());
    return c -> {
      // The model before the checkpoint: a server resumed from the last round's checkpoint has
      // nothing left to run, so it would never write a model missing then. A crash between the
      // two resumes from the round before, which runs the last round again and writes both.
      // A model that cannot be written leaves the checkpoint unsaved too (the exception ends the
      // save), so that the run ends aborted and --resume runs the last round again and writes both.
      if (c.round() == rounds) {
        io.csfl.checkpoint.TensorFile file = SafeTensors.ofModel(c.global()).withMeta("algorithm", c.algorithm())
            .withMeta("rounds", Integer.toString(c.round()));
        for (java.util.Map.Entry<String, String> m : meta.entrySet()) {
          file = file.withMeta(m.getKey(), m.getValue());
        }
        SafeTensors.write(modelFile.apply(c.algorithm()), file);
      }
      // The architecture (and the data's columns) too, so that csfl evaluate reads a checkpoint as it reads a model file.
      store.save(c, meta);
    };
  }

  /**
   * Keeps {@code --keep-checkpoints} ({@link Checkpoints#prune}) when {@code last} is a run's
   * checkpoint after its last round of {@code rounds}: the run saves no more, and a kill after its
   * last save may have left one checkpoint too many. A failure costs a warning only.
   */
  static void pruneIfComplete(Checkpoints store, Checkpoint last, int rounds) {
    if (last.round() < rounds) {
      return; // its next save prunes
    }
    try {
      store.prune(last.algorithm(), last.round());
    } catch (java.io.IOException | RuntimeException e) {
      System.err.println("csfl: WARNING: could not delete checkpoints beyond --keep-checkpoints in " + store.directory() + ": " + e.getMessage());
    }
  }

  /**
   * The newest readable checkpoint of {@code algorithm} in {@code store}, as a server that takes
   * over continues from it: with the models the clients held then, and the strategy's history of
   * them, so a client that kept running gets a difference, as the lost server would have sent it.
   * A client of the round that was in flight may hold a newer model than the checkpoint says: it
   * refuses a difference from the older one, and the server sends it the full downlink next time.
   * A run with no round left ({@code rounds} run) saves no more, so its extra checkpoints go here.
   */
  static Optional<Checkpoint> resumePoint(Checkpoints store, String algorithm, ModelSpec spec, int rounds) {
    return store.latest(algorithm, spec, w -> System.err.println("csfl: " + w)).map(c -> {
      System.out.printf("%s: continuing after round %d from %s%n", c.algorithm(), c.round(), store.directory());
      pruneIfComplete(store, c, rounds);
      return c;
    });
  }
}
