package io.csfl.strategy;

import io.csfl.codec.Payload;
import io.csfl.tensor.Model;
import io.csfl.tensor.TensorSpec;
import java.util.function.Function;

/** Federated averaging (McMahan et al. 2017): dense both ways, example-weighted mean. */
public final class FedAvg implements FederatedStrategy {
  /** The name that selects FedAvg on the command line and labels its rows in metrics.csv. */
  public static final String NAME = "fedavg";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds, RobustAggregation aggregation) {
    return new Server(initial, tensor -> WeightedSum.Expect.DENSE, aggregation);
  }

  @Override
  public ClientAlgorithm newClient() {
    return (downlink, start, trained) -> Payloads.dense(trained);
  }

  /** The new model is the mean of the clients' models, sent dense or, with another layout, sparse. */
  static final class Server extends AveragingServer {
    Server(Model initial, Function<TensorSpec, WeightedSum.Expect> layout, RobustAggregation aggregation) {
      super(initial, layout, aggregation, true);
    }

    @Override
    void next(float[] current, float[] mean) {
      System.arraycopy(mean, 0, current, 0, mean.length);
    }
  }
}
