package io.csfl.djl;

import ai.djl.engine.Engine;
import io.csfl.nn.Architecture;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingConfig;
import io.csfl.nn.TrainingEngine;

/**
 * The {@code pytorch} {@link TrainingEngine}: {@link PyTorchTrainer}s, found by
 * {@link TrainingEngine#named} when this module's jar is on the class path.
 *
 * <p>Before PyTorch loads, this sets DJL's system properties that the user has not set: offline
 * ({@code ai.djl.offline=true}: the native libraries come from the jars on the class path and are
 * extracted once into DJL's cache directory, {@code ~/.djl.ai} unless {@code DJL_CACHE_DIR} says
 * otherwise; nothing is downloaded) and one thread per operator
 * ({@code ai.djl.pytorch.num_threads} and {@code ai.djl.pytorch.num_interop_threads} = 1), since
 * CSFL already trains one client per thread and a single thread keeps results deterministic.
 */
public final class PyTorchEngine implements TrainingEngine {
  /** The engine's name for {@code --engine}. */
  public static final String NAME = "pytorch";
  /** DJL's name of its PyTorch engine. */
  static final String DJL_ENGINE = "PyTorch";

  private static boolean loaded;

  /** Called by {@link java.util.ServiceLoader}. */
  public PyTorchEngine() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public LocalTrainer trainer(Architecture architecture, int[] shape, int classes, TrainingConfig config) {
    return new PyTorchTrainer(architecture, shape, classes, config);
  }

  /** Sets the properties of the class comment that are not set yet; before PyTorch loads, so they take effect. */
  static synchronized void configure() {
    if (loaded) {
      return;
    }
    setDefault("ai.djl.offline", "true");
    setDefault("ai.djl.pytorch.num_threads", "1");
    setDefault("ai.djl.pytorch.num_interop_threads", "1");
    // Loads the native libraries now, so a missing one fails the trainer's construction, not a round.
    Engine.getEngine(DJL_ENGINE);
    loaded = true;
  }

  private static void setDefault(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
