package io.csfl.actor;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;

/**
 * The number of bytes a message occupies on the wire: the length of what the serializer bound to
 * it (the one Artery uses between nodes) produces, plus its manifest. Measured by serializing the
 * actual message, never computed from a formula. Artery's own envelope (a few dozen bytes of
 * header per message) is not included.
 */
public final class WireSize {
  private WireSize() {}

  public static long of(ActorSystem<?> system, Object message) {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    byte[] bytes = serialization.serialize(message).get();
    String manifest = akka.serialization.Serializers.manifestFor(serialization.findSerializerFor(message), message);
    return bytes.length + manifest.length();
  }
}
