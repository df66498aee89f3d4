package io.csfl.strategy;

import io.csfl.codec.Payload;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.Optional;
import java.util.function.Function;

/**
 * A server that ships its dense model and replaces it with a function of the example-weighted
 * mean of the clients' updates; never prunes. FedAvg averages models; top-k averages sparse deltas.
 */
abstract class AveragingServer implements ServerAlgorithm {
  protected final ModelSpec spec;
  private final WeightedSum.Expect[] layout;
  private final WeightedSum sum;
  /** Whether clients send model values (the update is their difference from the global model) rather than differences. */
  private final boolean absolute;
  private Model global;
  private Model candidate;

  /**
   * @param layout   what each tensor of an update must look like
   * @param absolute whether clients send model values rather than differences from the global model
   */
  AveragingServer(Model initial, Function<TensorSpec, WeightedSum.Expect> layout, RobustAggregation aggregation,
                  boolean absolute) {
    this.spec = initial.spec();
    this.layout = new WeightedSum.Expect[spec.tensorCount()];
    for (int t = 0; t < this.layout.length; t++) {
      this.layout[t] = layout.apply(spec.tensor(t));
    }
    this.global = initial;
    this.sum = new WeightedSum(spec, aggregation);
    this.absolute = absolute;
  }

  /** The next value of one tensor, from its current value and the clients' mean. */
  abstract void next(float[] current, float[] mean);

  @Override
  public Payload downlink(int round) {
    return Payloads.dense(global);
  }

  @Override
  public void accumulate(int round, Payload update, int examples) throws InvalidUpdateException {
    sum.add(update, examples, t -> layout[t], absolute ? global : null);
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
  public void restore(int round, Model global) {
    this.global = global;
    this.candidate = null;
    sum.reset();
  }

  @Override
  public Model globalModel() {
    return global;
  }
}
