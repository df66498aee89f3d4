package io.csfl.node;

import io.csfl.actor.Server;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.Checkpoints;
import io.csfl.checkpoint.SafeTensors;
import io.csfl.nn.Architecture;
import io.csfl.tensor.Model;
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
    java.util.Map<String, String> meta = metadata(architecture, dataMeta);
    return c -> {
      // The model before the checkpoint: a crash between the two resumes from the round before,
      // which runs the last round again and writes both. A model that cannot be written leaves
      // the checkpoint unsaved too (the exception ends the save), so that the run ends aborted
      // and --resume runs the last round again and writes both.
      if (c.round() == rounds) {
        SafeTensors.write(modelFile.apply(c.algorithm()), modelFile(c, meta));
      }
      // The architecture (and the data's columns) too, so that csfl evaluate reads a checkpoint as it reads a model file.
      store.save(c, meta);
    };
  }

  /** What a model file and a checkpoint record besides the tensors: the architecture, and the data's metadata. */
  private static java.util.Map<String, String> metadata(Architecture architecture, java.util.Map<String, String> dataMeta) {
    java.util.Map<String, String> meta = new java.util.HashMap<>(dataMeta);
    meta.put("architecture", architecture.name());
    return meta;
  }

  /** The trained model's file of the last round's checkpoint {@code c}. */
  private static io.csfl.checkpoint.TensorFile modelFile(Checkpoint c, java.util.Map<String, String> meta) {
    io.csfl.checkpoint.TensorFile file = SafeTensors.ofModel(c.global()).withMeta("algorithm", c.algorithm())
        .withMeta("rounds", Integer.toString(c.round()));
    for (java.util.Map.Entry<String, String> m : meta.entrySet()) {
      file = file.withMeta(m.getKey(), m.getValue());
    }
    return file;
  }

  /**
   * The trained model of a complete run ({@code last}, the checkpoint of its last round of
   * {@code rounds}), written again to {@code file} when that is missing or does not hold the
   * checkpoint's model: a run resumed from its last checkpoint has no round left to write it, and
   * the file may have been deleted or damaged since. A model that cannot be written costs a
   * warning: the checkpoint still holds it ({@code csfl evaluate} reads checkpoints too).
   */
  static void restoreModel(Checkpoint last, int rounds, Architecture architecture, java.util.Map<String, String> dataMeta, Path file) {
    if (last.round() < rounds) {
      return;
    }
    String problem;
    try {
      ModelSpec spec = last.global().spec();
      Model saved = SafeTensors.toModel(SafeTensors.read(file, SafeTensors.maxModelFileBytes(spec)), spec, file.toString());
      problem = saved.equals(last.global()) ? null : "does not hold the model of the last checkpoint";
    } catch (RuntimeException e) {
      problem = java.nio.file.Files.exists(file) ? "does not read (" + e.getMessage() + ")" : "is missing";
    }
    if (problem == null) {
      return;
    }
    try {
      SafeTensors.write(file, modelFile(last, metadata(architecture, dataMeta)));
      System.err.println("csfl: " + file + " " + problem + ": written again from the checkpoint of round " + last.round());
    } catch (java.io.IOException | RuntimeException e) {
      System.err.println("csfl: WARNING: " + file + " " + problem + ", and could not be written again: " + e.getMessage()
          + "; the checkpoint of round " + last.round() + " holds the model");
    }
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
   * A run with no round left ({@code rounds} run) saves no more, so its extra checkpoints go here,
   * and its trained model is written again to {@code modelFile} if that is missing or damaged.
   */
  static Optional<Checkpoint> resumePoint(Checkpoints store, String algorithm, int rounds, Architecture architecture,
                                          java.util.Map<String, String> dataMeta, Path modelFile) {
    return store.latest(algorithm, architecture.spec(), w -> System.err.println("csfl: " + w)).map(c -> {
      System.out.printf("%s: continuing after round %d from %s%n", c.algorithm(), c.round(), store.directory());
      pruneIfComplete(store, c, rounds);
      restoreModel(c, rounds, architecture, dataMeta, modelFile);
      return c;
    });
  }
}
