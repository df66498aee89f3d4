package io.csfl.internal.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import io.csfl.actor.Client;
import io.csfl.actor.Server;
import io.csfl.metrics.RoundMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.util.Try;

/** What the control serializer reads from another node, and what it refuses before Jackson sees it. */
class ControlSerializerTest {
  private static ActorTestKit kit;
  private static Serialization serialization;
  private static final int ID = 7263003;
  private static final String FAILED = Client.Failed.class.getName();

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create();
    serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private interface Body {
    void write(CBORGenerator g) throws IOException;
  }

  private static byte[] cbor(Body body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (CBORGenerator g = new CBORFactory().createGenerator(out)) {
      g.writeStartObject();
      body.write(g);
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static String refusal(byte[] bytes, String manifest) {
    Try<Object> result = serialization.deserialize(bytes, ID, manifest);
    assertTrue(result.isFailure(), () -> "decoded " + result.get());
    return String.valueOf(result.failed().get());
  }

  @Test
  void controlMessagesTravelThroughIt() {
    Client.Failed failed = new Client.Failed(3, "client-0001", 42L, "out of data");
    assertEquals(ID, serialization.findSerializerFor(failed).identifier());
    byte[] bytes = serialization.serialize(failed).get();
    assertEquals(failed, serialization.deserialize(bytes, ID, FAILED).get());
  }

  @Test
  void aCompressedBodyIsRefusedEvenWhenItHoldsAValidMessage() throws IOException {
    byte[] valid = serialization.serialize(new Client.Failed(3, "client-0001", 42L, "out of data")).get();
    ByteArrayOutputStream gzipped = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(gzipped)) {
      gzip.write(valid);
    }
    assertTrue(refusal(gzipped.toByteArray(), FAILED).contains("compressed body"));
    byte[] lz4 = {(byte) 0x87, (byte) 0xd9, 0x6d, (byte) 0xf6, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0};
    assertTrue(refusal(lz4, FAILED).contains("compressed body"));
  }

  @Test
  void aClassThatIsNotAControlMessageIsRefusedWhateverItsBytes() throws IOException {
    // A server's event, as a member would forge it for another node's metrics sink: well-formed CBOR.
    byte[] aborted = cbor(g -> {
      g.writeStringField("algorithm", "cs");
      g.writeNumberField("round", 1);
      g.writeStringField("reason", "forged");
    });
    assertTrue(refusal(aborted, Server.Aborted.class.getName()).contains("is not a control or transfer message"));
    assertTrue(refusal(aborted, RoundMetrics.class.getName()).contains("is not a control or transfer message"));
    assertTrue(refusal(aborted, "java.lang.ProcessBuilder").contains("is not a control or transfer message"));
    assertTrue(refusal(aborted, "no.such.Message").contains("no message class"));
  }

  @Test
  void aMissingOrNullFieldIsRefused() throws IOException {
    byte[] nullId = cbor(g -> {
      g.writeNumberField("round", 1);
      g.writeNullField("clientId");
      g.writeNumberField("secret", 2);
      g.writeStringField("reason", "r");
    });
    assertTrue(refusal(nullId, FAILED).contains("clientId"));
    byte[] noReason = cbor(g -> {
      g.writeNumberField("round", 1);
      g.writeStringField("clientId", "c");
      g.writeNumberField("secret", 2);
    });
    assertTrue(refusal(noReason, FAILED).contains("reason"));
  }

  @Test
  void akkasOwnJacksonSerializersReadNoCsflClass() {
    byte[] valid = serialization.serialize(new Client.Failed(3, "client-0001", 42L, "out of data")).get();
    for (int id : new int[] {31, 32, 33}) {
      Try<Object> result = serialization.deserialize(valid, id, FAILED);
      assertTrue(result.isFailure(), "serializer " + id + " decoded " + result);
      for (String manifest : List.of(Server.Aborted.class.getName())) {
        assertTrue(serialization.deserialize(valid, id, manifest).isFailure());
      }
    }
  }
}
