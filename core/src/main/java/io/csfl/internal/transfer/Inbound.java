package io.csfl.internal.transfer;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.serialization.SerializationExtension;
import java.time.Duration;
import java.util.Locale;
import scala.util.Try;

/**
 * Receives one chunked message: acknowledges each chunk, has its {@link Reassembly} check it
 * against what was announced, and at the end deserializes the message and delivers it to its
 * recipient. Anything inconsistent ends the transfer with a refusal the sender reports, releasing
 * the buffer and its place in the courier's bounds. So does a sender that goes quiet for the ack
 * timeout, or one that falls behind {@code csfl.transfer.min-rate}: after a grace of one ack
 * timeout from the announcement, the transfer must have received {@code min-rate} bytes for every
 * further second. A place among the node's {@code max-inbound-transfers} is then held only as long
 * as its bytes arrive, and a member that announces a big message and trickles it (a byte per
 * chunk, each within the ack timeout) loses the place after about one ack timeout.
 */
final class Inbound extends AbstractBehavior<Inbound.Command> {
  interface Command {}

  private enum Silence implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** The transfer has fallen behind {@code min-rate}, unless a chunk came meanwhile. */
  private enum Behind implements Command, NoSerializationVerificationNeeded { INSTANCE }

  private final Courier.Open open;
  private final TransferSettings settings;
  private final TimerScheduler<Command> timers;
  private final Reassembly reassembly;
  private final long openedNanos = System.nanoTime();

  private Inbound(ActorContext<Command> context, TimerScheduler<Command> timers, Courier.Open open, Reassembly reassembly,
                  TransferSettings settings) {
    super(context);
    context.setLoggerName(Inbound.class);
    this.open = open;
    this.reassembly = reassembly;
    this.settings = settings;
    this.timers = timers;
    open.sender().tell(new Outbound.Accepted(context.getSelf()));
    timers.startSingleTimer(Silence.INSTANCE, settings.ackTimeout());
    timers.startSingleTimer(Behind.INSTANCE, paceLeft());
  }

  /** Receives {@code open}'s message into {@code reassembly}, which the courier made from the announcement. */
  static Behavior<Command> create(Courier.Open open, Reassembly reassembly, TransferSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Inbound(ctx, timers, open, reassembly, settings)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Chunk.class, this::onChunk)
        .onMessage(Silence.class, s -> refuse("stalled after " + reassembly.received() + " of " + reassembly.chunkCount() + " chunks; dropped"))
        .onMessage(Behind.class, b -> checkPace())
        .onSignal(PostStop.class, s -> {
          reassembly.release();
          return this;
        })
        .build();
  }

  /**
   * Time until the bytes received so far no longer keep up with {@code min-rate} (negative when
   * they already do not): the ack timeout from the announcement, plus a second for every
   * {@code min-rate} bytes received.
   */
  private Duration paceLeft() {
    long allowedNanos = settings.ackTimeout().toNanos() + (long) (reassembly.receivedBytes() * 1e9 / settings.minRate());
    return Duration.ofNanos(allowedNanos - (System.nanoTime() - openedNanos));
  }

  /** Drops the transfer if it is behind {@code min-rate}; otherwise looks again when it would be. */
  private Behavior<Command> checkPace() {
    Duration left = paceLeft();
    if (left.isNegative()) {
      return refuse(tooSlow());
    }
    timers.startSingleTimer(Behind.INSTANCE, left);
    return this;
  }

  private String tooSlow() {
    double seconds = (System.nanoTime() - openedNanos) / 1e9;
    return String.format(Locale.ROOT, "too slow: %d of %d bytes in %.1f s, behind this node's csfl.transfer.min-rate of %d bytes/s "
        + "after a grace of %d s; dropped", reassembly.receivedBytes(), reassembly.totalBytes(), seconds, settings.minRate(),
        settings.ackTimeout().toSeconds());
  }

  private Behavior<Command> onChunk(Chunk chunk) {
    boolean complete;
    try {
      complete = reassembly.add(chunk);
    } catch (Reassembly.Refused refused) {
      return refuse(refused.getMessage());
    }
    // The last chunk is acknowledged too, before decoding: decoding a big message can take longer
    // than the ack timeout, and the sender must not take that time for a silent node.
    open.sender().tell(new Outbound.Acked(reassembly.received()));
    if (!complete) {
      timers.startSingleTimer(Silence.INSTANCE, settings.ackTimeout());
      return checkPace();
    }
    return deliver();
  }

  private Behavior<Command> deliver() {
    Try<Object> message = SerializationExtension.get(Adapter.toClassic(getContext().getSystem()))
        .deserialize(reassembly.message(), open.serializerId(), open.manifest());
    if (message.isFailure()) {
      return refuse("cannot decode " + open.manifest() + ": " + message.failed().get().getMessage());
    }
    ActorRef<Object> recipient = ActorRefResolver.get(getContext().getSystem()).resolveActorRef(open.recipient());
    recipient.tell(message.get());
    open.sender().tell(new Outbound.Delivered(open.totalBytes()));
    return Behaviors.stopped();
  }

  private Behavior<Command> refuse(String reason) {
    getContext().getLog().warn("transfer {} for {} refused: {}", open.id(), open.recipient(), reason);
    open.sender().tell(new Outbound.Refused(reason));
    return Behaviors.stopped();
  }
}
