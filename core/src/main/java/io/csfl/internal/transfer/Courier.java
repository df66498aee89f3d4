package io.csfl.internal.transfer;

import akka.actor.Address;
import akka.actor.InvalidActorNameException;
import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's courier: starts an {@link Outbound} child for each chunked message this node sends, and
 * an {@link Inbound} child for each one another node announces. An announcement is hostile until
 * checked: one above {@code max-bytes}, or malformed, is refused to its sender, who reports a
 * {@link TransferFailed}. One that finds no place now ({@code max-inbound-transfers} in all,
 * {@code max-inbound-transfers-per-node} from the node it names, or no room under
 * {@code max-inbound-bytes} for its first block) is answered {@link Outbound.Busy}: its sender
 * announces it again a moment later, so a round that sends a node more messages than it receives
 * at once loses none of them. The bytes bound counts what the running transfers buffer, not what
 * they announced, and each transfer must keep up {@code min-rate} ({@link Inbound}), so a member
 * that announces and then trickles holds its places only for a while, and of the bytes only what
 * it sent (at least a 1 MiB block per transfer); and never more than its node's share of the
 * places. A transfer can also end part-way, when the transfers running together would buffer
 * more than the bound.
 *
 * <p>The node an announcement names is the one its sender's reference points to; Akka does not
 * tell an actor which node a message came from. A member that names another node's sender holds
 * that node's places only until the ack timeout ends them (the acceptance goes to the named node,
 * which has no such transfer, so no chunk ever comes).
 *
 * <p>Each inbound transfer's actor gets a name drawn at random, not one made of the transfer's
 * id: its reference reaches only the sender, in the acceptance, so no other node can send chunks
 * into it even if it learned the id.
 */
final class Courier extends AbstractBehavior<Courier.Command> {
  interface Command {}

  /** From {@link Transfers#tell} on this node: send these chunks of a serialized message. */
  record Send(long id, ActorRef<?> recipient, int serializerId, String manifest, int totalBytes, List<Chunk> chunks,
              String messageClass, ActorRef<TransferFailed> onFailure) implements Command, NoSerializationVerificationNeeded {
    Send {
      chunks = List.copyOf(chunks);
    }

    /** This transfer without its chunks: what its outbound transfer keeps while its own array of them is acknowledged. */
    Send withoutChunks() {
      return new Send(id, recipient, serializerId, manifest, totalBytes, List.of(), messageClass, onFailure);
    }
  }

  /** From another node's outbound transfer: a message of {@code totalBytes} in {@code chunkCount} chunks is coming. */
  record Open(long id, String recipient, int serializerId, String manifest, int totalBytes, int chunkCount,
              ActorRef<Outbound.Command> sender) implements Command, TransferMessage {}

  /** An inbound transfer from {@code from} ended (delivered, refused, silent or too slow): its place is free again. */
  private record InboundEnded(Address from) implements Command, NoSerializationVerificationNeeded {}

  private final TransferSettings settings;
  private final ActorRefResolver resolver;
  private final InboundBuffers buffers;
  /** Names of inbound transfer actors: random, so that no one can guess one. */
  private final SecureRandom names = new SecureRandom();
  /** Inbound transfers running, by the node their announcement named. */
  private final Map<Address, Integer> inboundFrom = new HashMap<>();
  /** Inbound transfers ended so far: a busy answer carries it, so that a waiting sender sees this node make progress. */
  private long freed;

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
    } catch (Reassembly.Refused refused) {
      getContext().getLog().warn("refused transfer {} for {}: {}", open.id(), open.recipient(), refused.getMessage());
      open.sender().tell(new Outbound.Refused(refused.getMessage()));
      return this;
    }
    Address from = open.sender().path().address();
    String busy = noRoomFor(open, from);
    if (busy != null) {
      getContext().getLog().debug("transfer {} from {} waits: {}", open.id(), from, busy);
      open.sender().tell(new Outbound.Busy(busy, freed));
      return this;
    }
    try {
      String name = "in-" + Long.toUnsignedString(names.nextLong(), 36);
      ActorRef<Inbound.Command> child = getContext().spawn(Inbound.create(open, reassembly, settings), name);
      getContext().watchWith(child, new InboundEnded(from));
      inboundFrom.merge(from, 1, Integer::sum);
    } catch (InvalidActorNameException drawnTwice) {
      open.sender().tell(new Outbound.Busy("drew a name in use; announce again", freed));
    }
    return this;
  }

  private Behavior<Command> onInboundEnded(InboundEnded ended) {
    inboundFrom.computeIfPresent(ended.from(), (node, n) -> n == 1 ? null : n - 1);
    freed++;
    return this;
  }

  /** Why this node has no place for {@code open} from {@code from} now, on top of the transfers it receives; null if it has. */
  private String noRoomFor(Open open, Address from) {
    int inbound = inboundFrom.values().stream().mapToInt(Integer::intValue).sum();
    if (inbound >= settings.maxInboundTransfers()) {
      return "this node already receives " + inbound + " messages, its csfl.transfer.max-inbound-transfers";
    }
    int fromThere = inboundFrom.getOrDefault(from, 0);
    if (fromThere >= settings.maxInboundTransfersPerNode()) {
      return "this node already receives " + fromThere + " messages from " + from + ", its csfl.transfer.max-inbound-transfers-per-node";
    }
    long firstBlock = Math.min(Reassembly.BLOCK, open.totalBytes());
    if (buffers.held() + firstBlock > buffers.max()) {
      return buffers.noRoomFor(firstBlock);
    }
    return null;
  }
}
