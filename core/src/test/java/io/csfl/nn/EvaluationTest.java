package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** An evaluation is checked when made: what a checkpoint could not hold is refused there. */
class EvaluationTest {
  @Test
  void refusesAnAccuracyOutsideZeroToOneAndANegativeCount() {
    for (double accuracy : new double[] {Double.NaN, -0.01, 1.0001, 87.5, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Evaluation(accuracy, 0.5, 10));
      assertEquals("an evaluation's accuracy must be a fraction in [0, 1], got " + accuracy, e.getMessage());
    }
    assertEquals("an evaluation's example count must not be negative, got -1",
        assertThrows(IllegalArgumentException.class, () -> new Evaluation(0.5, 0.5, -1)).getMessage());
  }

  @Test
  void acceptsTheBoundsAndAnyLossADivergedModelHas() {
    assertEquals(0.0, new Evaluation(0.0, Double.NaN, 0).accuracy());
    assertEquals(1.0, new Evaluation(1.0, Double.POSITIVE_INFINITY, 5).accuracy());
    assertTrue(Double.isNaN(new Evaluation(0.1, Double.NaN, 5).loss()));
  }
}
