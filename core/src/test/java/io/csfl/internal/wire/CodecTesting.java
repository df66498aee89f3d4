package io.csfl.internal.wire;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.csfl.codec.MalformedWireException;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Function;

/** What the tests of a codec do to each encoding: write it, read it back whole, cut it short. */
final class CodecTesting {
  private CodecTesting() {}

  /** The bytes {@code write} appends to an empty writer. */
  static byte[] written(Consumer<WireWriter> write) {
    WireWriter out = new WireWriter(64);
    write.accept(out);
    return out.toByteArray();
  }

  /** What {@code read} makes of {@code bytes} within {@code limits}, which must leave no byte unread. */
  static <T> T readWhole(byte[] bytes, WireLimits limits, Function<WireReader, T> read) {
    WireReader in = new WireReader(bytes, limits);
    T value = read.apply(in);
    in.requireEnd("the encoding");
    return value;
  }

  /** Every proper prefix of {@code full} fails in {@code decode} with MalformedWireException. */
  static void assertEveryTruncationFails(byte[] full, Consumer<byte[]> decode) {
    for (int n = 0; n < full.length; n++) {
      byte[] cut = Arrays.copyOf(full, n);
      assertThrows(MalformedWireException.class, () -> decode.accept(cut), "truncated to " + n + " bytes");
    }
  }
}
