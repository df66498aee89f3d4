package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Precision;
import io.csfl.codec.Section;
import io.csfl.codec.SignSection;
import io.csfl.codec.TernarySection;
import io.csfl.codec.ValuesSection;
import io.csfl.internal.wire.PayloadCodec;
import io.csfl.internal.wire.WireReader;
import io.csfl.internal.wire.WireWriter;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Values;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.List;
import java.util.Optional;
import java.util.Random;
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
  void csOneBitSendsATernaryCodeOfTheKeptUpdatesAndTheServerAddsIt() throws InvalidUpdateException {
    FederatedStrategy s = Strategies.byName("cs-1bit", PARAMS);
    ServerAlgorithm server = prunedServer(s);
    // Kept {-4, 3, 2} move by {+1, 0, -3}: support {0, 2}, signs +, -; mean non-zero magnitude 2.
    Payload up = roundTwoUplink(s, server, new float[] {6, -3, 3, -1, 0, 0});
    assertInstanceOf(ValuesSection.class, up.sections().get(0));
    TernarySection steps = assertInstanceOf(TernarySection.class, up.sections().get(1));
    assertEquals(3, steps.support().length(), "the support indexes the kept positions, not the tensor");
    assertArrayEquals(new int[] {0, 2}, steps.support().positions());
    assertArrayEquals(new int[] {0}, steps.positive().positions());
    assertEquals(2f, steps.magnitude());
    server.accumulate(2, roundTrip(up), 4);
    // D = S + eta * complement + step: {1.5*6, -4+2, 3 (unchanged: its update was zero), 2-2, 0, 0}
    assertArrayEquals(new float[] {9, -2, 3, 0, 0, 0}, server.close(2).orElseThrow().candidate().tensor(0).toArray(), 1e-6f);
  }

  @Test
  void csOneBitLeavesKeptWeightsWhoseUpdateIsZeroWhereTheyAre() throws InvalidUpdateException {
    FederatedStrategy s = Strategies.byName("cs-1bit", PARAMS);
    ServerAlgorithm server = prunedServer(s);
    // No kept weight moves (the complement does): the kept weights -4, 3, 2 stay exactly.
    Payload up = roundTwoUplink(s, server, new float[] {1, -4, 3, 2, 2, 2});
    assertEquals(0, assertInstanceOf(TernarySection.class, up.sections().get(1)).support().cardinality());
    server.accumulate(2, roundTrip(up), 1);
    assertArrayEquals(new float[] {1.5f, -4, 3, 2, 3, 3}, server.close(2).orElseThrow().candidate().tensor(0).toArray(), 1e-6f);
  }

  @Test
  void csOneBitRefusesStepsThatDoNotFitTheKeptPositions() throws InvalidUpdateException {
    ServerAlgorithm server = prunedServer(Strategies.byName("cs-1bit", PARAMS));
    Payload down = server.downlink(2);
    ClientAlgorithm plain = Strategies.byName("cs", PARAMS).newClient();
    Model start = plain.startingModel(down, SPEC);
    List<Section> honest = plain.uplink(down, start, start).sections();
    Mask two = Mask.all(2);
    Mask three = Mask.all(3);
    // A step over 2 of the 3 kept positions; the old binary sign code; two value sections and no step.
    for (Section wrong : List.of(new TernarySection(0, two, two, 1f), new SignSection(0, three, 1f),
        new MaskedSection(0, three, Values.copyOf(new float[] {1, 2, 3})))) {
      Payload bad = new Payload(List.of(honest.get(0), wrong, honest.get(1)));
      assertThrows(InvalidUpdateException.class, () -> server.accumulate(2, bad, 1), wrong.toString());
    }
    // The refusals changed nothing: a valid update afterwards is the only one counted.
    server.accumulate(2, new Payload(List.of(honest.get(0), new TernarySection(0, three, three, 1f), honest.get(1))), 1);
    assertArrayEquals(new float[] {0, -3, 4, 3, 0, 0}, server.close(2).orElseThrow().candidate().tensor(0).toArray(), 1e-6f);
  }

  /**
   * The step of a tensor whose kept updates are all non-zero costs a bit per kept weight, as the
   * binary sign code did; a zero update adds its position to the coded support, near H(z) bits per
   * kept weight for a fraction z of zeros.
   */
  @Test
  void theStepCostsOneBitPerMovedWeightPlusItsSupport() {
    int kept = 20_000;
    Random rng = new Random(5);
    long[] all = new long[(kept + 63) >>> 6];
    for (int j = 0; j < kept; j++) {
      if (rng.nextBoolean()) {
        all[j >>> 6] |= 1L << j;
      }
    }
    Mask signs = Mask.fromWords(kept, all);
    long binary = PayloadCodec.encodedSize(new Payload(List.of(new SignSection(0, signs, 1f))));
    long dense = PayloadCodec.encodedSize(new Payload(List.of(new TernarySection(0, Mask.all(kept), signs, 1f))));
    assertTrue(dense <= binary + 8, "no zeros: " + dense + " bytes against " + binary);
    double z = 0.1;
    int[] moved = java.util.stream.IntStream.range(0, kept).filter(j -> rng.nextDouble() >= z).toArray();
    Mask support = Mask.fromPositions(kept, moved);
    long sparse = PayloadCodec.encodedSize(new Payload(List.of(new TernarySection(0, support, Mask.all(moved.length), 1f))));
    double entropyBytes = kept * -(z * Math.log(z) + (1 - z) * Math.log(1 - z)) / Math.log(2) / 8;
    assertTrue(sparse > moved.length / 8 + entropyBytes * 0.9 && sparse < moved.length / 8 + entropyBytes * 1.25 + 32,
        sparse + " bytes for " + moved.length + " signs and a support of entropy " + entropyBytes + " bytes");
  }

  /** The uplink of a client that trains round 2's model into {@code kernel} and bias {4, 1, -2}. */
  private static Payload roundTwoUplink(FederatedStrategy s, ServerAlgorithm server, float[] kernel) {
    Payload down = server.downlink(2);
    ClientAlgorithm c = s.newClient();
    return c.uplink(down, c.startingModel(down, SPEC), model(kernel, new float[] {4, 1, -2}));
  }

  /** What the server reads is what crossed the wire. */
  private static Payload roundTrip(Payload p) {
    WireWriter out = new WireWriter(256);
    PayloadCodec.encode(p, out);
    return PayloadCodec.decode(new WireReader(out.toByteArray()));
  }

  @Test
  void csOneBitRequiresTheSteps() throws InvalidUpdateException {
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
    // {+1, -3, +2}: all non-zero, signs +, -, + with scale 2, as in cs-1bit.
    Payload up = c.uplink(down, start, model(new float[] {1, -3, 0, 4, -5, 2}, new float[] {0, 0, 0}));
    MaskedSection top = assertInstanceOf(MaskedSection.class, up.sections().get(0));
    assertArrayEquals(new int[] {1}, top.mask().positions());
    TernarySection steps = assertInstanceOf(TernarySection.class, up.sections().get(1));
    assertArrayEquals(new int[] {0, 1, 2}, steps.support().positions());
    assertArrayEquals(new int[] {0, 2}, steps.positive().positions());
    assertEquals(2f, steps.magnitude());
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
