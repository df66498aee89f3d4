package io.csfl.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/** Values copies what it is made from and checks it, whichever factory makes it. */
class ValuesTest {
  @Test
  void aBufferIsCopiedFromItsPositionToItsLimitAndAdvanced() {
    float[] backing = {9, 1, 2, 3, 9};
    FloatBuffer source = FloatBuffer.wrap(backing, 1, 3);
    Values v = Values.copyOf(source);
    assertArrayEquals(new float[] {1, 2, 3}, v.toArray());
    assertEquals(0, source.remaining());
    backing[2] = 7;
    assertEquals(2, v.get(1), "a later change to the source does not reach the values");
  }

  @Test
  void aBufferHoldingANonFiniteValueIsRefusedNamingIt() {
    NonFiniteValueException e = assertThrows(NonFiniteValueException.class,
        () -> Values.copyOf(FloatBuffer.wrap(new float[] {0, Float.NEGATIVE_INFINITY})));
    assertEquals("value 1 is not finite: -Infinity", e.getMessage());
    assertEquals(0, Values.copyOf(FloatBuffer.allocate(0)).length());
  }
}
