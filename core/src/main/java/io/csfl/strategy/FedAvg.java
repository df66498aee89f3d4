package io.csfl.strategy;

import io.csfl.codec.Payload;
import io.csfl.tensor.Model;

/** Federated averaging (McMahan et al. 2017): dense both ways, example-weighted mean. */
public final class FedAvg implements FederatedStrategy {
  public static final String NAME = "fedavg";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds) {
    return new Server(initial);
  }

  @Override
  public ClientAlgorithm newClient() {
    return (downlink, start, trained) -> Payloads.dense(trained);
  }

  /** The new model is the mean of the clients' models. */
  private static final class Server extends AveragingServer {
    Server(Model initial) {
      super(initial);
    }

    @Override
    WeightedSum.Expect expect(int tensor) {
      return WeightedSum.Expect.DENSE;
    }

    @Override
    void next(float[] current, float[] mean) {
      System.arraycopy(mean, 0, current, 0, mean.length);
    }
  }
}
