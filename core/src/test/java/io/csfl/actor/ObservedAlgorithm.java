package io.csfl.actor;

import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.Payload;
import io.csfl.strategy.InvalidUpdateException;
import io.csfl.strategy.PruneRequest;
import io.csfl.strategy.ServerAlgorithm;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A strategy's server that records, for a test, the rounds it prepared a downlink for and the round
 * it was last restored at (a resumed aggregator), and can fail its first closes as updates that
 * add up to no valid model would; everything else is the inner server's.
 *
 * @param prepared     thread-safe: the aggregator appends to it on its own thread
 * @param restoredAt   the round of the last restore, as given to it
 * @param failedCloses how many closes, from the first, throw NonFiniteValueException as an overflowing sum does
 */
record ObservedAlgorithm(ServerAlgorithm inner, List<Integer> prepared, AtomicInteger restoredAt, AtomicInteger failedCloses)
    implements ServerAlgorithm {
  ObservedAlgorithm(ServerAlgorithm inner, List<Integer> prepared, AtomicInteger restoredAt) {
    this(inner, prepared, restoredAt, new AtomicInteger());
  }

  @Override
  public Payload downlink(int round) {
    prepared.add(round);
    return inner.downlink(round);
  }

  @Override
  public Optional<Payload> downlinkFrom(int round, int held) {
    return inner.downlinkFrom(round, held);
  }

  @Override
  public void accumulate(int round, Payload update, int examples) throws InvalidUpdateException {
    inner.accumulate(round, update, examples);
  }

  @Override
  public Optional<PruneRequest> close(int round) {
    if (failedCloses.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      // As a tensor refuses a sum that left the float range.
      io.csfl.tensor.Values.copyOf(new float[] {Float.POSITIVE_INFINITY});
    }
    return inner.close(round);
  }

  @Override
  public void commit(int round, Optional<MaskSet> masks) {
    inner.commit(round, masks);
  }

  @Override
  public void abandon(int round) {
    inner.abandon(round);
  }

  @Override
  public Model globalModel() {
    return inner.globalModel();
  }

  @Override
  public void restore(int round, Model global) {
    restoredAt.set(round);
    inner.restore(round, global);
  }

  @Override
  public TensorFile exportState() {
    return inner.exportState();
  }

  @Override
  public TensorFile exportNewState(int round) {
    return inner.exportNewState(round);
  }

  @Override
  public void restore(int round, Model global, TensorFile state) {
    restoredAt.set(round);
    inner.restore(round, global, state);
  }
}
