package io.csfl.actor;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.MessageAdaptionFailure;
import akka.actor.typed.Signal;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.function.IntSupplier;

/**
 * Tells the server's listener when the server fails on something it did not foresee (a bug, or an
 * application's checkpointer failing an assert), before the failure stops it as usual. Without
 * this the listener, which waits for {@link Server.Finished} or {@link Server.Aborted}, would wait
 * for ever, and so would an application or a cluster node that ends with the run.
 */
final class FailureToListener extends BehaviorInterceptor<Server.Command, Server.Command> {
  private final ActorRef<Server.Event> listener;
  private final String algorithm;
  private final IntSupplier round;
  private boolean told;

  private FailureToListener(ActorRef<Server.Event> listener, String algorithm, IntSupplier round) {
    super(Server.Command.class);
    this.listener = listener;
    this.algorithm = algorithm;
    this.round = round;
  }

  /** {@code server}, whose failures its listener hears of as an {@link Server.Aborted} in round {@code round}. */
  static Behavior<Server.Command> around(Behavior<Server.Command> server, ActorRef<Server.Event> listener,
                                         String algorithm, IntSupplier round) {
    return Behaviors.intercept(() -> new FailureToListener(listener, algorithm, round), server);
  }

  @Override
  public Behavior<Server.Command> aroundReceive(TypedActorContext<Server.Command> ctx, Server.Command msg,
                                                ReceiveTarget<Server.Command> target) {
    try {
      return target.apply(ctx, msg);
    } catch (RuntimeException | Error e) {
      tell(ctx, e);
      throw e;
    }
  }

  @Override
  public Behavior<Server.Command> aroundSignal(TypedActorContext<Server.Command> ctx, Signal signal,
                                               SignalTarget<Server.Command> target) {
    if (signal instanceof MessageAdaptionFailure failure) {
      // A message adapter's function threw (one mapping a future's result, say): the server, which
      // handles no such signal, fails with it after this returns.
      tell(ctx, failure.exception());
    }
    try {
      return target.apply(ctx, signal);
    } catch (RuntimeException | Error e) {
      tell(ctx, e);
      throw e;
    }
  }

  private void tell(TypedActorContext<Server.Command> ctx, Throwable failure) {
    if (told) {
      return;
    }
    told = true;
    int r = Math.max(1, round.getAsInt());
    String reason = "the server failed: " + failure;
    ctx.asJava().getLog().error("{}: training aborted in round {}: {}", algorithm, r, reason, failure);
    listener.tell(new Server.Aborted(algorithm, r, reason));
  }
}
