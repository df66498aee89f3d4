package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The optimisers' state below {@link Moments#TINY} is stored as zero (Adam's in AdamTest). */
class MomentsTest {
  /** SGD's velocity goes through the same flush: below 2^-100 it is zero, above it is kept. */
  @Test
  void sgdVelocityBelowTheFlushIsZero() {
    float[][] p = {new float[2]};
    float[][] g = {{1e-27f, 1e-33f}};
    OptimizerConfig.sgd(0.01, 0.9).create().step(p, g);
    assertEquals(-1e-29f, p[0][0], 1e-35f, "a velocity of -1e-29 is kept");
    assertEquals(0f, p[0][1], "a velocity of -1e-35 is flushed");
  }
}
