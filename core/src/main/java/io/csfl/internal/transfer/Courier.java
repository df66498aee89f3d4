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
 * ({@code max-inbound-transfers}, or no room left under {@code max-inbound-bytes} for its first
 * block), is refused to its sender, who reports a {@link TransferFailed}; the transfers already
 * running go on. The bytes bound counts what the running transfers buffer, not what they
 * announced, and each transfer must keep up {@code min-rate} ({@link Inbound}), so a member that
 * announces and then trickles holds its places only for a while, and of the bytes only what it
 * sent (at least a 1 MiB block per transfer). A transfer can also end part-way, when the
 * transfers running together would buffer more than the bound.
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

  /** An inbound transfer ended (delivered, refused, silent or too slow): its place is free again. */
  private enum InboundEnded implements Command, NoSerializationVerificationNeeded { INSTANCE }

  private final TransferSettings settings;
  private final ActorRefResolver resolver;
  private final InboundBuffers buffers;
  private int inbound;

  private Courier(ActorContext<Command> context, TransferSettings settings) {
    super(context);
    context.setLoggerName(Courier.class);
    this.settings = settings;
    this.resolver = ActorRefResolver.get(context.getSystem());
    this.buffers = new InboundBuffers(settings.maxInboundBytes());
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
      reassembly = Reassembly.of(open.id(), open.totalBytes(), open.chunkCount(), settings.maxBytes(), buffers);
      checkRoomFor(open);
    } catch (Reassembly.Refused refused) {
      getContext().getLog().warn("refused transfer {} for {}: {}", open.id(), open.recipient(), refused.getMessage());
      open.sender().tell(new Outbound.Refused(refused.getMessage()));
      return this;
    }
    try {
      ActorRef<Inbound.Command> child = getContext().spawn(Inbound.create(open, reassembly, settings), "in-" + open.id());
      getContext().watchWith(child, InboundEnded.INSTANCE);
      inbound++;
    } catch (InvalidActorNameException e) {
      open.sender().tell(new Outbound.Refused("transfer id " + open.id() + " is already in use on this node"));
    }
    return this;
  }

  private Behavior<Command> onInboundEnded(InboundEnded ended) {
    inbound--;
    return this;
  }

  /** Refuses an announcement this node has no room for now, on top of the transfers it receives. */
  private void checkRoomFor(Open open) throws Reassembly.Refused {
    if (inbound >= settings.maxInboundTransfers()) {
      throw new Reassembly.Refused("this node already receives " + inbound + " messages, its csfl.transfer.max-inbound-transfers");
    }
    long firstBlock = Math.min(Reassembly.BLOCK, open.totalBytes());
    if (buffers.held() + firstBlock > buffers.max()) {
      throw new Reassembly.Refused(buffers.noRoomFor(firstBlock));
    }
  }
}
