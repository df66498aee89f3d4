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
record SimulationSetup(List<FederatedStrategy> strategies, Architecture architecture, Dataset train, Dataset test,
                       List<int[]> partition, Model initialModel, LocalTrainer trainer, Server.Settings settings) {
  Server.Settings settingsFor(FederatedStrategy strategy) {
    Server.Settings s = settings;
    return new Server.Settings(strategy.name(), s.rounds(), s.clientsPerRound(), s.roundTimeout(), s.minCompleted(),
        s.maxAttempts(), s.seed());
  }
}
