package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChurnModelTest {
  @Test
  void fatesAreSeededAndFollowTheRates() {
    ChurnModel churn = new ChurnModel(0.2, 0.1, 7);
    int drops = 0;
    int stragglers = 0;
    for (int c = 0; c < 100; c++) {
      for (int r = 1; r <= 100; r++) {
        ChurnModel.Fate fate = churn.fate("client-" + c, r);
        assertEquals(fate, new ChurnModel(0.2, 0.1, 7).fate("client-" + c, r), "same seed, same fate");
        drops += fate == ChurnModel.Fate.DROP ? 1 : 0;
        stragglers += fate == ChurnModel.Fate.STRAGGLE ? 1 : 0;
      }
    }
    assertTrue(Math.abs(drops / 10_000.0 - 0.2) < 0.02, "drop share " + drops / 10_000.0);
    assertTrue(Math.abs(stragglers / 10_000.0 - 0.1) < 0.02, "straggler share " + stragglers / 10_000.0);
    assertEquals(ChurnModel.Fate.NONE, ChurnModel.none().fate("client-1", 1));
  }

  @Test
  void ratesMustBeProbabilities() {
    assertThrows(IllegalArgumentException.class, () -> new ChurnModel(0.7, 0.5, 1));
    assertThrows(IllegalArgumentException.class, () -> new ChurnModel(-0.1, 0, 1));
  }
}
