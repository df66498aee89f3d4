package io.csfl.internal.transfer;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.serialization.Serializer;
import akka.serialization.Serializers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Delivery of messages of any size between nodes, and the measure of what they cost on the wire.
 *
 * <p>Artery drops a message above its frame size (256 KiB by default) with only a log line on the
 * sender, and one huge frame would hold up everything behind it on the connection. So a message
 * for another node that is bigger than {@code csfl.transfer.direct-limit} is serialized here, cut
 * into {@link Chunk}s and sent by this node's courier to the recipient node's courier, a window of
 * chunks ahead of the receiver's acknowledgements; the receiving courier reassembles, deserializes
 * and delivers it. Heartbeats travel on Artery's control stream and are never queued behind
 * chunks. A transfer that is refused (too large, undecodable) or stalls is reported to the
 * sender's failure listener.
 *
 * <p>One courier per ActorSystem, at {@code /system/csfl-courier}; reference.conf loads this
 * extension at start-up, so every CSFL node can receive.
 */
public final class Transfers implements Extension {
  static final String COURIER = "csfl-courier";

  private final Serialization serialization;
  private final ActorRefResolver resolver;
  private final TransferSettings settings;
  private final ActorRef<Courier.Command> courier;
  /**
   * Transfer ids: the receiving node names a transfer by its id, so a peer that could predict the
   * next one could open it first, or send chunks into it. ThreadLocalRandom's sequence can be
   * worked out from one value it gave; a SecureRandom's cannot.
   */
  private final java.security.SecureRandom ids = new java.security.SecureRandom();
  /**
   * The last message encoded, by identity: a message told to several recipients in a row is
   * serialized once, not once per recipient. Immutable, so safe to share across threads.
   */
  private volatile Encoded last = new Encoded(null, 0, "", new byte[0]);

  private Transfers(ActorSystem<?> system) {
    this.serialization = SerializationExtension.get(Adapter.toClassic(system));
    this.resolver = ActorRefResolver.get(system);
    this.settings = TransferSettings.from(system.settings().config());
    checkFrameSize(system.settings().config(), settings);
    this.courier = system.systemActorOf(Courier.create(settings), COURIER, Props.empty());
  }

  /** Room in an Artery frame for a chunk's envelope (recipient, sender, manifest) besides its bytes. */
  static final int ENVELOPE_ROOM = 4096;

  /**
   * Refuses a chunk size that does not fit Artery's frame: Artery would drop every chunk with only
   * a log line, and each transfer would fail after its ack timeout.
   */
  static void checkFrameSize(com.typesafe.config.Config config, TransferSettings settings) {
    String frame = "akka.remote.artery.advanced.maximum-frame-size";
    if (config.hasPath(frame) && settings.chunkSize() + ChunkSerializer.HEADER_BYTES + ENVELOPE_ROOM > config.getBytes(frame)) {
      throw new IllegalArgumentException("csfl.transfer.chunk-size (" + settings.chunkSize() + " bytes) leaves no room for a chunk's envelope in "
          + frame + " (" + config.getBytes(frame) + " bytes); it must be at most " + (config.getBytes(frame) - ChunkSerializer.HEADER_BYTES - ENVELOPE_ROOM));
    }
  }

  /** The extension's id; {@code getInstance} is how Akka loads it from configuration. */
  public static final class Id extends ExtensionId<Transfers> {
    private static final Id INSTANCE = new Id();

    private Id() {}

    /** The one id, for Akka to load the extension by. */
    public static Id getInstance() {
      return INSTANCE;
    }

    @Override
    public Transfers createExtension(ActorSystem<?> system) {
      return new Transfers(system);
    }
  }

  /**
   * The extension of {@code system}, created with its courier on first use (reference.conf loads
   * it at start-up); creating it fails if the system's {@code csfl.transfer} settings are invalid
   * or the chunk size does not fit Artery's frame.
   */
  public static Transfers get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /**
   * The {@code csfl.transfer} settings this node sends and receives with, read once from the
   * system's configuration.
   */
  public TransferSettings settings() {
    return settings;
  }

  /**
   * Tells {@code message} to {@code recipient}: directly when the recipient is local or the message
   * small, otherwise in chunks through the couriers. Returns the bytes that cross the wire, as
   * {@link #wireBytes} measures them. A chunked transfer that fails, or a message above
   * {@code csfl.transfer.max-bytes}, is reported to {@code onFailure}.
   */
  public <T> long tell(ActorRef<T> recipient, T message, ActorRef<TransferFailed> onFailure) {
    Encoded encoded = encode(message);
    if (!needsChunks(recipient, encoded)) {
      recipient.tell(message);
      return encoded.wireBytes();
    }
    if (encoded.bytes().length > settings.maxBytes()) {
      onFailure.tell(new TransferFailed(resolver.toSerializationFormat(recipient), message.getClass().getName(), encoded.bytes().length,
          "message of " + encoded.bytes().length + " bytes is above csfl.transfer.max-bytes (" + settings.maxBytes() + ")"));
      return 0;
    }
    long id = ids.nextLong() & Long.MAX_VALUE;
    List<Chunk> chunks = split(id, encoded.bytes());
    courier.tell(new Courier.Send(id, recipient, encoded.serializerId(), encoded.manifest(), encoded.bytes().length,
        chunks, message.getClass().getName(), onFailure));
    return framedBytes(chunks);
  }

  /**
   * The bytes {@code message} costs between this node and {@code peer}, measured by serializing
   * what {@link #tell} sends: the message itself (plus its manifest), or each of its chunks with
   * their headers. Either side of a transfer gets the same figure. The chunked handshake and
   * acknowledgements, a few dozen bytes per chunk, are control traffic and not counted.
   */
  public long wireBytes(ActorRef<?> peer, Object message) {
    Encoded encoded = encode(message);
    return needsChunks(peer, encoded) ? framedBytes(split(0, encoded.bytes())) : encoded.wireBytes();
  }

  private boolean needsChunks(ActorRef<?> peer, Encoded encoded) {
    return peer.path().address().hasGlobalScope() && encoded.bytes().length > settings.directLimit();
  }

  private List<Chunk> split(long id, byte[] bytes) {
    List<Chunk> chunks = new ArrayList<>(bytes.length / settings.chunkSize() + 1);
    for (int from = 0, seq = 0; from < bytes.length; from += settings.chunkSize(), seq++) {
      chunks.add(new Chunk(id, seq, Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + settings.chunkSize()))));
    }
    return chunks;
  }

  private long framedBytes(List<Chunk> chunks) {
    long total = 0;
    for (Chunk c : chunks) {
      total += encode(c).wireBytes();
    }
    return total;
  }

  private Encoded encode(Object message) {
    Encoded cached = last;
    if (cached.message() == message) {
      return cached;
    }
    Serializer serializer = serialization.findSerializerFor(message);
    Encoded encoded = new Encoded(message, serializer.identifier(), Serializers.manifestFor(serializer, message), serializer.toBinary(message));
    if (!(message instanceof Chunk)) {
      last = encoded;
    }
    return encoded;
  }

  /** A serialized message; {@code bytes} is never written after construction. */
  private record Encoded(Object message, int serializerId, String manifest, byte[] bytes) {
    long wireBytes() {
      return bytes.length + manifest.length();
    }
  }
}
