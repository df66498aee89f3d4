package io.csfl.node;

import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.nn.Architecture;
import io.csfl.nn.LocalTrainer;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.tensor.Model;
import io.csfl.checkpoint.Checkpoint;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the algorithms of one simulation share, so that they are compared on the same
 * partition, the same initial model and (through the server's seeded sampling) the same clients.
 */
record SimulationSetup(List<FederatedStrategy> strategies, Architecture architecture, Dataset train,
                       java.util.function.Supplier<io.csfl.nn.Evaluator> evaluators,
                       List<int[]> partition, Model initialModel, LocalTrainer trainer, Server.Settings settings,
                       io.csfl.actor.ChurnModel churn, Attack attack, Map<String, Checkpoint> resume,
                       Server.Checkpointer checkpointer) {
  /** A fresh run without checkpoints. */
  SimulationSetup(List<FederatedStrategy> strategies, Architecture architecture, Dataset train,
                  java.util.function.Supplier<io.csfl.nn.Evaluator> evaluators, List<int[]> partition, Model initialModel,
                  LocalTrainer trainer, Server.Settings settings, io.csfl.actor.ChurnModel churn, Attack attack) {
    this(strategies, architecture, train, evaluators, partition, initialModel, trainer, settings, churn, attack, Map.of(),
        Server.Checkpointer.NONE);
  }

  SimulationSetup {
    // In --algorithm's order, as it was given: Map.copyOf's order would differ from JVM to JVM.
    resume = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(resume));
  }

  /** The checkpoint {@code strategy} resumes from, if any. */
  Optional<Checkpoint> resumeOf(FederatedStrategy strategy) {
    return Optional.ofNullable(resume.get(strategy.name()));
  }

  /** A fresh evaluator for one federation's server (evaluators are single-threaded). */
  io.csfl.nn.Evaluator evaluator() {
    return evaluators.get();
  }

  Server.Settings settingsFor(FederatedStrategy strategy) {
    return settings.withAlgorithm(strategy.name());
  }
}
