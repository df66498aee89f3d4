package io.csfl.strategy;

import io.csfl.codec.MaskedSection;
import io.csfl.codec.Section;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Model;
import io.csfl.tensor.TensorOps;

/**
 * Uplink top-k sparsification with error feedback (the classic baseline, e.g. Aji and Heafield
 * 2017; Sattler et al. 2019): the server ships the dense model; each client sends, per tensor,
 * the largest-magnitude fraction {@code density} of its update (trained minus received) plus what
 * it did not send earlier, keeping the rest as a local residual; the server adds the
 * example-weighted mean of the sparse updates to the model.
 */
public final class TopKSparsification implements FederatedStrategy {
  /**
   * The name that selects top-k sparsification on the command line and labels its rows in
   * metrics.csv.
   */
  public static final String NAME = "topk";
  private final double density;

  /**
   * Clients send the top {@code density} fraction of each tensor's update, at least one value;
   * throws IllegalArgumentException unless {@code density} is in (0, 1].
   */
  public TopKSparsification(double density) {
    this.density = TopK.requireDensity("top-k", density);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds, RobustAggregation aggregation) {
    return new Server(initial, aggregation);
  }

  @Override
  public ClientAlgorithm newClient() {
    return new Client(density);
  }

  static final class Client extends ErrorFeedbackClient {
    Client(double density) {
      super(density);
    }

    @Override
    Section compress(int tensor, float[] update, float[] residual, int k) {
      Mask chosen = TopK.selectWithFeedback(update, residual, k);
      return new MaskedSection(tensor, chosen, TensorOps.gather(update, chosen));
    }
  }

  /** The new model is the current one plus the mean of the clients' sparse deltas. */
  private static final class Server extends AveragingServer {
    Server(Model initial, RobustAggregation aggregation) {
      super(initial, WeightedSum.Expect::anySubset, aggregation, false);
    }

    @Override
    void next(float[] current, float[] mean) {
      for (int i = 0; i < current.length; i++) {
        current[i] += mean[i];
      }
    }
  }
}
