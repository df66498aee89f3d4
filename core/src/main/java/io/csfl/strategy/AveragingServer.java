package io.csfl.strategy;

import io.csfl.codec.Payload;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import java.util.Optional;

/**
 * A server that ships its dense model and replaces it with a function of the example-weighted
 * mean of the clients' updates; never prunes. FedAvg averages models; top-k averages sparse deltas.
 */
abstract class AveragingServer implements ServerAlgorithm {
  protected final ModelSpec spec;
  private final WeightedSum sum;
  private Model global;
  private Model candidate;

  AveragingServer(Model initial) {
    this.spec = initial.spec();
    this.global = initial;
    this.sum = new WeightedSum(spec);
  }

  /** What each tensor of an update must look like. */
  abstract WeightedSum.Expect expect(int tensor);

  /** The next value of one tensor, from its current value and the clients' mean. */
  abstract void next(float[] current, float[] mean);

  @Override
  public Payload downlink(int round) {
    return Payloads.dense(global);
  }

  @Override
  public void accumulate(int round, Payload update, int examples) throws InvalidUpdateException {
    sum.add(update, examples, this::expect);
  }

  @Override
  public Optional<PruneRequest> close(int round) {
    if (sum.examples() == 0) {
      candidate = global;
    } else {
      ModelBuffer next = ModelBuffer.copyOf(global);
      for (int t = 0; t < spec.tensorCount(); t++) {
        next(next.tensor(t), sum.mean(t));
      }
      candidate = next.toModel();
    }
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
