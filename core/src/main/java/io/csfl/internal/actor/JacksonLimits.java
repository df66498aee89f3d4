package io.csfl.internal.actor;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.Version;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import io.csfl.internal.transfer.TransferMessage;

/**
 * Bounds on what Akka's Jackson serializers read: CSFL's {@link ControlMessage}s and the transfer
 * protocol travel as jackson-cbor, and a small CBOR input could otherwise announce long strings or
 * deep nesting, or pack a million list elements into a chunked message.
 *
 * <p>Akka builds each serializer's ObjectMapper itself, for every ActorSystem, and registers the
 * modules listed in {@code akka.serialization.jackson.jackson-modules}. CSFL's reference.conf adds
 * this module there, so every mapper of every system that loads it (nodes, simulations and
 * embedding applications alike) reads with these {@link StreamReadConstraints}; nothing global
 * changes. A message beyond them fails to deserialize, and Akka drops it with a logged error.
 * So does a CBOR null where a CSFL message is expected: Jackson would otherwise return it.
 */
public final class JacksonLimits extends Module {
  /** Characters of one string: a client id, an actor path, a failure's reason. */
  public static final int MAX_STRING_CHARS = 256 * 1024;
  /** Tokens of one message: its values, field names and structure markers together (enforced by the JSON parser). */
  public static final long MAX_TOKENS = 1_000_000;
  /**
   * Bytes of one message. The CBOR parser does not count tokens, so this bounds how many list
   * elements a message can hold before its record's own check: at most 4 Mi, some 100 MiB of
   * boxed integers at worst, and only through a chunked transfer (Artery's frame bounds a direct
   * message to 256 KiB). The largest control messages (a prepare naming 65,536 held rounds, a page of
   * 200 client descriptions) fit.
   */
  public static final long MAX_DOCUMENT_BYTES = 4L << 20;

  static final StreamReadConstraints CONSTRAINTS = StreamReadConstraints.builder()
      .maxStringLength(MAX_STRING_CHARS)
      .maxNameLength(1024)
      .maxNestingDepth(64)
      .maxNumberLength(1000)
      .maxDocumentLength(MAX_DOCUMENT_BYTES)
      .maxTokenCount(MAX_TOKENS)
      .build();

  @Override
  public String getModuleName() {
    return "csfl-limits";
  }

  @Override
  public Version version() {
    return Version.unknownVersion();
  }

  @Override
  public void setupModule(SetupContext context) {
    if (context.getOwner() instanceof ObjectMapper mapper) {
      mapper.getFactory().setStreamReadConstraints(CONSTRAINTS);
    }
    context.addBeanDeserializerModifier(new BeanDeserializerModifier() {
      @Override
      public JsonDeserializer<?> modifyDeserializer(DeserializationConfig config, BeanDescription bean, JsonDeserializer<?> deserializer) {
        Class<?> type = bean.getBeanClass();
        boolean message = ControlMessage.class.isAssignableFrom(type) || TransferMessage.class.isAssignableFrom(type);
        return message ? new NeverNull(deserializer) : deserializer;
      }
    });
  }

  /** A CSFL message's deserializer that refuses a null in its place. */
  private static final class NeverNull extends DelegatingDeserializer {
    NeverNull(JsonDeserializer<?> delegate) {
      super(delegate);
    }

    @Override
    protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> delegate) {
      return new NeverNull(delegate);
    }

    @Override
    public Object getNullValue(DeserializationContext context) throws JsonMappingException {
      throw JsonMappingException.from(context, "null where a " + handledType().getName() + " was expected");
    }
  }
}
