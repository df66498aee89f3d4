package io.csfl.node;

import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.nn.Architecture;
import io.csfl.nn.LocalTrainer;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.tensor.Model;
import java.util.List;

/**
 * Everything the algorithms of one simulation share, so that they are compared on the same
 * partition, the same initial model and (through the server's seeded sampling) the same clients.
 */
record SimulationSetup(List<FederatedStrategy> strategies, Architecture architecture, Dataset train,
                       java.util.function.Supplier<io.csfl.nn.Evaluator> evaluators,
                       List<int[]> partition, Model initialModel, LocalTrainer trainer, Server.Settings settings,
                       io.csfl.actor.ChurnModel churn, Attack attack) {
  /** A fresh evaluator for one federation's server (evaluators are single-threaded). */
  io.csfl.nn.Evaluator evaluator() {
    return evaluators.get();
  }

  Server.Settings settingsFor(FederatedStrategy strategy) {
    return settings.withAlgorithm(strategy.name());
  }
}
