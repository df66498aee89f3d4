package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.serialization.Serializer;
import akka.serialization.Serializers;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.MalformedWireException;
import io.csfl.internal.actor.JacksonLimits;
import io.csfl.internal.transfer.Chunk;
import io.csfl.internal.transfer.TransferFailed;
import io.csfl.internal.wire.Hostile;
import io.csfl.internal.wire.WireLimits;
import io.csfl.internal.wire.WireWriter;
import io.csfl.tensor.Model;
import io.csfl.tensor.Values;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.Example;
import scala.util.Try;

/**
 * Hostile bytes through the serializers a node runs them through: CSFL's {@link WireSerializer}
 * (bounded by the registered model), the chunk serializer, and Akka's jackson-cbor for control
 * and transfer messages (bounded by {@link JacksonLimits}). Each input decodes to a message or
 * fails with the serializer's exception ({@link NotSerializableException} for CSFL's own, an
 * {@link IOException} or {@link IllegalArgumentException} from Jackson); none allocates more
 * than a bound of its size and the expected model.
 */
class WireDecodingPropertiesTest {
  private static final WireLimits LIMITS = WireLimits.of(Hostile.SPEC);
  private static ActorTestKit kit;
  private static Serialization serialization;
  private static WireSerializer wire;
  private static ActorRef<Object> someone;

  @BeforeContainer
  static void start() throws Exception {
    kit = ActorTestKit.create();
    ExpectedModel.register(kit.system(), Hostile.SPEC);
    serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    wire = (WireSerializer) serialization.serializerFor(Client.TrainRound.class);
    someone = kit.createTestProbe().ref();
    Random rng = new Random(1);
    for (int i = 0; i < POOL; i++) {
      for (int kind = 0; kind < WIRE_KINDS; kind++) {
        validWire[kind][i] = validWire(kind, rng);
      }
      for (int kind = 0; kind < CONTROL_KINDS; kind++) {
        validControl[kind][i] = validControl(kind, rng);
        validControlBytes[kind][i] = serialization.serialize(validControl[kind][i]).get();
      }
    }
    // Warm up: lazy initialisation is not the decoder's allocation.
    for (int i = 0; i < 200; i++) {
      wireInput(i % WIRE_KINDS, rng, false);
      controlInput(i % CONTROL_KINDS, rng, false);
    }
  }

  @AfterContainer
  static void stop() {
    ActorTestKit.shutdown(kit.system());
  }

  /** A model whose tensors are dense, pruned or all zeros, so that both of a tensor's forms are damaged. */
  private static Model model(Random rng) {
    List<Values> tensors = new ArrayList<>();
    for (var t : Hostile.SPEC.tensors()) {
      float[] v = new float[t.size()];
      double density = new double[] {1, 0.5, 0.1, 0}[rng.nextInt(4)];
      for (int i = 0; i < v.length; i++) {
        v[i] = rng.nextDouble() < density ? (float) rng.nextGaussian() : 0;
      }
      tensors.add(Values.copyOf(v));
    }
    return Model.of(Hostile.SPEC, tensors);
  }

  /** A strategy state with a mask (a byte per position, travelling as bits) among other tensors. */
  private static TensorFile state(Random rng) {
    byte[] kept = new byte[Hostile.SPEC.tensor(0).size()];
    for (int i = 0; i < kept.length; i++) {
      kept[i] = (byte) rng.nextInt(2);
    }
    return TensorFile.EMPTY.withF32("held/1/values/b", new long[] {2}, new float[] {1, -2}).withBytes("mask/w", kept)
        .withBytes("codes", new byte[] {2, 0, 1});
  }

  private static final int WIRE_KINDS = 6;
  private static final int CONTROL_KINDS = 6;
  /** Valid messages of each kind to damage, made once: the tries spend their time decoding. */
  private static final int POOL = 32;
  private static final Object[][][] validWire = new Object[WIRE_KINDS][POOL][];
  private static final Object[][] validControl = new Object[CONTROL_KINDS][POOL];
  private static final byte[][][] validControlBytes = new byte[CONTROL_KINDS][POOL][];
  private static final byte[] EMPTY = Hostile.emptyMaskCode();

  /** A valid message of kind {@code kind} for the expected model, its manifest and bytes. */
  private static Object[] validWire(int kind, Random rng) {
    if (kind == 5) {
      // Fold, written field by field: round, token, client id, examples, payload.
      WireWriter w = new WireWriter(256).writeVarInt(rng.nextInt(100)).writeLong(rng.nextLong()).writeString("client-" + rng.nextInt(10)).writeVarInt(rng.nextInt(600));
      byte[] payload = Hostile.encode(Hostile.payload(rng));
      w.writeBytes(payload, 0, payload.length);
      return new Object[] {WireSerializer.FOLD, w.toByteArray()};
    }
    Object message = switch (kind) {
      case 0 -> new Client.TrainRound(rng.nextInt(100), Hostile.payload(rng), rng.nextLong(), someone.unsafeUpcast());
      case 1 -> new Client.Trained(rng.nextInt(100), "client-1", rng.nextLong(), 60, Hostile.payload(rng), 0.5, 10, 2);
      case 2 -> new Aggregator.RoundPrepared(rng.nextInt(100), rng.nextLong(), Hostile.payload(rng), Map.of(1, Hostile.payload(rng)));
      case 3 -> new Aggregator.RoundAggregated(rng.nextInt(100), rng.nextLong(), 3, List.of("late"), model(rng), 12, state(rng));
      default -> new Aggregator.Resume(rng.nextInt(100), rng.nextLong(), rng.nextLong(), model(rng), List.of(1, 2), someone.unsafeUpcast(), state(rng));
    };
    return new Object[] {wire.manifest(message), wire.toBinary(message)};
  }

  /** Decodes a hostile input of kind {@code kind}; when {@code bounded}, checks the allocation it took. */
  private static void wireInput(int kind, Random rng, boolean bounded) {
    Object[] valid = validWire[kind][rng.nextInt(POOL)];
    String manifest = (String) valid[0];
    byte[] input = rng.nextInt(8) == 0 ? Hostile.emptyMaskBomb(1 + rng.nextInt(300), 1 << 28, EMPTY) : Hostile.mutate((byte[]) valid[1], rng);
    long before = Hostile.allocatedBytes();
    try {
      Object decoded = wire.fromBinary(input, manifest);
      assertEquals(manifest, wire.manifest(decoded));
    } catch (NotSerializableException refused) {
      assertTrue(refused.getMessage().startsWith(manifest), refused.getMessage());
    }
    long allocated = Hostile.allocatedBytes() - before;
    assertTrue(!bounded || allocated <= Hostile.allocationBound(input.length, LIMITS), allocated + " bytes allocated for " + input.length + " bytes of " + manifest);
  }

  @Property(tries = 20_000)
  void wireMessagesDecodeBoundedOrFailWithTheSerializersError(@ForAll @IntRange(min = 0, max = WIRE_KINDS - 1) int kind, @ForAll long seed) {
    wireInput(kind, new Random(seed), true);
  }

  private static Object validControl(int kind, Random rng) {
    return switch (kind) {
      case 0 -> new Client.Failed(rng.nextInt(100), "client-" + rng.nextInt(100), rng.nextLong(), "out of memory in the phone's trainer");
      case 1 -> new Aggregator.PrepareRound(rng.nextInt(100), rng.nextLong(), rng.nextLong(), List.of(rng.nextInt(50), 3, 4), someone.unsafeUpcast());
      case 2 -> new RoundReport(rng.nextInt(100), 1, rng.nextLong(), 4, 3, 1, 0, 0, 0, List.of("stale"), 1000, 2000, 10, 2,
          List.of("a", "b", "c", "d"), List.of("a", "b", "c"), List.of("d"), List.of(), rng.nextBoolean());
      case 3 -> new TransferFailed("akka://x@127.0.0.1:26100/user/y", "Fold", 1 << 20, "refused");
      case 4 -> new Client.Description("client-" + rng.nextInt(100), "random/64 fixture", 1 + rng.nextInt(1000), someone.unsafeUpcast());
      default -> new Chunk(rng.nextLong(), rng.nextInt(1000), new byte[rng.nextInt(64)]);
    };
  }

  /** CBOR heads announcing 2^40 bytes of text or binary, or 2^40 elements: what a forger puts before a few bytes. */
  private static final byte[][] HUGE_HEADS = {
      {0x7b, 0, 0, 1, 0, 0, 0, 0, 0}, {0x5b, 0, 0, 1, 0, 0, 0, 0, 0}, {(byte) 0x9b, 0, 0, 1, 0, 0, 0, 0, 0},
      {(byte) 0xbb, 0, 0, 1, 0, 0, 0, 0, 0}, {0x7a, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}};

  private static void controlInput(int kind, Random rng, boolean bounded) {
    int pick = rng.nextInt(POOL);
    Object message = validControl[kind][pick];
    Serializer serializer = serialization.findSerializerFor(message);
    String manifest = Serializers.manifestFor(serializer, message);
    byte[] valid = validControlBytes[kind][pick];
    byte[] input;
    if (rng.nextInt(4) == 0) {
      byte[] head = HUGE_HEADS[rng.nextInt(HUGE_HEADS.length)];
      int at = rng.nextInt(valid.length);
      input = new byte[valid.length + head.length];
      System.arraycopy(valid, 0, input, 0, at);
      System.arraycopy(head, 0, input, at, head.length);
      System.arraycopy(valid, at, input, at + head.length, valid.length - at);
    } else {
      input = Hostile.mutate(valid, rng);
    }
    long before = Hostile.allocatedBytes();
    // As Akka's remoting does it: with the system at hand to resolve actor references.
    Try<Object> decoded = serialization.deserialize(input, serializer.identifier(), manifest);
    if (decoded.isSuccess()) {
      assertInstanceOf(message.getClass(), decoded.get());
    } else {
      // Jackson's JsonProcessingException (an IOException), or Akka's and the records' own checks.
      Throwable refused = decoded.failed().get();
      assertTrue(refused instanceof IOException || refused instanceof IllegalArgumentException, refused::toString);
    }
    long allocated = Hostile.allocatedBytes() - before;
    assertTrue(!bounded || allocated <= Hostile.allocationBound(input.length, LIMITS), allocated + " bytes allocated for " + input.length + " bytes of " + manifest);
  }

  @Property(tries = 20_000)
  void controlMessagesAndChunksDecodeBoundedOrFailWithTheSerializersError(@ForAll @IntRange(min = 0, max = CONTROL_KINDS - 1) int kind,
                                                                         @ForAll long seed) {
    controlInput(kind, new Random(seed), true);
  }

  private static Try<Object> deserialize(Object like, byte[] bytes) {
    Serializer serializer = serialization.findSerializerFor(like);
    return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, like));
  }

  private static byte[] cbor(IOConsumer<CBORGenerator> body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (CBORGenerator g = new CBORFactory().createGenerator(out)) {
      body.accept(g);
    }
    return out.toByteArray();
  }

  private interface IOConsumer<T> {
    void accept(T t) throws IOException;
  }

  @Example
  void aControlMessageStringBeyondTheLimitIsRefused() throws IOException {
    Client.Failed like = new Client.Failed(1, "c", 2, "r");
    String reason = String.join("", Collections.nCopies(JacksonLimits.MAX_STRING_CHARS + 1, "x"));
    byte[] bytes = cbor(g -> {
      g.writeStartObject();
      g.writeNumberField("round", 1);
      g.writeStringField("clientId", "c");
      g.writeNumberField("secret", 2);
      g.writeStringField("reason", reason);
      g.writeEndObject();
    });
    Try<Object> result = deserialize(like, bytes);
    assertTrue(result.isFailure(), "a " + reason.length() + "-character reason was accepted");
    assertTrue(String.valueOf(result.failed().get().getMessage()).contains("String value length"), result.failed().get().getMessage());
    // The same message one character shorter is fine: the bound is the limit's, not an accident.
    byte[] fits = cbor(g -> {
      g.writeStartObject();
      g.writeNumberField("round", 1);
      g.writeStringField("clientId", "c");
      g.writeNumberField("secret", 2);
      g.writeStringField("reason", reason.substring(1));
      g.writeEndObject();
    });
    assertTrue(deserialize(like, fits).isSuccess(), () -> deserialize(like, fits).failed().get().toString());
  }

  @Example
  void aControlMessageListBeyondItsBoundIsRefused() throws IOException {
    Aggregator.PrepareRound like = new Aggregator.PrepareRound(1, 7L, 9L, List.of(), someone.unsafeUpcast());
    String replyTo = akka.actor.typed.ActorRefResolver.get(kit.system()).toSerializationFormat(someone);
    byte[] bytes = cbor(g -> {
      g.writeStartObject();
      g.writeNumberField("round", 1);
      g.writeNumberField("token", 7L);
      g.writeNumberField("session", 9L);
      g.writeArrayFieldStart("held");
      for (int i = 0; i <= 70_000; i++) {
        g.writeNumber(i);
      }
      g.writeEndArray();
      g.writeStringField("replyTo", replyTo);
      g.writeEndObject();
    });
    Try<Object> result = deserialize(like, bytes);
    assertTrue(result.isFailure() && String.valueOf(result.failed().get().getMessage()).contains("at most"), result.toString());
  }

  @Example
  void theLargestControlMessagesFitTheLimits() {
    // A prepare naming as many held rounds as a list may hold, and a full page of client descriptions.
    List<Integer> held = new ArrayList<>();
    for (int r = 0; r < Bounded.MAX_ENTRIES; r++) {
      held.add(r);
    }
    Aggregator.PrepareRound prepare = new Aggregator.PrepareRound(1, 7L, 9L, held, someone.unsafeUpcast());
    List<Client.Description> page = new ArrayList<>();
    for (int i = 0; i < Client.MAX_BATCH; i++) {
      page.add(new Client.Description(String.format("client-%06d", i), "x".repeat(64), 600, someone.unsafeUpcast()));
    }
    Client.Descriptions descriptions = new Client.Descriptions(0, 100_000, page);
    for (Object largest : List.of(prepare, descriptions)) {
      byte[] bytes = serialization.serialize(largest).get();
      assertTrue(bytes.length < JacksonLimits.MAX_DOCUMENT_BYTES, bytes.length + " bytes");
      assertEquals(largest, deserialize(largest, bytes).get());
    }
  }

  @Example
  void deepNestingIsRefused() {
    byte[] nested = new byte[5000];
    java.util.Arrays.fill(nested, (byte) 0x81);
    Try<Object> result = deserialize(new Client.Failed(1, "c", 2, "r"), nested);
    assertTrue(result.isFailure(), result.toString());
  }

  @Example
  void aFoldOfHugeMasksIsRefusedByTheRegisteredModel() {
    WireWriter w = new WireWriter(4096).writeVarInt(1).writeLong(0x5eedL).writeString("client-0001").writeVarInt(60);
    Hostile.writeEmptyMaskBomb(w, 300, 1 << 28, Hostile.emptyMaskCode());
    byte[] bomb = w.toByteArray();
    NotSerializableException e = assertThrows(NotSerializableException.class, () -> wire.fromBinary(bomb, WireSerializer.FOLD));
    assertInstanceOf(MalformedWireException.class, e.getCause());
    assertTrue(e.getMessage().contains("at most " + Hostile.SPEC.tensor(0).size()), e.getMessage());
  }
}
