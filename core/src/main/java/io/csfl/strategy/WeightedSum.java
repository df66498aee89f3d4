package io.csfl.strategy;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Section;
import io.csfl.codec.SignSection;
import io.csfl.codec.TernarySection;
import io.csfl.codec.ValuesSection;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running sum of n_k-weighted client updates: memory O(model), however many clients report.
 * For each tensor the server says what it expects ({@link Expect}); an update is checked whole
 * against that before any of it is added, so a bad update changes nothing.
 *
 * <p>With a {@link RobustAggregation} other than {@link RobustAggregation#NONE}, each update is
 * first clipped to the configured L2 norm, and a coordinate-wise rule (trimmed mean, median) keeps
 * every update of the round until {@link #mean} is asked for; see that class for what it costs.
 *
 * <p>Updates are folded in the order they arrive, which varies from run to run. The sums are kept
 * in double precision, where each float product is exact and a handful of additions lose far less
 * than a float's precision, so the float mean comes out the same whatever the order (barring a
 * value within a double rounding of a float tie) and a seeded run is reproducible.
 */
final class WeightedSum {
  private static final Logger LOG = LoggerFactory.getLogger(WeightedSum.class);

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

  /**
   * One section of one update, as values at absolute positions of its tensor.
   *
   * @param sign      whether these are a ternary step's values (kept apart from the values)
   * @param positions the positions, or null for every position of the tensor in order
   */
  private record Part(int tensor, boolean sign, int[] positions, float[] values) {
    int position(int j) {
      return positions == null ? j : positions[j];
    }
  }

  private final ModelSpec spec;
  private final RobustAggregation rule;
  private final double[][] sum;
  private double[][] signSum;
  /** For a coordinate-wise rule: every part of every update of the round. */
  private final List<Part> kept = new ArrayList<>();
  private long examples;

  WeightedSum(ModelSpec spec) {
    this(spec, RobustAggregation.NONE);
  }

  WeightedSum(ModelSpec spec, RobustAggregation rule) {
    this.spec = spec;
    this.rule = rule;
    this.sum = zeros(spec);
  }

  private static double[][] zeros(ModelSpec spec) {
    double[][] out = new double[spec.tensorCount()][];
    for (int t = 0; t < out.length; t++) {
      out[t] = new double[spec.tensor(t).size()];
    }
    return out;
  }

  /** An update of differences (top-k, STC): clipped by the norm of its values. */
  void add(Payload update, int examplesOfClient, Layout layout) throws InvalidUpdateException {
    add(update, examplesOfClient, layout, null);
  }

  /**
   * @param base the model the clients were sent, when the update carries model values rather than
   *             differences (FedAvg, CS): clipping measures and scales the difference from it; null
   *             for an update of differences
   */
  void add(Payload update, int examplesOfClient, Layout layout, Model base) throws InvalidUpdateException {
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
    List<Part> parts = new ArrayList<>(sections.size());
    for (Section s : sections) {
      parts.add(part(s, layout.expect(s.tensor())));
    }
    if (rule.clips()) {
      clip(parts, base);
    }
    if (rule.streaming()) {
      double weight = examplesOfClient;
      for (Part p : parts) {
        fold(p, weight);
      }
    } else {
      kept.addAll(parts);
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

  /** The section's values at absolute positions of its tensor; a ternary step as its signed steps. */
  private static Part part(Section s, Expect expect) {
    int t = s.tensor();
    if (s instanceof DenseSection d) {
      return new Part(t, false, null, d.values().toArray());
    } else if (s instanceof ValuesSection v) {
      return new Part(t, false, expect.values().get().positions(), v.values().toArray());
    } else if (s instanceof MaskedSection m) {
      return new Part(t, false, subset(expect.values().get().positions(), m.mask().positions()), m.values().toArray());
    } else if (s instanceof TernarySection r) {
      boolean step = isStep(s, expect);
      int[] chosen = r.support().positions();
      float[] values = new float[chosen.length];
      for (int j = 0; j < chosen.length; j++) {
        values[j] = r.value(j);
      }
      return new Part(t, step, subset((step ? expect.signs() : expect.values()).get().positions(), chosen), values);
    }
    throw new IllegalStateException("unchecked section " + s.getClass().getSimpleName());
  }

  private static int[] subset(int[] positions, int[] chosen) {
    int[] out = new int[chosen.length];
    for (int j = 0; j < chosen.length; j++) {
      out[j] = positions[chosen[j]];
    }
    return out;
  }

  /** Scales the update's difference from {@code base} (or its values) down to the clip norm, in place. */
  private void clip(List<Part> parts, Model base) {
    double squares = 0;
    for (Part p : parts) {
      for (int j = 0; j < p.values().length; j++) {
        double d = p.values()[j] - reference(p, j, base);
        squares += d * d;
      }
    }
    double norm = Math.sqrt(squares);
    LOG.debug("update of L2 norm {} (clip norm {})", norm, rule.clipNorm());
    if (!(norm > rule.clipNorm())) {
      return;
    }
    double scale = rule.clipNorm() / norm;
    for (Part p : parts) {
      for (int j = 0; j < p.values().length; j++) {
        double r = reference(p, j, base);
        p.values()[j] = (float) (r + scale * (p.values()[j] - r));
      }
    }
  }

  private static double reference(Part p, int j, Model base) {
    return base == null || p.sign() ? 0 : base.tensor(p.tensor()).get(p.position(j));
  }

  private void fold(Part p, double weight) {
    double[] target;
    if (p.sign()) {
      if (signSum == null) {
        signSum = zeros(spec);
      }
      target = signSum[p.tensor()];
    } else {
      target = sum[p.tensor()];
    }
    Fold.into(target, p.positions(), p.values(), weight);
  }

  long examples() {
    return examples;
  }

  /**
   * One tensor's combined values, as a fresh array: sum / examples for the mean, else the
   * coordinate-wise rule over the clients that sent a value at each position (0 where none did).
   */
  float[] mean(int tensor) {
    return rule.streaming() ? meanOf(sum, tensor) : coordinateWise(tensor, false);
  }

  /** sum / examples of one tensor's ternary steps (zeros if none arrived). */
  float[] signMean(int tensor) {
    if (!rule.streaming()) {
      return coordinateWise(tensor, true);
    }
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

  /** Groups the kept values by position (counting, then filling), sorts each group and combines it. */
  private float[] coordinateWise(int tensor, boolean sign) {
    int size = spec.tensor(tensor).size();
    int[] start = new int[size + 1];
    List<Part> parts = kept.stream().filter(p -> p.tensor() == tensor && p.sign() == sign).toList();
    for (Part p : parts) {
      for (int j = 0; j < p.values().length; j++) {
        start[p.position(j) + 1]++;
      }
    }
    for (int i = 0; i < size; i++) {
      start[i + 1] += start[i];
    }
    float[] grouped = new float[start[size]];
    int[] fill = java.util.Arrays.copyOf(start, size);
    for (Part p : parts) {
      for (int j = 0; j < p.values().length; j++) {
        grouped[fill[p.position(j)]++] = p.values()[j];
      }
    }
    float[] out = new float[size];
    for (int i = 0; i < size; i++) {
      int n = start[i + 1] - start[i];
      if (n > 0) {
        java.util.Arrays.sort(grouped, start[i], start[i + 1]);
        out[i] = (float) combine(grouped, start[i], n);
      }
    }
    return out;
  }

  /** The rule applied to the n sorted values from {@code from}. */
  private double combine(float[] sorted, int from, int n) {
    if (rule.rule() == RobustAggregation.Rule.MEDIAN) {
      return n % 2 == 1 ? sorted[from + n / 2] : ((double) sorted[from + n / 2 - 1] + sorted[from + n / 2]) / 2;
    }
    int drop = (int) Math.floor(rule.trim() * n);
    double total = 0;
    for (int j = from + drop; j < from + n - drop; j++) {
      total += sorted[j];
    }
    return total / (n - 2 * drop);
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
    kept.clear();
    examples = 0;
  }
}
