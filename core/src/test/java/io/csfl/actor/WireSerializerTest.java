package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.serialization.Serializers;
import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.Payload;
import io.csfl.codec.Precision;
import io.csfl.codec.TernarySection;
import io.csfl.checkpoint.TensorFile;
import io.csfl.internal.actor.ControlMessage;
import io.csfl.internal.transfer.Transfers;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Payloads;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Model;
import java.io.NotSerializableException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class WireSerializerTest {
  static final ActorTestKit testKit = TestModels.serializingTestKit();

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  private final Model model = TestModels.mlp().initialModel(3);
  private final Payload dense = Payloads.dense(model);

  private Object roundTrip(Object message) throws NotSerializableException {
    Serialization s = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    var serializer = s.findSerializerFor(message);
    assertTrue(serializer instanceof WireSerializer || message instanceof ControlMessage, serializer.getClass().getName());
    byte[] bytes = s.serialize(message).get();
    return s.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get();
  }

  /** One or more messages of every kind the serializer writes, and a few that go through Akka's. */
  private List<Object> messages() {
    TestProbe<Client.Reply> replies = testKit.createTestProbe();
    TestProbe<Aggregator.Reply> prepared = testKit.createTestProbe();
    Mask support = Mask.fromPositions(5, new int[] {1, 4});
    // A pruned model and a state with masks, a byte per position: the model travels sparse, the masks as bits.
    Model pruned = TestModels.mlp().initialModel(3);
    var kept = new MagnitudePruner().masks(pruned, 0.5);
    float[][] weights = new float[pruned.spec().tensorCount()][];
    TensorFile state = TensorFile.EMPTY.withMeta("note", "cs");
    for (int t = 0; t < weights.length; t++) {
      weights[t] = pruned.tensor(t).toArray();
      if (kept.mask(t).isPresent()) {
        byte[] bytes = new byte[weights[t].length];
        for (int i = 0; i < weights[t].length; i++) {
          bytes[i] = (byte) (kept.mask(t).get().get(i) ? 1 : 0);
          weights[t][i] = bytes[i] == 1 ? weights[t][i] : 0;
        }
        state = state.withBytes("mask/" + pruned.spec().tensor(t).name(), bytes);
      }
    }
    pruned = Model.copyOf(pruned.spec(), weights);
    Payload ternaryDelta = new Payload(List.of(new TernarySection(0, support, Mask.fromPositions(2, new int[] {1}), 0.5f)),
        Precision.FP32, 2);
    Payload masked = Payloads.sparse(model, Optional.of(new MagnitudePruner().masks(model, 0.5)), Precision.FP32);
    TensorFile momentum = TensorFile.EMPTY.withF32("momentum", new long[] {2, 2}, new float[] {1, 2, 3, 4}).withMeta("round", "4");
    return List.of(
        new Client.TrainRound(4, dense, Long.MIN_VALUE, replies.getRef()),
        new Client.Trained(4, "client-7", -2L, 120, dense, 0.25, 1500, 12),
        new Client.Failed(4, "client-7", Long.MAX_VALUE, "boom"),
        new Aggregator.RoundPrepared(4, -3L, dense, Map.of()),
        new Aggregator.RoundPrepared(4, -3L, 0x7EE7L, dense, Map.of(2, ternaryDelta, 1, dense)),
        new Aggregator.Resume(4, Long.MIN_VALUE, 0x5E55L, model, List.of(1, 2), prepared.getRef()),
        new Aggregator.Fold(4, Long.MAX_VALUE, "client-7", 120, dense),
        new Aggregator.RoundAggregated(4, 77L, 9, List.of("client-1: stale"), model, 31),
        new Aggregator.RoundAggregated(4, 77L, 9, List.of(), pruned, 31, state),
        new Aggregator.Resume(4, 1L, 2L, pruned, List.of(3), prepared.getRef(), state),
        new RoundReport(4, 1, 5L, 10, 8, 1, 0, 1, 0, List.of("client-3: duplicate"), 123, 456, 789, 10,
            List.of("client-3", "client-7"), List.of("client-7"), List.of("client-3"), List.of("client-9: out of memory"), false),
        new RoundReport(4, 2, 6L, 2, 0, 0, 0, 0, 0, List.of(), 99, 0, 0, 0, List.of("client-1", "client-2"), List.of(), List.of(),
            List.of(), true),
        new Client.Trained(4, "client-7", -2L, 120, masked, 0.25, 1500, 12),
        new Aggregator.RoundAggregated(4, 77L, 9, List.of("client-1: stale"), model, 31, momentum),
        new Aggregator.Resume(4, Long.MIN_VALUE, 0x5E55L, model, List.of(1, 2), prepared.getRef(), momentum));
  }

  @Test
  void everyTensorMessageRoundTrips() throws Exception {
    for (Object m : messages()) {
      assertEquals(m, roundTrip(m), m.getClass().getSimpleName());
    }
  }

  /**
   * A message serialized twice in a row (Transfers measures it, then Akka sends it) is encoded once;
   * an equal message of its own is encoded anew, to the same bytes, and the cache follows the last one.
   */
  @Test
  void theSameMessageSerializedTwiceInARowIsEncodedOnce() {
    WireSerializer serializer = new WireSerializer((akka.actor.ExtendedActorSystem) Adapter.toClassic(testKit.system()));
    Aggregator.Fold fold = new Aggregator.Fold(4, 7L, "client-7", 120, dense);
    byte[] first = serializer.toBinary(fold);
    assertSame(first, serializer.toBinary(fold), "the same object: the same bytes, not encoded again");
    Aggregator.Fold equal = new Aggregator.Fold(4, 7L, "client-7", 120, Payloads.dense(model));
    byte[] anew = serializer.toBinary(equal);
    assertNotSame(first, anew, "another object is encoded");
    assertArrayEquals(first, anew);
    Aggregator.Fold other = new Aggregator.Fold(5, 7L, "client-8", 60, dense);
    assertFalse(Arrays.equals(first, serializer.toBinary(other)));
    assertNotSame(first, serializer.toBinary(fold), "only the last message is kept");
  }

  /** The serializer encodes a payload once for the orders that follow each other with it: the bytes are as if encoded anew. */
  @Test
  void ordersThatShareADownlinkAreTheSameBytesButForTheirSecrets() throws NotSerializableException {
    WireSerializer serializer = new WireSerializer((akka.actor.ExtendedActorSystem) Adapter.toClassic(testKit.system()));
    ActorRef<Client.Reply> replyTo = testKit.<Client.Reply>createTestProbe().getRef();
    byte[] first = serializer.toBinary(new Client.TrainRound(2, dense, 1L, replyTo));
    byte[] second = serializer.toBinary(new Client.TrainRound(2, dense, -1L, replyTo));
    byte[] anew = serializer.toBinary(new Client.TrainRound(2, Payloads.dense(model), -1L, replyTo));
    assertArrayEquals(anew, second, "an order with an equal payload of its own encodes to the same bytes");
    assertEquals(first.length, second.length);
    int differing = 0;
    for (int i = 0; i < first.length; i++) {
      differing += first[i] != second[i] ? 1 : 0;
    }
    assertEquals(8, differing, "1 and -1 differ in all 8 bytes of the secret, and nothing else does");
    Client.TrainRound decoded = (Client.TrainRound) serializer.fromBinary(second, WireSerializer.TRAIN_ROUND);
    assertEquals(-1L, decoded.secret());
    assertEquals(dense, decoded.model());
  }

  @Test
  void malformedBytesFailWithTheManifestAndReason() {
    WireSerializer serializer = new WireSerializer((akka.actor.ExtendedActorSystem) Adapter.toClassic(testKit.system()));
    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> serializer.fromBinary(new byte[] {4, 1, 2}, WireSerializer.TRAINED));
    assertTrue(e.getMessage().startsWith(WireSerializer.TRAINED), e.getMessage());
    assertThrows(NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "Trained/99"));
  }

  @Test
  void aClientTrainsThroughRealSerialization() {
    TestProbe<Client.Reply> probe = testKit.createTestProbe();
    ActorRef<Client.Command> client = testKit.spawn(Client.create("c1", new FedAvg().newClient(),
        TestModels.trainer(), TestModels.dataset(), new int[] {0, 1, 2, 3, 4, 5}, 1), Client.DISPATCHER);
    client.tell(new Client.TrainRound(1, dense, 0x5EC7E7L, probe.getRef()));
    Client.Trained trained = probe.expectMessageClass(Client.Trained.class, Duration.ofSeconds(30));
    assertEquals("c1", trained.clientId());
    assertEquals(6, trained.examples());
    Model after = Payloads.toModel(trained.update(), model.spec());
    assertTrue(!after.equals(model), "training changed the weights");
    assertTrue(Transfers.get(testKit.system()).wireBytes(testKit.system().deadLetters(), trained) > 4 * model.spec().parameterCount(), "a dense update costs at least 4 bytes per parameter");
  }
}
