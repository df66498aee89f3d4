package io.csfl.actor;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.csfl.strategy.Pruner;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import java.util.Optional;

/**
 * Computes masks with a pluggable {@link Pruner}. The aggregator spawns it as a child, so it runs
 * on the aggregator's node and the candidate model never crosses the network to be pruned. Its
 * messages have no serializer: no other node can send it a request, whatever reply address the
 * request names.
 */
final class PruningStrategy extends AbstractBehavior<PruningStrategy.Command> {
  /** The messages a pruning strategy takes: only {@link ComputeMasks}. */
  public interface Command {}

  /**
   * Compute the masks of {@code model} at {@code sparsity} (the fraction of weights to prune, as the {@link Pruner}
   * takes it) for {@code round}, and reply to {@code replyTo} with {@link MasksComputed}.
   *
   * @param round    the round whose candidate model this is
   * @param model    the candidate model to prune
   * @param sparsity the fraction of weights to prune, as the {@link Pruner} takes it
   * @param replyTo  where the {@link MasksComputed} goes
   */
  public record ComputeMasks(int round, Model model, double sparsity, ActorRef<MasksComputed> replyTo)
      implements Command, NoSerializationVerificationNeeded {}

  /**
   * The masks computed for {@code round}, with the pruner's wall-clock time in milliseconds; or,
   * when the pruner threw or gave masks that do not fit the model, none and why.
   *
   * @param round   the round of the request
   * @param masks   the masks of the weights to keep, fitting the model; empty when pruning failed
   * @param millis  the pruner's wall-clock time, in milliseconds
   * @param failure why pruning failed, naming the pruner's class; null when it did not
   */
  public record MasksComputed(int round, Optional<MaskSet> masks, long millis, String failure) implements NoSerializationVerificationNeeded {}

  private final Pruner pruner;

  private PruningStrategy(ActorContext<Command> context, Pruner pruner) {
    super(context);
    this.pruner = pruner;
  }

  /** A pruning strategy that computes masks with {@code pruner}, one request at a time on the actor's thread. */
  public static Behavior<Command> create(Pruner pruner) {
    return Behaviors.setup(ctx -> new PruningStrategy(ctx, pruner));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(ComputeMasks.class, this::onCompute).build();
  }

  /**
   * Replies in every case: a pruner is the embedder's code, and one that throws, or returns masks
   * of another shape, must cost the round its pruning (the aggregator then ships the candidate
   * unpruned), not the aggregator or minutes of waiting.
   */
  private Behavior<Command> onCompute(ComputeMasks request) {
    long t0 = System.nanoTime();
    Optional<MaskSet> masks = Optional.empty();
    String failure = null;
    try {
      MaskSet computed = pruner.masks(request.model(), request.sparsity());
      if (computed == null) {
        throw new IllegalStateException("returned no mask set");
      }
      masks = Optional.of(computed.requireFits(request.model().spec()));
    } catch (RuntimeException e) {
      failure = pruner.getClass().getName() + ": " + e;
    }
    request.replyTo().tell(new MasksComputed(request.round(), masks, (System.nanoTime() - t0) / 1_000_000, failure));
    return this;
  }
}
