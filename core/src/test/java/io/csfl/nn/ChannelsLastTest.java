package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The permutation to channels-last and back, with several channels and with one (a plain copy). */
class ChannelsLastTest {
  @Test
  void movesEachChannelValueNextToItsPixelAndBack() {
    // Two images of 3 channels x 1 x 2 pixels: channel c, pixel p of image s holds 100s + 10c + p.
    float[] first = {0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121};
    float[] last = {0, 10, 20, 1, 11, 21, 100, 110, 120, 101, 111, 121};
    ChannelsLast layer = new ChannelsLast(3, 1, 2);
    float[] out = new float[first.length];
    layer.forward(first, out, 2);
    assertArrayEquals(last, out);
    float[] back = new float[first.length];
    layer.backward(first, out, last, back, 2);
    assertArrayEquals(first, back);
  }

  @Test
  void oneChannelIsCopiedAsItIs() {
    float[] image = {1, 2, 3, 4, 5, 6, 7, 8};
    ChannelsLast layer = new ChannelsLast(1, 2, 2);
    float[] out = new float[image.length];
    layer.forward(image, out, 2);
    assertArrayEquals(image, out);
    float[] back = new float[image.length];
    layer.backward(image, out, out, back, 2);
    assertArrayEquals(image, back);
  }
}
