package io.csfl.actor;

import akka.actor.ExtendedActorSystem;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.SerializerWithStringManifest;
import io.csfl.codec.Payload;
import io.csfl.internal.actor.WireMessage;
import io.csfl.internal.wire.ModelCodec;
import io.csfl.internal.wire.PayloadCodec;
import io.csfl.internal.wire.StateCodec;
import io.csfl.internal.wire.WireReader;
import io.csfl.internal.wire.WireWriter;
import io.csfl.tensor.Model;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CSFL's binary serializer for the messages that carry tensors ({@link WireMessage}). The
 * manifest names the message and its format version ({@code TrainRound/2}); a node that meets an
 * unknown manifest fails that one message with a clear error instead of misreading it. Tensors
 * use {@link PayloadCodec} and {@link ModelCodec}; control fields are varints and UTF-8 strings.
 * Decoding is bounded by the node's {@link ExpectedModel}; bytes that do not decode, or announce
 * more than that model holds, fail with {@link NotSerializableException}.
 */
final class WireSerializer extends SerializerWithStringManifest {
  static final String TRAIN_ROUND = "TrainRound/2";
  static final String TRAINED = "Trained/2";
  static final String ROUND_PREPARED = "RoundPrepared/4";
  static final String FOLD = "Fold/2";
  static final String ROUND_AGGREGATED = "RoundAggregated/3";
  static final String RESUME = "Resume/5";
  private static final int MAX_ID_BYTES = 4096;
  private static final int MAX_ROUNDS = 1 << 20;

  private final ActorRefResolver resolver;
  private final akka.actor.typed.ActorSystem<Void> system;
  /**
   * The downlink of the last {@link Client.TrainRound} written, encoded. Each client's order carries
   * a secret of its own, so a round's orders differ, but those with the same payload (by identity)
   * share its encoding: the model is encoded once per round, not once per client. It is kept until an
   * order with another payload is written, one model's worth of memory. Immutable, so safe to share
   * across threads.
   */
  private volatile EncodedDownlink lastDownlink = new EncodedDownlink(null, new byte[0]);

  private record EncodedDownlink(Payload payload, byte[] bytes) {}

  /**
   * The last message serialized, by identity, and its bytes. A message is often serialized twice in a
   * row: once by {@code Transfers} to measure what it costs on the wire, then by Akka to send it (or,
   * with {@code serialize-messages = on}, to check it). Messages are immutable, so the same object
   * has the same bytes, and the second time costs nothing. The bytes are never written after they
   * are made (Akka and {@code Transfers} only read them).
   */
  private volatile Encoded lastMessage = new Encoded(null, new byte[0]);

  private record Encoded(Object message, byte[] bytes) {}

  /**
   * Called by Akka, which instantiates the serializer named in the configuration; {@code system} resolves the actor
   * references the messages carry.
   */
  public WireSerializer(ExtendedActorSystem system) {
    this.system = Adapter.toTyped(system);
    this.resolver = ActorRefResolver.get(this.system);
  }

  @Override
  public int identifier() {
    return 7263001;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof Client.TrainRound) {
      return TRAIN_ROUND;
    } else if (o instanceof Client.Trained) {
      return TRAINED;
    } else if (o instanceof Aggregator.RoundPrepared) {
      return ROUND_PREPARED;
    } else if (o instanceof Aggregator.Fold) {
      return FOLD;
    } else if (o instanceof Aggregator.RoundAggregated) {
      return ROUND_AGGREGATED;
    } else if (o instanceof Aggregator.Resume) {
      return RESUME;
    }
    throw new IllegalArgumentException("WireSerializer cannot serialize " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    Encoded cached = lastMessage;
    if (cached.message() == o) {
      return cached.bytes();
    }
    byte[] bytes = o instanceof Client.TrainRound m ? trainRound(m) : WireWriter.written(out -> write(o, out));
    lastMessage = new Encoded(o, bytes);
    return bytes;
  }

  private void write(Object o, WireWriter out) {
    if (o instanceof Client.Trained m) {
      out.writeVarInt(m.round()).writeString(m.clientId()).writeLong(m.secret()).writeVarInt(m.examples())
          .writeLong(Double.doubleToLongBits(m.loss())).writeLong(m.trainMillis()).writeLong(m.overheadMillis());
      PayloadCodec.encode(m.update(), out);
    } else if (o instanceof Aggregator.RoundPrepared m) {
      out.writeVarInt(m.round()).writeLong(m.token()).writeLong(m.key());
      PayloadCodec.encode(m.downlink(), out);
      out.writeVarInt(m.fromHeld().size());
      m.fromHeld().forEach((held, payload) -> {
        out.writeVarInt(held);
        PayloadCodec.encode(payload, out);
      });
    } else if (o instanceof Aggregator.Fold m) {
      out.writeVarInt(m.round()).writeLong(m.token()).writeString(m.clientId()).writeVarInt(m.examples());
      PayloadCodec.encode(m.update(), out);
    } else if (o instanceof Aggregator.RoundAggregated m) {
      out.writeVarInt(m.round()).writeLong(m.token()).writeVarInt(m.accepted()).writeLong(m.serverMillis()).writeVarInt(m.rejections().size());
      m.rejections().forEach(out::writeString);
      ModelCodec.writeModel(m.global(), out);
      StateCodec.write(m.state(), out);
    } else if (o instanceof Aggregator.Resume m) {
      out.writeVarInt(m.round()).writeLong(m.token()).writeLong(m.session()).writeString(ref(m.replyTo()));
      ModelCodec.writeModel(m.global(), out);
      writeRounds(m.held(), out);
      StateCodec.write(m.state(), out);
    } else {
      throw new IllegalArgumentException("WireSerializer cannot serialize " + o.getClass().getName());
    }
  }

  /** The order's own fields followed by its model's encoding, encoded only if it is not the last one written. */
  private byte[] trainRound(Client.TrainRound m) {
    byte[] head = new WireWriter(64).writeVarInt(m.round()).writeString(ref(m.replyTo())).writeLong(m.secret()).toByteArray();
    EncodedDownlink cached = lastDownlink;
    if (cached.payload() != m.model()) {
      cached = new EncodedDownlink(m.model(), WireWriter.written(out -> PayloadCodec.encode(m.model(), out)));
      lastDownlink = cached;
    }
    byte[] message = Arrays.copyOf(head, head.length + cached.bytes().length);
    System.arraycopy(cached.bytes(), 0, message, head.length, cached.bytes().length);
    return message;
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    // Bounded by the model this node expects, which may be registered after this serializer is made.
    WireReader in = new WireReader(bytes, ExpectedModel.limits(system));
    try {
      Object message = switch (manifest) {
        case TRAIN_ROUND -> readTrainRound(in);
        case TRAINED -> readTrained(in);
        case ROUND_PREPARED -> readRoundPrepared(in);
        case FOLD -> readFold(in);
        case ROUND_AGGREGATED -> readRoundAggregated(in);
        case RESUME -> readResume(in);
        default -> throw new NotSerializableException("unknown CSFL wire manifest '" + manifest + "' (a newer or older node?)");
      };
      in.requireEnd(manifest);
      return message;
    } catch (IllegalArgumentException e) {
      NotSerializableException n = new NotSerializableException(manifest + ": " + e.getMessage());
      n.initCause(e);
      throw n;
    }
  }

  private Client.TrainRound readTrainRound(WireReader in) {
    int round = in.readVarInt("round");
    ActorRef<Client.Reply> replyTo = resolve(in.readString("replyTo", MAX_ID_BYTES));
    long secret = in.readLong("secret");
    return new Client.TrainRound(round, PayloadCodec.decode(in), secret, replyTo);
  }

  private static Client.Trained readTrained(WireReader in) {
    int round = in.readVarInt("round");
    String clientId = in.readString("client id", MAX_ID_BYTES);
    long secret = in.readLong("secret");
    int examples = in.readVarInt("examples");
    double loss = Double.longBitsToDouble(in.readLong("loss"));
    long trainMillis = in.readLong("train ms");
    long overheadMillis = in.readLong("overhead ms");
    return new Client.Trained(round, clientId, secret, examples, PayloadCodec.decode(in), loss, trainMillis, overheadMillis);
  }

  private static Aggregator.Fold readFold(WireReader in) {
    int round = in.readVarInt("round");
    long token = in.readLong("token");
    String clientId = in.readString("client id", MAX_ID_BYTES);
    int examples = in.readVarInt("examples");
    return new Aggregator.Fold(round, token, clientId, examples, PayloadCodec.decode(in));
  }

  private Aggregator.Resume readResume(WireReader in) {
    int round = in.readVarInt("round");
    long token = in.readLong("token");
    long session = in.readLong("session");
    ActorRef<Aggregator.Reply> replyTo = resolve(in.readString("replyTo", MAX_ID_BYTES));
    Model global = ModelCodec.readModel(in);
    List<Integer> held = readRounds(in);
    return new Aggregator.Resume(round, token, session, global, held, replyTo, StateCodec.read(in));
  }

  private static Aggregator.RoundPrepared readRoundPrepared(WireReader in) {
    int round = in.readVarInt("round");
    long token = in.readLong("token");
    long key = in.readLong("key");
    Payload downlink = PayloadCodec.decode(in);
    int n = in.readCount("held-model downlink count", MAX_ROUNDS);
    Map<Integer, Payload> fromHeld = new HashMap<>();
    for (int i = 0; i < n; i++) {
      int held = in.readVarInt("held round");
      if (fromHeld.put(held, PayloadCodec.decode(in)) != null) {
        throw new IllegalArgumentException("two downlinks for clients holding the model of round " + held);
      }
    }
    return new Aggregator.RoundPrepared(round, token, key, downlink, fromHeld);
  }

  private static void writeRounds(List<Integer> rounds, WireWriter out) {
    out.writeVarInt(rounds.size());
    rounds.forEach(out::writeVarInt);
  }

  private static List<Integer> readRounds(WireReader in) {
    int n = in.readCount("round count", MAX_ROUNDS);
    List<Integer> rounds = new ArrayList<>(Math.min(n, 64));
    for (int i = 0; i < n; i++) {
      rounds.add(in.readVarInt("round"));
    }
    return rounds;
  }

  private Aggregator.RoundAggregated readRoundAggregated(WireReader in) {
    int round = in.readVarInt("round");
    long token = in.readLong("token");
    int accepted = in.readVarInt("accepted");
    long serverMillis = in.readLong("server ms");
    int n = in.readCount("rejection count", Refusals.NAMED + 1);
    List<String> rejections = new ArrayList<>(Math.min(n, 64));
    for (int i = 0; i < n; i++) {
      rejections.add(in.readString("rejection", MAX_ID_BYTES));
    }
    Model global = ModelCodec.readModel(in);
    return new Aggregator.RoundAggregated(round, token, accepted, rejections, global, serverMillis, StateCodec.read(in));
  }

  private String ref(ActorRef<?> ref) {
    return resolver.toSerializationFormat(ref);
  }

  private <T> ActorRef<T> resolve(String path) {
    return resolver.resolveActorRef(path);
  }
}
