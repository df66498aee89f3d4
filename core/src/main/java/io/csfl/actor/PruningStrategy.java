package io.csfl.actor;

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
 * on the aggregator's node and the candidate model never crosses the network to be pruned.
 */
public final class PruningStrategy extends AbstractBehavior<PruningStrategy.Command> {
  public interface Command {}

  public record ComputeMasks(int round, Model model, double sparsity, ActorRef<MasksComputed> replyTo)
      implements Command, WireMessage {}

  public record MasksComputed(int round, MaskSet masks, long millis) implements WireMessage {}

  private final Pruner pruner;

  private PruningStrategy(ActorContext<Command> context, Pruner pruner) {
    super(context);
    this.pruner = pruner;
  }

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
