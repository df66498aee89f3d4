package io.csfl.strategy;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Section;
import io.csfl.codec.SignSection;
import io.csfl.codec.ValuesSection;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Complement Sparsification (Jiang and Borcea, AAAI 2023), exactly as in the project's spec: the
 * server ships the magnitude-pruned model S_t with its masks M_t; clients train the whole model
 * and return only the weights at the pruned positions (W_k * (1 - M_t)) plus the dense biases;
 * the server forms D = S_t + eta * A (A the example-weighted mean complement), averages the
 * biases, and prunes D by magnitude into S_t+1. Round 1 (and any warm-up round) is dense FedAvg
 * followed by pruning.
 */
public final class ComplementSparsification implements FederatedStrategy {
  public static final String NAME = "cs";
  private final String name;
  private final CsOptions options;
  private final CsVariant variant;

  /** The paper's method. */
  public ComplementSparsification(CsOptions options) {
    this(NAME, options, CsVariant.paper());
  }

  /** A variant beyond the paper (cs-fp16, cs-1bit, cs-topk), under its own name. */
  public ComplementSparsification(String name, CsOptions options, CsVariant variant) {
    this.name = name;
    this.options = options;
    this.variant = variant;
  }

  @Override
  public String name() {
    return name;
  }

  public CsOptions options() {
    return options;
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds) {
    return new Server(initial, options, variant, totalRounds);
  }

  @Override
  public ClientAlgorithm newClient() {
    return new Client(variant);
  }

  /**
   * Returns the complement of every masked tensor, everything else dense; per the variant, only
   * the top fraction of the complement (with error feedback) and the signs of the kept updates.
   */
  static final class Client implements ClientAlgorithm {
    private final CsVariant variant;
    /** cs-topk: complement values not sent yet, per tensor, by absolute position. */
    private float[][] residual;

    Client(CsVariant variant) {
      this.variant = variant;
    }


    @Override
    public Payload uplink(Payload downlink, Model start, Model trained) {
      List<Section> sections = new ArrayList<>();
      for (Section s : downlink.sections()) {
        int t = s.tensor();
        if (!(s instanceof MaskedSection m)) {
          sections.add(new DenseSection(t, trained.tensor(t)));
          continue;
        }
        Mask complement = m.mask().complement();
        sections.add(variant.sparseUplink()
            ? topOfComplement(t, complement, trained)
            : new ValuesSection(t, TensorOps.gather(trained.tensor(t), complement)));
        if (variant.keptSigns()) {
          sections.add(keptSigns(t, m.mask(), start, trained));
        }
      }
      return new Payload(sections, variant.precision());
    }

    private MaskedSection topOfComplement(int t, Mask complement, Model trained) {
      if (residual == null) {
        residual = new float[trained.spec().tensorCount()][];
      }
      if (residual[t] == null) {
        residual[t] = new float[trained.spec().tensor(t).size()];
      }
      int[] positions = complement.positions();
      float[] values = TensorOps.gather(trained.tensor(t), complement).toArray();
      float[] carried = new float[positions.length];
      for (int j = 0; j < positions.length; j++) {
        carried[j] = residual[t][positions[j]];
      }
      Mask chosen = TopK.selectWithFeedback(values, carried, TopK.count(values.length, variant.uplinkDensity()));
      for (int j = 0; j < positions.length; j++) {
        residual[t][positions[j]] = carried[j];
      }
      return new MaskedSection(t, chosen, TensorOps.gather(values, chosen));
    }

    private static SignSection keptSigns(int t, Mask kept, Model start, Model trained) {
      float[] before = TensorOps.gather(start.tensor(t), kept).toArray();
      float[] after = TensorOps.gather(trained.tensor(t), kept).toArray();
      long[] positive = new long[(before.length + 63) >>> 6];
      double magnitude = 0;
      for (int j = 0; j < before.length; j++) {
        float delta = after[j] - before[j];
        magnitude += Math.abs(delta);
        if (delta > 0) {
          positive[j >>> 6] |= 1L << j;
        }
      }
      float scale = before.length == 0 ? 0f : (float) (magnitude / before.length);
      return new SignSection(t, Mask.fromWords(before.length, positive), scale);
    }
  }

  private static final class Server implements ServerAlgorithm {
    private final CsOptions options;
    private final CsVariant variant;
    private final int totalRounds;
    private final ModelSpec spec;
    private final WeightedSum sum;
    /** S_t: zero outside the masks once pruning has started. */
    private Model global;
    private Optional<MaskSet> masks = Optional.empty();
    /** The complement of each mask: where this round's client values belong. */
    private Mask[] complements;
    private Model candidate;

    Server(Model initial, CsOptions options, CsVariant variant, int totalRounds) {
      this.options = options;
      this.variant = variant;
      this.totalRounds = totalRounds;
      this.spec = initial.spec();
      this.sum = new WeightedSum(spec);
      this.global = initial;
      this.complements = new Mask[spec.tensorCount()];
    }

    @Override
    public Payload downlink(int round) {
      return Payloads.sparse(global, masks, variant.precision());
    }

    @Override
    public void accumulate(int round, Payload update, int examples) throws InvalidUpdateException {
      sum.add(update, examples, this::expect);
    }

    private WeightedSum.Expect expect(int t) {
      if (complements[t] == null) {
        return WeightedSum.Expect.DENSE;
      }
      Optional<Mask> signs = variant.keptSigns() ? masks.orElseThrow().mask(t) : Optional.empty();
      return new WeightedSum.Expect(Optional.of(complements[t]), signs);
    }

    @Override
    public Optional<PruneRequest> close(int round) {
      if (sum.examples() == 0) {
        candidate = global;
      } else {
        ModelBuffer d = ModelBuffer.zeros(spec);
        for (int t = 0; t < spec.tensorCount(); t++) {
          float[] mean = sum.mean(t);
          float[] out = d.tensor(t);
          if (complements[t] == null) {
            System.arraycopy(mean, 0, out, 0, mean.length);
          } else {
            // D = S + eta * A: A is zero on the kept positions and S is zero on the pruned ones.
            // cs-1bit also adds the clients' mean signed step on the kept positions.
            global.tensor(t).copyTo(out, 0);
            float eta = (float) options.serverRate();
            float[] kept = sum.signMean(t);
            for (int i = 0; i < out.length; i++) {
              out[i] += eta * mean[i] + kept[i];
            }
          }
        }
        candidate = d.toModel();
      }
      sum.reset();
      if (round <= options.warmupRounds()) {
        return Optional.empty();
      }
      return Optional.of(new PruneRequest(candidate, options.sparsityFor(round + 1, totalRounds)));
    }

    @Override
    public void commit(int round, Optional<MaskSet> next) {
      if (next.isEmpty()) {
        global = candidate;
        masks = Optional.empty();
        complements = new Mask[spec.tensorCount()];
        return;
      }
      MaskSet m = next.get().requireFits(spec);
      ModelBuffer pruned = ModelBuffer.copyOf(candidate);
      Mask[] comp = new Mask[spec.tensorCount()];
      for (int t = 0; t < spec.tensorCount(); t++) {
        Optional<Mask> mask = m.mask(t);
        if (mask.isPresent()) {
          TensorOps.applyMask(pruned.tensor(t), mask.get());
          comp[t] = mask.get().complement();
        }
      }
      global = pruned.toModel();
      masks = Optional.of(m);
      complements = comp;
    }

    @Override
    public void abandon(int round) {
      sum.reset();
    }

    /**
     * After pruning has started, the masks are the non-zero positions of {@code global}'s prunable
     * tensors: whatever pruner made them, the model was zeroed exactly outside them. (A kept weight
     * that is exactly 0 would count as pruned; the next round's pruning draws fresh masks anyway.)
     */
    @Override
    public void restore(int round, Model global) {
      sum.reset();
      candidate = global;
      if (round <= options.warmupRounds()) {
        commit(round, Optional.empty());
        return;
      }
      Mask[] kept = new Mask[spec.tensorCount()];
      for (int t = 0; t < kept.length; t++) {
        if (spec.tensor(t).prunable()) {
          kept[t] = TensorOps.nonZeros(global.tensor(t));
        }
      }
      commit(round, Optional.of(MaskSet.of(spec, kept)));
    }

    @Override
    public Model globalModel() {
      return global;
    }
  }
}
