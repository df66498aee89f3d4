package io.csfl.internal.actor;

import akka.actor.ExtendedActorSystem;
import akka.serialization.SerializerWithStringManifest;
import akka.serialization.jackson.JacksonCborSerializer;
import io.csfl.internal.transfer.TransferMessage;
import java.io.NotSerializableException;

/**
 * CSFL's {@link ControlMessage}s and transfer messages as CBOR, through Akka's Jackson serializer,
 * which reads what it is given only once this serializer has checked two things Akka's does not
 * check first.
 *
 * <ul>
 *   <li><b>The class.</b> The manifest must name a control or transfer message. Akka's Jackson
 *       serializer would read any class bound to it or under an allowed prefix, so a member could
 *       have a node decode, say, a server's event addressed to its metrics sink.</li>
 *   <li><b>No compression.</b> Akka's Jackson serializer inflates a gzip or LZ4 body before it
 *       reads it, whatever its own settings say, and allocates what the body announces: twelve
 *       bytes announcing 2 GiB ended a node with OutOfMemoryError before any of
 *       {@link JacksonLimits}' bounds applied. CSFL never compresses a control message (its
 *       binding has compression off), so a compressed body is refused.</li>
 * </ul>
 *
 * <p>Akka's own Jackson serializers (identifiers 31, 32 and 33) stay registered, but they refuse
 * every CSFL class: a class is theirs to read only when it is bound to a Jackson serializer, and
 * this one is not one. The binding's settings, under {@code akka.serialization.jackson.csfl-control},
 * also make a missing or null field of a message an error rather than a null.
 */
public final class ControlSerializer extends SerializerWithStringManifest {
  /** The name of the Jackson binding whose settings this serializer reads. */
  static final String BINDING = "csfl-control";

  private final ExtendedActorSystem system;
  private final JacksonCborSerializer jackson;

  /** Called by Akka, which instantiates the serializer named in the configuration. */
  public ControlSerializer(ExtendedActorSystem system) {
    this.system = system;
    this.jackson = new JacksonCborSerializer(system, BINDING);
  }

  @Override
  public int identifier() {
    return 7263003;
  }

  @Override
  public String manifest(Object o) {
    return jackson.manifest(o);
  }

  @Override
  public byte[] toBinary(Object o) {
    return jackson.toBinary(o);
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    Class<?> type = messageClass(manifest);
    if (!ControlMessage.class.isAssignableFrom(type) && !TransferMessage.class.isAssignableFrom(type)) {
      throw new NotSerializableException("csfl-control: " + type.getName() + " is not a control or transfer message");
    }
    if (compressed(bytes)) {
      throw new NotSerializableException("csfl-control: a compressed body (gzip or LZ4) for " + type.getName()
          + "; control messages are never compressed");
    }
    return jackson.fromBinary(bytes, manifest);
  }

  /** The class a manifest names (Akka's Jackson manifests are a class name, with an optional {@code #version}), not initialized. */
  private Class<?> messageClass(String manifest) throws NotSerializableException {
    int hash = manifest.lastIndexOf('#'); // as Akka's Jackson serializer reads it
    String name = hash < 0 ? manifest : manifest.substring(0, hash);
    try {
      return Class.forName(name, false, system.dynamicAccess().classLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new NotSerializableException("csfl-control: no message class " + name);
    }
  }

  /** Whether {@code bytes} start as Akka's Jackson serializer's gzip or LZ4 bodies do. */
  static boolean compressed(byte[] bytes) {
    boolean gzip = bytes.length >= 2 && bytes[0] == (byte) 0x1f && bytes[1] == (byte) 0x8b;
    boolean lz4 = bytes.length >= 4 && bytes[0] == (byte) 0x87 && bytes[1] == (byte) 0xd9 && bytes[2] == 0x6d && bytes[3] == (byte) 0xf6;
    return gzip || lz4;
  }
}
