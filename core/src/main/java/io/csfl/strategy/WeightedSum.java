package io.csfl.strategy;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Section;
import io.csfl.codec.SignSection;
import io.csfl.codec.TernarySection;
import io.csfl.codec.ValuesSection;
import io.csfl.tensor.Mask;
import io.csfl.tensor.ModelSpec;
import java.util.List;
import java.util.Optional;

/**
 * The running sum of n_k-weighted client updates: memory O(model), however many clients report.
 * For each tensor the server says what it expects ({@link Expect}); an update is checked whole
 * against that before any of it is added, so a bad update changes nothing.
 *
 * <p>Updates are folded in the order they arrive, which varies from run to run. The sums are kept
 * in double precision, where each float product is exact and a handful of additions lose far less
 * than a float's precision, so the float mean comes out the same whatever the order (barring a
 * value within a double rounding of a float tie) and a seeded run is reproducible.
 */
final class WeightedSum {
  /**
   * What the server expects for one tensor.
   *
   * @param values where the tensor's values go: empty for every position (a dense section);
   *               otherwise these positions, sent all (values section) or as any subset of them
   *               (a masked or ternary section whose mask indexes these positions)
   * @param signs  positions that also get a ternary step each (cs-1bit's kept positions: a ternary
   *               section whose support indexes these positions, in addition to the values section),
   *               or empty for none
   */
  record Expect(Optional<Mask> values, Optional<Mask> signs) {
    static final Expect DENSE = new Expect(Optional.empty(), Optional.empty());

    static Expect at(Mask positions) {
      return new Expect(Optional.of(positions), Optional.empty());
    }

    /** Values at any subset of the tensor's positions (a masked section over all of them). */
    static Expect anySubset(io.csfl.tensor.TensorSpec tensor) {
      return at(Mask.all(tensor.size()));
    }
  }

  interface Layout {
    Expect expect(int tensor);
  }

  private final ModelSpec spec;
  private final double[][] sum;
  private double[][] signSum;
  private long examples;

  WeightedSum(ModelSpec spec) {
    this.spec = spec;
    this.sum = zeros(spec);
  }

  private static double[][] zeros(ModelSpec spec) {
    double[][] out = new double[spec.tensorCount()][];
    for (int t = 0; t < out.length; t++) {
      out[t] = new double[spec.tensor(t).size()];
    }
    return out;
  }

  void add(Payload update, int examplesOfClient, Layout layout) throws InvalidUpdateException {
    if (examplesOfClient <= 0) {
      throw new InvalidUpdateException("example count must be positive, got " + examplesOfClient);
    }
    int expectedSections = 0;
    for (int t = 0; t < spec.tensorCount(); t++) {
      expectedSections += layout.expect(t).signs().isPresent() ? 2 : 1;
    }
    List<Section> sections = update.sections();
    if (sections.size() != expectedSections) {
      throw new InvalidUpdateException("update has " + sections.size() + " sections, expected " + expectedSections);
    }
    for (Section s : sections) {
      if (s.tensor() >= spec.tensorCount()) {
        throw new InvalidUpdateException("section for tensor " + s.tensor() + ", the model has " + spec.tensorCount());
      }
      check(s, layout.expect(s.tensor()));
    }
    requireOneOfEach(sections, layout);
    double weight = examplesOfClient;
    for (Section s : sections) {
      fold(s, layout.expect(s.tensor()), weight);
    }
    examples += examplesOfClient;
  }

  private void check(Section s, Expect expect) throws InvalidUpdateException {
    String name = spec.tensor(s.tensor()).name();
    int size = spec.tensor(s.tensor()).size();
    if (isStep(s, expect)) {
      if (((TernarySection) s).support().length() != expect.signs().get().cardinality()) {
        throw new InvalidUpdateException(name + ": expected a ternary step over " + expect.signs().get().cardinality()
            + " kept positions, got " + describe(s));
      }
    } else if (s instanceof SignSection) {
      throw new InvalidUpdateException(name + ": unexpected " + describe(s));
    } else if (expect.values().isEmpty()) {
      if (!(s instanceof DenseSection d) || d.values().length() != size) {
        throw new InvalidUpdateException(name + ": expected " + size + " dense values, got " + describe(s));
      }
    } else {
      int count = expect.values().get().cardinality();
      boolean fits = (s instanceof ValuesSection v && v.values().length() == count)
          || (s instanceof MaskedSection m && m.mask().length() == count)
          || (s instanceof TernarySection r && r.support().length() == count);
      if (!fits) {
        throw new InvalidUpdateException(name + ": expected " + count + " values at the server's positions (all, or a masked subset), got " + describe(s));
      }
    }
  }

  /**
   * Where the server expects steps, a ternary section is the step and the values come in another
   * section kind: the two cannot be confused, whatever the sizes.
   */
  private static boolean isStep(Section s, Expect expect) {
    return expect.signs().isPresent() && s instanceof TernarySection;
  }

  /** Each tensor gets exactly one values section, and one step section where steps are expected. */
  private void requireOneOfEach(List<Section> sections, Layout layout) throws InvalidUpdateException {
    int[] values = new int[spec.tensorCount()];
    int[] steps = new int[spec.tensorCount()];
    for (Section s : sections) {
      (isStep(s, layout.expect(s.tensor())) ? steps : values)[s.tensor()]++;
    }
    for (int t = 0; t < values.length; t++) {
      int stepsExpected = layout.expect(t).signs().isPresent() ? 1 : 0;
      if (values[t] != 1 || steps[t] != stepsExpected) {
        throw new InvalidUpdateException(spec.tensor(t).name() + ": " + values[t] + " values and " + steps[t]
            + " step sections, expected 1 and " + stepsExpected);
      }
    }
  }

  private static String describe(Section s) {
    return s.getClass().getSimpleName() + " with " + s.valueCount() + " values";
  }

  private void fold(Section s, Expect expect, double weight) {
    double[] target = sum[s.tensor()];
    if (s instanceof DenseSection d) {
      for (int i = 0; i < target.length; i++) {
        target[i] += weight * d.values().get(i);
      }
    } else if (s instanceof ValuesSection v) {
      int[] positions = expect.values().get().positions();
      for (int j = 0; j < positions.length; j++) {
        target[positions[j]] += weight * v.values().get(j);
      }
    } else if (s instanceof MaskedSection m) {
      int[] positions = expect.values().get().positions();
      int[] chosen = m.mask().positions();
      for (int j = 0; j < chosen.length; j++) {
        target[positions[chosen[j]]] += weight * m.values().get(j);
      }
    } else if (s instanceof TernarySection r) {
      boolean step = isStep(s, expect);
      if (step && signSum == null) {
        signSum = zeros(spec);
      }
      double[] into = step ? signSum[s.tensor()] : target;
      int[] positions = (step ? expect.signs() : expect.values()).get().positions();
      int[] chosen = r.support().positions();
      for (int j = 0; j < chosen.length; j++) {
        into[positions[chosen[j]]] += weight * r.value(j);
      }
    }
  }

  long examples() {
    return examples;
  }

  /** sum / examples of one tensor's values, as a fresh array. */
  float[] mean(int tensor) {
    return meanOf(sum, tensor);
  }

  /** sum / examples of one tensor's ternary steps (zeros if none arrived). */
  float[] signMean(int tensor) {
    return signSum == null ? new float[spec.tensor(tensor).size()] : meanOf(signSum, tensor);
  }

  private float[] meanOf(double[][] buffer, int tensor) {
    double[] sums = buffer[tensor];
    float[] out = new float[sums.length];
    double divisor = examples > 0 ? examples : 1;
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (sums[i] / divisor);
    }
    return out;
  }

  void reset() {
    for (double[] t : sum) {
      java.util.Arrays.fill(t, 0);
    }
    if (signSum != null) {
      for (double[] t : signSum) {
        java.util.Arrays.fill(t, 0);
      }
    }
    examples = 0;
  }
}
