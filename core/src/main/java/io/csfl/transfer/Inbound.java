package io.csfl.transfer;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.serialization.SerializationExtension;
import scala.util.Try;

/**
 * Receives one chunked message: acknowledges each chunk, checks order and size against what was
 * announced, and at the end deserializes the message and delivers it to its recipient. Anything
 * inconsistent ends the transfer with a refusal the sender reports; a sender that goes quiet is
 * given up on after the ack timeout, releasing the buffer and its place in the courier's bounds.
 * Chunks are kept as they arrive and joined once, at the end: an announcement alone costs next
 * to nothing.
 */
final class Inbound extends AbstractBehavior<Inbound.Command> {
  interface Command {}

  private enum Silence implements Command, NoSerializationVerificationNeeded { INSTANCE }

  private final Courier.Open open;
  private final TransferSettings settings;
  private final TimerScheduler<Command> timers;
  /** The chunks' bytes as they arrived: memory follows what was sent, never the announced size alone. */
  private final java.util.List<byte[]> parts = new java.util.ArrayList<>();
  private int filled;
  private int received;

  private Inbound(ActorContext<Command> context, TimerScheduler<Command> timers, Courier.Open open, TransferSettings settings) {
    super(context);
    context.setLoggerName(Inbound.class);
    this.open = open;
    this.settings = settings;
    this.timers = timers;
    open.sender().tell(new Outbound.Accepted(context.getSelf()));
    timers.startSingleTimer(Silence.INSTANCE, settings.ackTimeout());
  }

  static Behavior<Command> create(Courier.Open open, TransferSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Inbound(ctx, timers, open, settings)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Chunk.class, this::onChunk)
        .onMessage(Silence.class, s -> refuse("stalled after " + received + " of " + open.chunkCount() + " chunks; dropped"))
        .build();
  }

  private Behavior<Command> onChunk(Chunk chunk) {
    if (chunk.transferId() != open.id() || chunk.seq() != received) {
      return refuse("expected chunk " + received + " of transfer " + open.id() + ", got chunk " + chunk.seq() + " of transfer " + chunk.transferId());
    }
    if (chunk.bytes().length > open.totalBytes() - filled) {
      return refuse("chunks exceed the announced " + open.totalBytes() + " bytes");
    }
    parts.add(chunk.bytes());
    filled += chunk.bytes().length;
    received++;
    // The last chunk is acknowledged too, before decoding: decoding a big message can take longer
    // than the ack timeout, and the sender must not take that time for a silent node.
    open.sender().tell(new Outbound.Acked(received));
    if (received < open.chunkCount()) {
      timers.startSingleTimer(Silence.INSTANCE, settings.ackTimeout());
      return this;
    }
    return deliver();
  }

  private Behavior<Command> deliver() {
    if (filled != open.totalBytes()) {
      return refuse("received " + filled + " of the announced " + open.totalBytes() + " bytes");
    }
    // One copy, once every byte announced has arrived.
    byte[] buffer = new byte[filled];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, buffer, at, part.length);
      at += part.length;
    }
    parts.clear();
    Try<Object> message = SerializationExtension.get(Adapter.toClassic(getContext().getSystem()))
        .deserialize(buffer, open.serializerId(), open.manifest());
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
