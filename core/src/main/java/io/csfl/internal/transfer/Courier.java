package io.csfl.internal.transfer;

import akka.actor.InvalidActorNameException;
import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import java.util.List;

/**
 * A node's courier: starts an {@link Outbound} child for each chunked message this node sends, and
 * an {@link Inbound} child for each one another node announces. An announcement is hostile until
 * checked: one above {@code max-bytes}, or beyond what the node receives at once
 * ({@code max-inbound-transfers}, {@code max-inbound-bytes}), is refused to its sender, who reports
 * a {@link TransferFailed}; the transfers already running go on.
 */
final class Courier extends AbstractBehavior<Courier.Command> {
  interface Command {}

  /** From {@link Transfers#tell} on this node: send these chunks of a serialized message. */
  record Send(long id, ActorRef<?> recipient, int serializerId, String manifest, int totalBytes, List<Chunk> chunks,
              String messageClass, ActorRef<TransferFailed> onFailure) implements Command, NoSerializationVerificationNeeded {
    Send {
      chunks = List.copyOf(chunks);
    }
  }

  /** From another node's outbound transfer: a message of {@code totalBytes} in {@code chunkCount} chunks is coming. */
  record Open(long id, String recipient, int serializerId, String manifest, int totalBytes, int chunkCount,
              ActorRef<Outbound.Command> sender) implements Command, TransferMessage {}

  /** An inbound transfer ended (delivered, refused or silent): its place and bytes are free again. */
  private record InboundEnded(int totalBytes) implements Command, NoSerializationVerificationNeeded {}

  private final TransferSettings settings;
  private final ActorRefResolver resolver;
  private int inbound;
  private long inboundBytes;

  private Courier(ActorContext<Command> context, TransferSettings settings) {
    super(context);
    context.setLoggerName(Courier.class);
    this.settings = settings;
    this.resolver = ActorRefResolver.get(context.getSystem());
  }

  static Behavior<Command> create(TransferSettings settings) {
    return Behaviors.setup(ctx -> new Courier(ctx, settings));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Send.class, this::onSend)
        .onMessage(Open.class, this::onOpen)
        .onMessage(InboundEnded.class, this::onInboundEnded)
        .build();
  }

  private Behavior<Command> onSend(Send send) {
    ActorRef<Command> remote = resolver.resolveActorRef(send.recipient().path().address() + "/system/" + Transfers.COURIER);
    getContext().spawn(Outbound.create(send, remote, settings), "out-" + send.id());
    return this;
  }

  private Behavior<Command> onOpen(Open open) {
    Reassembly reassembly;
    try {
      reassembly = Reassembly.of(open.id(), open.totalBytes(), open.chunkCount(), settings.maxBytes());
      checkRoomFor(open);
    } catch (Reassembly.Refused refused) {
      getContext().getLog().warn("refused transfer {} for {}: {}", open.id(), open.recipient(), refused.getMessage());
      open.sender().tell(new Outbound.Refused(refused.getMessage()));
      return this;
    }
    try {
      ActorRef<Inbound.Command> child = getContext().spawn(Inbound.create(open, reassembly, settings), "in-" + open.id());
      getContext().watchWith(child, new InboundEnded(open.totalBytes()));
      inbound++;
      inboundBytes += open.totalBytes();
    } catch (InvalidActorNameException e) {
      open.sender().tell(new Outbound.Refused("transfer id " + open.id() + " is already in use on this node"));
    }
    return this;
  }

  private Behavior<Command> onInboundEnded(InboundEnded ended) {
    inbound--;
    inboundBytes -= ended.totalBytes();
    return this;
  }

  /** Refuses an announcement this node has no room for now, on top of the transfers it receives. */
  private void checkRoomFor(Open open) throws Reassembly.Refused {
    if (inbound >= settings.maxInboundTransfers()) {
      throw new Reassembly.Refused("this node already receives " + inbound + " messages, its csfl.transfer.max-inbound-transfers");
    }
    if (inboundBytes + open.totalBytes() > settings.maxInboundBytes()) {
      throw new Reassembly.Refused("this node already receives " + inboundBytes + " bytes; " + open.totalBytes()
          + " more would pass its csfl.transfer.max-inbound-bytes (" + settings.maxInboundBytes() + ")");
    }
  }
}
