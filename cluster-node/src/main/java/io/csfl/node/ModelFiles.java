package io.csfl.node;

import io.csfl.actor.Server;
import io.csfl.checkpoint.Checkpoints;
import io.csfl.checkpoint.SafeTensors;
import io.csfl.nn.Architecture;
import java.nio.file.Path;
import java.util.function.Function;

/** What a server of the command line saves: a checkpoint after every round, the trained model after the last. */
final class ModelFiles {
  private ModelFiles() {}

  /**
   * @param modelFile where the model of an algorithm goes once its last round is committed; it
   *                  records the architecture, so {@code csfl evaluate} needs no --model-spec
   */
  static Server.Checkpointer checkpointer(Checkpoints store, int rounds, Architecture architecture, Function<String, Path> modelFile) {
    return c -> {
      store.save(c);
      if (c.round() == rounds) {
        SafeTensors.write(modelFile.apply(c.algorithm()), SafeTensors.ofModel(c.global())
            .withMeta("architecture", architecture.name()).withMeta("algorithm", c.algorithm())
            .withMeta("rounds", Integer.toString(c.round())));
      }
    };
  }
}
