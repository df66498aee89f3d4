package io.csfl.strategy;

import io.csfl.codec.Payload;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import java.util.Optional;

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
    return new ClientAlgorithm() {
      @Override
      public Model startingModel(Payload downlink, io.csfl.tensor.ModelSpec spec) {
        return Payloads.toModel(downlink, spec);
      }

      @Override
      public Payload uplink(Payload downlink, Model start, Model trained) {
        return Payloads.dense(trained);
      }
    };
  }

  private static final class Server implements ServerAlgorithm {
    private Model global;
    private Model candidate;
    private final WeightedSum sum;

    Server(Model initial) {
      this.global = initial;
      this.sum = new WeightedSum(initial.spec());
    }

    @Override
    public Payload downlink(int round) {
      return Payloads.dense(global);
    }

    @Override
    public void accumulate(int round, Payload update, int examples) throws InvalidUpdateException {
      sum.add(update, examples, t -> Optional.empty());
    }

    @Override
    public Optional<PruneRequest> close(int round) {
      candidate = sum.examples() == 0 ? global : mean(sum, global);
      sum.reset();
      return Optional.empty();
    }

    @Override
    public void commit(int round, Optional<MaskSet> masks) {
      global = candidate;
    }

    @Override
    public void abandon(int round) {
      sum.reset();
    }

    @Override
    public Model globalModel() {
      return global;
    }
  }

  static Model mean(WeightedSum sum, Model like) {
    ModelBuffer out = ModelBuffer.zeros(like.spec());
    for (int t = 0; t < like.spec().tensorCount(); t++) {
      float[] m = sum.mean(t);
      System.arraycopy(m, 0, out.tensor(t), 0, m.length);
    }
    return out.toModel();
  }
}
