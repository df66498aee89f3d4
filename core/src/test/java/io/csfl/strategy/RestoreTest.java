package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csfl.codec.Payload;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An aggregator that replaces a lost one rebuilds its strategy from the server's last global model
 * ({@link ServerAlgorithm#restore}); from then on it must behave exactly as the lost one would have:
 * the same downlink, and the same next model from the same updates.
 */
class RestoreTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("k", 4, 5), TensorSpec.bias("b", 5)));
  private static final StrategyParams PARAMS = new StrategyParams(CsOptions.defaults(), 0.25, 0.25);
  private static final int ROUNDS = 6;

  private static Model randomModel(Random rng) {
    float[] kernel = new float[20];
    float[] bias = new float[5];
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] = (float) rng.nextGaussian();
    }
    for (int i = 0; i < bias.length; i++) {
      bias[i] = (float) rng.nextGaussian();
    }
    return Model.copyOf(SPEC, new float[][] {kernel, bias});
  }

  /** One round with two clients whose trained models are random; returns nothing, moves {@code server} on. */
  private static void round(FederatedStrategy strategy, ServerAlgorithm server, List<ClientAlgorithm> clients, int r, long seed)
      throws InvalidUpdateException {
    Random rng = new Random(seed * 31 + r);
    Payload down = server.downlink(r);
    for (int c = 0; c < clients.size(); c++) {
      ClientAlgorithm client = clients.get(c);
      Model start = client.startingModel(down, SPEC);
      server.accumulate(r, client.uplink(down, start, randomModel(rng)), 1 + c);
    }
    Optional<PruneRequest> prune = server.close(r);
    server.commit(r, prune.map(p -> new MagnitudePruner().masks(p.candidate(), p.sparsity())));
  }

  /** pqsu's server is FedAvg's (only the update layout differs), so fedavg covers its restore. */
  @ParameterizedTest
  @ValueSource(strings = {"fedavg", "cs", "cs-1bit", "cs-fp16", "cs-topk", "cs-1bit-topk", "topk"})
  void aRestoredServerContinuesExactlyAsTheOriginal(String name) throws InvalidUpdateException {
    FederatedStrategy strategy = Strategies.byName(name, PARAMS);
    Model initial = randomModel(new Random(1));
    ServerAlgorithm original = strategy.newServer(initial, ROUNDS);
    // Client state (error feedback) lives on the clients; two for the original, two twins for the replacement.
    List<ClientAlgorithm> clients = List.of(strategy.newClient(), strategy.newClient());
    for (int r = 1; r <= 3; r++) {
      round(strategy, original, clients, r, 7);
    }
    ServerAlgorithm replacement = strategy.newServer(initial, ROUNDS);
    replacement.restore(3, original.globalModel());

    assertEquals(original.downlink(4), replacement.downlink(4), name + ": downlink of round 4");
    List<ClientAlgorithm> twins = List.of(strategy.newClient(), strategy.newClient());
    round(strategy, original, List.of(strategy.newClient(), strategy.newClient()), 4, 9);
    round(strategy, replacement, twins, 4, 9);
    assertEquals(original.globalModel(), replacement.globalModel(), name + ": model after round 4");
  }
}
