package io.csfl.internal.transfer;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sends one chunked message: announces it to the remote courier, then keeps at most
 * {@code window} chunks unacknowledged. A receiver that has no place for it now answers
 * {@link Busy}; the announcement is then made again after a pause (growing from
 * {@link #FIRST_PAUSE} to {@link #LONGEST_PAUSE}, drawn at random so that the senders a node turned
 * away do not all come back at once), for as long as the ack timeout. Any silence longer than the
 * ack timeout, a refusal, or an ack timeout of busy answers ends the transfer with a
 * {@link TransferFailed} to the sender's listener. Once every chunk is
 * acknowledged the receiver holds all the bytes and decodes them, which for a big message can
 * take longer than the ack timeout; from then on only its refusal (the bytes do not decode) is a
 * failure.
 */
final class Outbound extends AbstractBehavior<Outbound.Command> {
  interface Command {}

  record Accepted(ActorRef<Inbound.Command> inbound) implements Command, TransferMessage {}

  /** The receiver holds the first {@code received} chunks. */
  record Acked(int received) implements Command, TransferMessage {}

  record Delivered(int totalBytes) implements Command, TransferMessage {}

  record Refused(String reason) implements Command, TransferMessage {}

  /**
   * The receiver has no place for the transfer now; announce it again later.
   *
   * @param freed how many inbound transfers the receiving node has ended so far: while it goes up,
   *              the receiver is working through its queue, and the sender keeps waiting its turn
   */
  record Busy(String reason, long freed) implements Command, TransferMessage {}

  /** The pause after a busy answer is over: announce again. */
  private enum Reannounce implements Command, NoSerializationVerificationNeeded { INSTANCE }

  static final Duration FIRST_PAUSE = Duration.ofMillis(20);
  static final Duration LONGEST_PAUSE = Duration.ofMillis(320);

  private enum Silence implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** All chunks arrived long ago and neither delivery nor refusal was heard: stop waiting. */
  private enum Unconfirmed implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** How many ack timeouts to wait for the receiver's word after the last chunk arrived. */
  private static final int DECODE_ALLOWANCE = 10;

  /** The transfer, without its chunks. */
  private final Courier.Send send;
  private final TransferSettings settings;
  private final TimerScheduler<Command> timers;
  private final String recipient;
  private final ActorRef<Courier.Command> remoteCourier;
  /**
   * Whether the receiver answered busy, and since when (System.nanoTime) it has freed no place: the
   * transfer fails only when the receiver makes no progress for the ack timeout, not when its queue
   * takes longer than that to drain.
   */
  private boolean waited;
  private long busySince;
  private long lastFreed;
  private Duration pause = FIRST_PAUSE;
  /**
   * Chunks not yet acknowledged; acknowledged ones are released at once, so memory shrinks as the
   * transfer runs. The only reference to the chunks: nothing else this actor keeps (its props
   * included) holds the list they came in.
   */
  private final Chunk[] pending;
  private ActorRef<Inbound.Command> inbound;
  private int sent;
  private int acked;

  private Outbound(ActorContext<Command> context, TimerScheduler<Command> timers, Courier.Send send, Chunk[] chunks,
                   ActorRef<Courier.Command> remoteCourier, TransferSettings settings) {
    super(context);
    context.setLoggerName(Outbound.class);
    this.send = send;
    this.settings = settings;
    this.timers = timers;
    this.pending = chunks;
    this.recipient = ActorRefResolver.get(context.getSystem()).toSerializationFormat(send.recipient());
    this.remoteCourier = remoteCourier;
    announce();
  }

  private void announce() {
    remoteCourier.tell(new Courier.Open(send.id(), recipient, send.serializerId(), send.manifest(), send.totalBytes(),
        pending.length, getContext().getSelf()));
    timers.startSingleTimer(Silence.INSTANCE, settings.ackTimeout());
  }

  static Behavior<Command> create(Courier.Send send, ActorRef<Courier.Command> remoteCourier, TransferSettings settings) {
    // The behaviour (kept as the actor's props) holds the array, whose acknowledged entries are
    // cleared, and not the send's list, which would keep every chunk until the transfer ends.
    Chunk[] chunks = send.chunks().toArray(new Chunk[0]);
    Courier.Send header = send.withoutChunks();
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Outbound(ctx, timers, header, chunks, remoteCourier, settings)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Accepted.class, this::onAccepted)
        .onMessage(Acked.class, this::onAcked)
        .onMessage(Delivered.class, d -> Behaviors.stopped())
        .onMessage(Refused.class, r -> fail("refused by the receiver: " + r.reason()))
        .onMessage(Busy.class, this::onBusy)
        .onMessage(Reannounce.class, r -> {
          announce();
          return this;
        })
        .onMessage(Silence.class, s -> fail("no answer from " + send.recipient().path().address() + " for " + settings.ackTimeout().toSeconds()
            + " s after " + acked + " of " + pending.length + " chunks (node down or unreachable?)"))
        .onMessage(Unconfirmed.class, u -> {
          getContext().getLog().warn("transfer {} of {} to {}: every chunk arrived, but no word of its delivery after {} s",
              send.id(), send.messageClass(), recipient, settings.ackTimeout().multipliedBy(DECODE_ALLOWANCE).toSeconds());
          return Behaviors.stopped();
        })
        .build();
  }

  /**
   * Takes the first acceptance that comes from the recipient's node. Any other (a second one, or
   * one naming an actor elsewhere) is not the receiver's, and would send the chunks astray.
   */
  private Behavior<Command> onAccepted(Accepted accepted) {
    if (inbound != null || !accepted.inbound().path().address().equals(send.recipient().path().address())) {
      getContext().getLog().warn("transfer {} to {}: ignored an acceptance from {}", send.id(), recipient, accepted.inbound().path().address());
      return this;
    }
    inbound = accepted.inbound();
    return pump();
  }

  private Behavior<Command> onBusy(Busy busy) {
    if (inbound != null) {
      return this;
    }
    long now = System.nanoTime();
    if (!waited || busy.freed() != lastFreed) {
      waited = true;
      busySince = now;
      lastFreed = busy.freed();
    } else if (now - busySince >= settings.ackTimeout().toNanos()) {
      return fail("the receiver freed no place for it for " + settings.ackTimeout().toSeconds() + " s: " + busy.reason());
    }
    timers.cancel(Silence.INSTANCE);
    long nanos = pause.toNanos();
    timers.startSingleTimer(Reannounce.INSTANCE, Duration.ofNanos(nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1)));
    pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
    return this;
  }

  private Behavior<Command> onAcked(Acked ack) {
    for (int i = acked; i < Math.min(ack.received(), sent); i++) {
      pending[i] = null;
    }
    acked = Math.max(acked, Math.min(ack.received(), sent));
    if (acked == pending.length) {
      timers.cancel(Silence.INSTANCE);
      timers.startSingleTimer(Unconfirmed.INSTANCE, settings.ackTimeout().multipliedBy(DECODE_ALLOWANCE));
      return this;
    }
    return pump();
  }

  private Behavior<Command> pump() {
    while (sent < pending.length && sent - acked < settings.window()) {
      inbound.tell(pending[sent++]);
    }
    timers.startSingleTimer(Silence.INSTANCE, settings.ackTimeout());
    return this;
  }

  private Behavior<Command> fail(String reason) {
    getContext().getLog().warn("transfer {} of {} ({} bytes) to {} failed: {}", send.id(), send.messageClass(), send.totalBytes(), recipient, reason);
    send.onFailure().tell(new TransferFailed(recipient, send.messageClass(), send.totalBytes(), reason));
    return Behaviors.stopped();
  }
}
