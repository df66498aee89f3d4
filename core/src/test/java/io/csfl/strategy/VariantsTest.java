package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Precision;
import io.csfl.codec.SignSection;
import io.csfl.codec.ValuesSection;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The math of each strategy beyond the paper, on a 2x3 kernel and a bias of 3. */
class VariantsTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("k", 2, 3), TensorSpec.bias("b", 3)));
  private static final StrategyParams PARAMS = new StrategyParams(CsOptions.defaults(), 1.0 / 3, 1.0 / 3);

  private static Model model(float[] kernel, float[] bias) {
    return Model.copyOf(SPEC, new float[][] {kernel, bias});
  }

  /** One dense round with a single client whose model is {1, -4, 3, 2, 2, 0}: keeps -4, 3, 2 at positions 1, 2, 3. */
  private static ServerAlgorithm prunedServer(FederatedStrategy s) throws InvalidUpdateException {
    ServerAlgorithm server = s.newServer(model(new float[6], new float[3]), 10);
    Payload down = server.downlink(1);
    ClientAlgorithm c = s.newClient();
    server.accumulate(1, c.uplink(down, c.startingModel(down, SPEC), model(new float[] {1, -4, 3, 2, 2, 0}, new float[] {4, 1, -2})), 1);
    PruneRequest r = server.close(1).orElseThrow();
    server.commit(1, Optional.of(new MagnitudePruner().masks(r.candidate(), r.sparsity())));
    return server;
  }

  @Test
  void csOneBitSendsSignsOfKeptUpdatesScaledByTheirMeanMagnitudeAndTheServerAddsThem() throws InvalidUpdateException {
    FederatedStrategy s = Strategies.byName("cs-1bit", PARAMS);
    ServerAlgorithm server = prunedServer(s);
    Payload down = server.downlink(2);
    ClientAlgorithm c = s.newClient();
    Model start = c.startingModel(down, SPEC);
    // Kept {-4, 3, 2} move by {+1, -3, +2}: signs +, -, +; mean magnitude 2.
    Payload up = c.uplink(down, start, model(new float[] {6, -3, 0, 4, 0, 0}, new float[] {4, 1, -2}));
    assertInstanceOf(ValuesSection.class, up.sections().get(0));
    SignSection signs = assertInstanceOf(SignSection.class, up.sections().get(1));
    assertArrayEquals(new int[] {0, 2}, signs.positive().positions());
    assertEquals(2f, signs.scale());
    server.accumulate(2, up, 4);
    // D = S + eta * complement + signed step: {1.5*6, -4+2, 3-2, 2+2, 0, 0}
    assertArrayEquals(new float[] {9, -2, 1, 4, 0, 0}, server.close(2).orElseThrow().candidate().tensor(0).toArray(), 1e-6f);
  }

  @Test
  void csOneBitRequiresTheSigns() throws InvalidUpdateException {
    ServerAlgorithm server = prunedServer(Strategies.byName("cs-1bit", PARAMS));
    Payload down = server.downlink(2);
    ClientAlgorithm plain = Strategies.byName("cs", PARAMS).newClient();
    Payload withoutSigns = plain.uplink(down, plain.startingModel(down, SPEC), plain.startingModel(down, SPEC));
    assertThrows(InvalidUpdateException.class, () -> server.accumulate(2, withoutSigns, 1));
  }

  @Test
  void csFp16ShipsHalfPrecisionBothWays() throws InvalidUpdateException {
    FederatedStrategy s = Strategies.byName("cs-fp16", PARAMS);
    ServerAlgorithm server = prunedServer(s);
    Payload down = server.downlink(2);
    assertEquals(Precision.FP16, down.precision());
    ClientAlgorithm c = s.newClient();
    assertEquals(Precision.FP16, c.uplink(down, c.startingModel(down, SPEC), c.startingModel(down, SPEC)).precision());
  }

  @Test
  void csTopkSendsTheLargestComplementValuesAndCarriesTheRest() throws InvalidUpdateException {
    FederatedStrategy s = Strategies.byName("cs-topk", PARAMS);
    ServerAlgorithm server = prunedServer(s);
    Payload down = server.downlink(2);
    ClientAlgorithm c = s.newClient();
    Model start = c.startingModel(down, SPEC);
    // Complement positions 0, 4, 5 trained to {1, -5, 2}: one of three is sent: -5 (relative index 1).
    Payload up = c.uplink(down, start, model(new float[] {1, 0, 0, 0, -5, 2}, new float[] {0, 0, 0}));
    MaskedSection top = assertInstanceOf(MaskedSection.class, up.sections().get(0));
    assertEquals(3, top.mask().length(), "the mask indexes the complement, not the tensor");
    assertArrayEquals(new int[] {1}, top.mask().positions());
    assertArrayEquals(new float[] {-5}, top.values().toArray());
    server.accumulate(2, up, 1);
    assertArrayEquals(new float[] {0, -4, 3, 2, -7.5f, 0}, server.close(2).orElseThrow().candidate().tensor(0).toArray(), 1e-6f);
    // Next time the same values come back: residual {1, 0, 2} is added, so 1 + 1 = 2 ties 2 + 2 = 4? 4 wins.
    Payload again = c.uplink(down, start, model(new float[] {1, 0, 0, 0, 0, 2}, new float[] {0, 0, 0}));
    MaskedSection second = assertInstanceOf(MaskedSection.class, again.sections().get(0));
    assertArrayEquals(new int[] {2}, second.mask().positions());
    assertArrayEquals(new float[] {4}, second.values().toArray(), "2 now plus 2 carried");
  }

  @Test
  void csOneBitTopkSendsTheTopComplementValuesAndTheKeptSigns() throws InvalidUpdateException {
    FederatedStrategy s = Strategies.byName("cs-1bit-topk", PARAMS);
    ServerAlgorithm server = prunedServer(s);
    Payload down = server.downlink(2);
    ClientAlgorithm c = s.newClient();
    Model start = c.startingModel(down, SPEC);
    // Complement positions 0, 4, 5 trained to {1, -5, 2}: only -5 is sent. Kept {-4, 3, 2} move by
    // {+1, -3, +2}: signs +, -, + with scale 2, as in cs-1bit.
    Payload up = c.uplink(down, start, model(new float[] {1, -3, 0, 4, -5, 2}, new float[] {0, 0, 0}));
    MaskedSection top = assertInstanceOf(MaskedSection.class, up.sections().get(0));
    assertArrayEquals(new int[] {1}, top.mask().positions());
    SignSection signs = assertInstanceOf(SignSection.class, up.sections().get(1));
    assertArrayEquals(new int[] {0, 2}, signs.positive().positions());
    assertEquals(2f, signs.scale());
    server.accumulate(2, up, 1);
    // {0, -4 + 2, 3 - 2, 2 + 2, 1.5 * -5, 0}
    assertArrayEquals(new float[] {0, -2, 1, 4, -7.5f, 0}, server.close(2).orElseThrow().candidate().tensor(0).toArray(), 1e-6f);
  }

  @Test
  void topkSendsSparseUpdatesWithErrorFeedbackAndTheServerAddsTheirMean() throws InvalidUpdateException {
    FederatedStrategy s = Strategies.byName("topk", PARAMS);
    ServerAlgorithm server = s.newServer(model(new float[] {1, 1, 1, 1, 1, 1}, new float[] {0, 0, 0}), 5);
    Payload down = server.downlink(1);
    assertInstanceOf(DenseSection.class, down.sections().get(0), "the downlink is dense");
    ClientAlgorithm c = s.newClient();
    Model start = c.startingModel(down, SPEC);
    // Update {0, 3, -1, 0, 0, 5}: the top 2 of 6 are 5 and 3; bias update {1, 0, 0}: top 1 is 1.
    Payload up = c.uplink(down, start, model(new float[] {1, 4, 0, 1, 1, 6}, new float[] {1, 0, 0}));
    MaskedSection kernel = assertInstanceOf(MaskedSection.class, up.sections().get(0));
    assertArrayEquals(new int[] {1, 5}, kernel.mask().positions());
    server.accumulate(1, up, 2);
    server.close(1);
    server.commit(1, Optional.empty());
    assertArrayEquals(new float[] {1, 4, 1, 1, 1, 6}, server.globalModel().tensor(0).toArray(), 1e-6f);
    assertArrayEquals(new float[] {1, 0, 0}, server.globalModel().tensor(1).toArray(), 1e-6f);
    // The -1 left behind is carried: with a zero update next round it is what gets sent.
    // Compensated update {0, 0, -1, 0, 0, 0}: the top 2 are -1 (position 2) and, among the tied zeros, position 0.
    MaskedSection carried = (MaskedSection) c.uplink(down, start, start).sections().get(0);
    assertArrayEquals(new int[] {0, 2}, carried.mask().positions());
    assertArrayEquals(new float[] {0, -1}, carried.values().toArray(), 1e-6f);
  }
}
