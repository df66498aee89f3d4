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
import java.util.Locale;
import scala.util.Try;

/**
 * Receives one chunked message: acknowledges each chunk, has its {@link Reassembly} check it
 * against what was announced, and at the end deserializes the message and delivers it to its
 * recipient. Anything inconsistent ends the transfer with a refusal the sender reports, releasing
 * the buffer and its place in the courier's bounds. So does a sender that goes quiet for the ack
 * timeout, or one that is too slow: the first ack timeout after the announcement is a grace, and
 * every ack timeout after it must bring {@code csfl.transfer.min-rate} bytes per second of it (or
 * the rest of the message). A place among the node's {@code max-inbound-transfers} and its bytes
 * are then held only while bytes keep arriving: a member that announces a big message and
 * trickles it (a byte per chunk, each within the ack timeout), or sends most of it and then
 * trickles, loses the place within two ack timeouts of the trickle's start.
 */
final class Inbound extends AbstractBehavior<Inbound.Command> {
  interface Command {}

  private enum Silence implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** An ack timeout has passed: the end of the grace, or of a window that must have brought {@code min-rate}. */
  private enum PaceWindowEnded implements Command, NoSerializationVerificationNeeded { INSTANCE }

  private final Courier.Open open;
  private final TransferSettings settings;
  private final TimerScheduler<Command> timers;
  private final Reassembly reassembly;
  /** Whether the first pace window, the grace, has ended. */
  private boolean graceOver;
  /** The bytes received when the current pace window began. */
  private int windowStart;

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
    timers.startTimerWithFixedDelay(PaceWindowEnded.INSTANCE, settings.ackTimeout());
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
        .onMessage(PaceWindowEnded.class, w -> onPaceWindowEnded())
        .onSignal(PostStop.class, s -> {
          reassembly.release();
          return this;
        })
        .build();
  }

  /**
   * After the grace, drops the transfer if the window that just ended brought fewer than
   * {@code min-rate} bytes per second of it, or than the rest of the message.
   */
  private Behavior<Command> onPaceWindowEnded() {
    int received = reassembly.receivedBytes();
    if (graceOver) {
      long needed = Math.min(settings.minRate() * settings.ackTimeout().toMillis() / 1000, reassembly.totalBytes() - (long) windowStart);
      if (received - windowStart < needed) {
        return refuse(String.format(Locale.ROOT, "too slow: %d bytes in the last %d s, fewer than the %d this node's "
            + "csfl.transfer.min-rate of %d bytes/s asks for (%d of %d bytes arrived); dropped", received - windowStart,
            settings.ackTimeout().toSeconds(), needed, settings.minRate(), received, reassembly.totalBytes()));
      }
    }
    graceOver = true;
    windowStart = received;
    return this;
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
      return this;
    }
    return deliver();
  }

  private Behavior<Command> deliver() {
    byte[] bytes;
    try {
      bytes = reassembly.message();
    } catch (Reassembly.Refused refused) {
      return refuse(refused.getMessage());
    }
    Try<Object> message = SerializationExtension.get(Adapter.toClassic(getContext().getSystem()))
        .deserialize(bytes, open.serializerId(), open.manifest());
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
