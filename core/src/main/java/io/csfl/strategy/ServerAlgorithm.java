package io.csfl.strategy;

import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.Payload;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import java.util.Optional;

/**
 * The server's half of a strategy. It owns the global model buffer and is confined to one actor
 * (the aggregator), which calls it in this order each round: {@link #downlink}, then
 * {@link #accumulate} per update, then {@link #close}, then {@link #commit} with the masks the
 * pruning actor computed (or empty, when close asked for none).
 */
public interface ServerAlgorithm {
  /** What every client selected for {@code round} receives, unless {@link #downlinkFrom} offers it something smaller. */
  Payload downlink(int round);

  /**
   * A smaller downlink for a client that holds the global model of round {@code held} (it was
   * last sent the downlink of round {@code held + 1}): for STC, the difference from that model.
   * Empty, the default, when the client gets the common {@link #downlink}.
   */
  default Optional<Payload> downlinkFrom(int round, int held) {
    return Optional.empty();
  }

  /**
   * The common downlink that carried the global model of round {@code held} (the downlink of round
   * {@code held + 1}), while this server still has that model: what a client that holds it was
   * sent. A simulation resumed from a checkpoint gives its clients back the models they held with
   * it, so the server can go on sending them differences. Empty, the default, when the server
   * keeps no earlier models.
   */
  default Optional<Payload> heldDownlink(int held) {
    return Optional.empty();
  }

  /**
   * Validates one client's update completely before folding it into the running sum, so a bad
   * update changes nothing.
   *
   * @throws InvalidUpdateException naming what is wrong (shape, kind, count)
   */
  void accumulate(int round, Payload update, int examples) throws InvalidUpdateException;

  /** Ends the round's folding; asks for pruning of a candidate model, or for none. */
  Optional<PruneRequest> close(int round);

  /** Installs the next global model: the candidate, pruned with {@code masks} if there are any. */
  void commit(int round, Optional<MaskSet> masks);

  /**
   * Throws away the partial sums of an abandoned round; the global model stays as it was. Also
   * called before each attempt at a round, when there may be nothing to throw away.
   */
  void abandon(int round);

  /** The model the server would ship next round: the one that is evaluated and reported. */
  Model globalModel();

  /**
   * Rebuilds this server's state on a fresh instance (an aggregator that replaced a lost one) from
   * what the coordinator kept: the global model after round {@code round}, as
   * {@link #globalModel()} returned it then. What follows is what the lost instance would have done.
   */
  void restore(int round, Model global);

  /**
   * The state beyond {@link #globalModel()} that {@link #restore(int, Model)} cannot rebuild, as
   * named tensors and metadata: what a checkpoint saves so that a resumed run continues exactly as
   * this one would have. Called between rounds. Empty, the default, when the model is all there is.
   * What concerns the global model of one earlier round (to patch a client that holds it) goes
   * under {@link io.csfl.checkpoint.Checkpoint#heldState(int)}: the checkpoint keeps it only while
   * a client holds that round's model. The entry of round k never changes once made, and is in the
   * state after round k + 1 at the latest.
   */
  default TensorFile exportState() {
    return TensorFile.EMPTY;
  }

  /**
   * {@link #exportState()} after round {@code round}, without the held entries the receiver has
   * already: those of rounds before {@code round - 1}, as {@link Checkpoint#withoutHeldBefore}
   * leaves them out. What the aggregator
   * sends with each round's result, so that the message carries each entry once however long the
   * history; the server puts the whole state back together with {@link Checkpoint#mergeState}. The default takes them out of the whole
   * state; a strategy with a long history overrides it so as not to build what it leaves out.
   */
  default TensorFile exportNewState(int round) {
    return Checkpoint.withoutHeldBefore(exportState(), round - 1);
  }

  /**
   * {@link #restore(int, Model)}, then whatever {@code state} (from {@link #exportState()} after
   * round {@code round}) adds. An empty state leaves the restore approximate, as documented by
   * each strategy.
   *
   * @throws IllegalArgumentException when {@code state} does not fit this strategy and model
   */
  default void restore(int round, Model global, TensorFile state) {
    restore(round, global);
  }
}
