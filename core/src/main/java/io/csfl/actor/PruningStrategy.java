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
   * The masks computed for {@code round}, with the pruner's wall-clock time in milliseconds. A pruner that throws
   * sends no reply (the actor fails and its supervisor decides), so the asker must time out.
   *
   * @param round  the round of the request
   * @param masks  the masks of the weights to keep
   * @param millis the pruner's wall-clock time, in milliseconds
   */
  public record MasksComputed(int round, MaskSet masks, long millis) implements NoSerializationVerificationNeeded {}

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

  private Behavior<Command> onCompute(ComputeMasks request) {
    long t0 = System.nanoTime();
    MaskSet masks = pruner.masks(request.model(), request.sparsity());
    request.replyTo().tell(new MasksComputed(request.round(), masks, (System.nanoTime() - t0) / 1_000_000));
    return this;
  }
}
