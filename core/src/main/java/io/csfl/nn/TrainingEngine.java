package io.csfl.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Where local training of the built-in models runs. The Java networks of this library are always
 * there ({@link #JAVA}); another engine, such as the PyTorch one of the {@code csfl-trainer-djl}
 * module, comes as a jar on the class path that registers an implementation with
 * {@link ServiceLoader}. That way the command line offers an engine without depending on its
 * (native) libraries: a build without the jar simply does not find it.
 *
 * <p>An engine trains the models {@link Architecture} describes, presets and layer lists, on the
 * same tensors of {@link Architecture#spec()}, so its models load into any other engine, are
 * evaluated by {@link Evaluator#of}, and federate with clients that train on another engine.
 */
public interface TrainingEngine {
  /** The name of the built-in engine, the Java networks of {@link NetworkTrainer}. */
  String JAVA = "java";

  /** The name users select the engine by, lower case, e.g. {@code pytorch}. */
  String name();

  /**
   * A trainer of {@code architecture} under {@code config}, for examples of {@code shape}
   * ({@code [C, H, W]} or {@code [F]}) and {@code classes} classes, as the architecture was built for.
   *
   * @throws IllegalArgumentException if this engine cannot train that architecture
   */
  LocalTrainer trainer(Architecture architecture, int[] shape, int classes, TrainingConfig config);

  /**
   * The engine called {@code name} (case-insensitive): {@link #JAVA}, or one registered on the class path.
   *
   * @throws IllegalArgumentException in one line naming the engines there are, if none is called so
   */
  static TrainingEngine named(String name) {
    String key = name.trim().toLowerCase(Locale.ROOT);
    if (key.equals(JAVA)) {
      return new JavaEngine();
    }
    List<String> known = new ArrayList<>(List.of(JAVA));
    for (TrainingEngine engine : ServiceLoader.load(TrainingEngine.class)) {
      if (engine.name().equalsIgnoreCase(key)) {
        return engine;
      }
      known.add(engine.name());
    }
    throw new IllegalArgumentException("training engine '" + name + "' is not on the class path (available: "
        + String.join(", ", known) + "); see docs/engines.md for how to build and enable it");
  }
}
