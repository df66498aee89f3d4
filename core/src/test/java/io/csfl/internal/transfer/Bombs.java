package io.csfl.internal.transfer;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.serialization.SerializationExtension;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.ExpectedModel;
import io.csfl.codec.MalformedWireException;
import io.csfl.internal.wire.Hostile;
import io.csfl.internal.wire.MaskCoder;
import io.csfl.internal.wire.PayloadCodec;
import io.csfl.internal.wire.WireReader;
import io.csfl.internal.wire.WireWriter;
import io.csfl.nn.Architecture;
import io.csfl.tensor.Mask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import scala.util.Try;

/**
 * Run in a JVM of a small heap by {@link DecodingBombsTest}: sends a node the inputs that once
 * made it run out of memory, built with the real encoder, and prints how each ended. Exits 0 when
 * every one was refused with the decoder's or the courier's own error.
 */
public final class Bombs {
  private Bombs() {}

  public static void main(String[] args) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bombs",
        ConfigFactory.parseString("csfl.transfer.ack-timeout = 2s").withFallback(ConfigFactory.load()));
    boolean allRefused;
    try {
      // A server/aggregator node registers the model it trains, as the csfl command does.
      ExpectedModel.register(system, Architecture.cnn().spec());
      // The attacker's all-zero mask of 2^28 positions, coded by the real encoder: four bytes.
      WireWriter code = new WireWriter(16);
      MaskCoder.encode(Mask.fromPositions(1 << 28, new int[0]), code);
      byte[] emptyMask = code.toByteArray();

      WireWriter fold = new WireWriter(4096).writeVarInt(1).writeLong(0x5eedL).writeString("client-0001").writeVarInt(60);
      Hostile.writeEmptyMaskBomb(fold, 300, 1 << 28, emptyMask);
      Try<Object> folded = SerializationExtension.get(Adapter.toClassic(system)).deserialize(fold.toByteArray(), 7263001, "Fold/2");
      System.out.println("fold of " + fold.size() + " bytes: " + (folded.isFailure() ? "refused: " + folded.failed().get() : "decoded"));
      allRefused = folded.isFailure() && folded.failed().get() instanceof java.io.NotSerializableException;

      byte[] payload = Hostile.emptyMaskBomb(100, 1 << 28, emptyMask);
      try {
        PayloadCodec.decode(new WireReader(payload));
        System.out.println("payload of " + payload.length + " bytes: decoded");
        allRefused = false;
      } catch (MalformedWireException e) {
        System.out.println("payload of " + payload.length + " bytes: refused: " + e.getMessage());
      }

      allRefused &= announce(system, 12, 512 << 20);
      allRefused &= compressedControlMessages(system);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    System.exit(allRefused ? 0 : 1);
  }

  /**
   * Control messages compressed as Akka's Jackson serializers would read them, whatever their
   * settings: a 12-byte LZ4 header announcing 2 GiB, and a gzip stream that inflates to 256 MiB,
   * each under the identifier of CSFL's control serializer and of each of Akka's Jackson
   * serializers (31, 32, 33), with a CSFL message's class as manifest. True when every one is
   * refused with a serializer's error.
   */
  private static boolean compressedControlMessages(ActorSystem<Void> system) throws java.io.IOException {
    akka.serialization.Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    byte[] lz4 = {(byte) 0x87, (byte) 0xd9, 0x6d, (byte) 0xf6, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0};
    java.io.ByteArrayOutputStream packed = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(packed)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 256; i++) {
        gzip.write(zeros);
      }
    }
    int control = serialization.serializerFor(io.csfl.actor.Client.Describe.class).identifier();
    boolean allRefused = true;
    for (byte[] bomb : java.util.List.of(lz4, packed.toByteArray())) {
      for (int id : new int[] {control, 31, 32, 33}) {
        Try<Object> decoded = serialization.deserialize(bomb, id, io.csfl.actor.Client.Describe.class.getName());
        System.out.println("compressed control message of " + bomb.length + " bytes, serializer " + id + ": "
            + (decoded.isFailure() ? "refused: " + decoded.failed().get() : "decoded"));
        allRefused &= decoded.isFailure();
      }
    }
    return allRefused;
  }

  /** {@code count} announcements of {@code bytes} each to the node's courier; true when every one ends refused. */
  private static boolean announce(ActorSystem<Void> system, int count, int bytes) throws InterruptedException {
    Transfers.get(system);
    ActorRef<Courier.Command> courier = ActorRefResolver.get(system).resolveActorRef(system.address() + "/system/" + Transfers.COURIER);
    LinkedBlockingQueue<Outbound.Command> replies = new LinkedBlockingQueue<>();
    ActorRef<Outbound.Command> attacker = system.systemActorOf(Behaviors.receiveMessage(m -> {
      replies.add(m);
      return Behaviors.same();
    }), "attacker", Props.empty());
    for (int i = 0; i < count; i++) {
      courier.tell(new Courier.Open(1000 + i, "akka://bombs/user/nobody", 4, "", bytes, bytes / (128 << 10), attacker));
    }
    int refused = 0;
    int accepted = 0;
    // Refusals come at once; an accepted transfer that sends nothing is refused after the ack timeout.
    while (refused < count) {
      Outbound.Command reply = replies.poll(30, TimeUnit.SECONDS);
      if (reply == null) {
        break;
      }
      if (reply instanceof Outbound.Refused r) {
        refused++;
        System.out.println("announcement refused: " + r.reason());
      } else if (reply instanceof Outbound.Accepted) {
        accepted++;
      }
    }
    System.out.println(refused + " of " + count + " announcements of " + bytes + " bytes refused (" + accepted + " accepted first)");
    return refused == count;
  }
}
