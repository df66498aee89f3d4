package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.TensorFile;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The strategy state a resume may carry: bounded per model parameter, with room for each earlier
 * model it keeps; a peer's text in a log line: one line, and cut.
 */
class ControlChecksTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("k", 20, 30)));

  /** What CS keeps of the dense model of each of {@code rounds} earlier rounds. */
  private static TensorFile history(int rounds) {
    TensorFile state = TensorFile.EMPTY.withBytes("mask/k", new byte[600]);
    for (int k = 0; k < rounds; k++) {
      state = state.withF32(Checkpoint.heldState(k) + "values/k", new long[] {600}, new float[600]);
    }
    return state;
  }

  @Test
  void aPeersTextIsOneLineAndCut() {
    assertEquals("lr=0.05  ERROR forged line", ControlChecks.forLog("lr=0.05\n ERROR forged line"));
    assertEquals("a\tb".replace('\t', ' '), ControlChecks.forLog("a\tb"));
    String cut = ControlChecks.forLog("x".repeat(10_000));
    assertEquals(ControlChecks.MAX_PEER_TEXT_CHARS + 3, cut.length());
  }

  @Test
  void aStateWithALongHistoryFitsAndOneTooBigOrOfALaterRoundDoesNot() {
    // 20 dense earlier models: more than 64 bytes a parameter, within 64 plus 5 for each.
    assertNull(ControlChecks.stateRefusal(history(20), SPEC, 21));
    assertNotNull(ControlChecks.stateRefusal(history(20), SPEC, 20), "round 19's model is not in the state before round 20");
    TensorFile tooBig = history(0).withBytes("other", new byte[600 * 64]);
    assertNotNull(ControlChecks.stateRefusal(tooBig, SPEC, 21));
    TensorFile noRound = history(1).withBytes(Checkpoint.HELD_STATE + "x/kept/k", new byte[1]);
    assertNotNull(ControlChecks.stateRefusal(noRound, SPEC, 21));
  }
}
