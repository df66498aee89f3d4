package io.csfl.strategy;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Section;
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
  private final CsOptions options;

  public ComplementSparsification(CsOptions options) {
    this.options = options;
  }

  @Override
  public String name() {
    return NAME;
  }

  public CsOptions options() {
    return options;
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds) {
    return new Server(initial, options, totalRounds);
  }

  @Override
  public ClientAlgorithm newClient() {
    return new Client();
  }

  /** Returns the complement of every masked tensor, everything else dense. Stateless. */
  static final class Client implements ClientAlgorithm {
    @Override
    public Model startingModel(Payload downlink, ModelSpec spec) {
      return Payloads.toModel(downlink, spec);
    }

    @Override
    public Payload uplink(Payload downlink, Model start, Model trained) {
      List<Section> sections = new ArrayList<>();
      for (Section s : downlink.sections()) {
        int t = s.tensor();
        sections.add(s instanceof MaskedSection m
            ? new ValuesSection(t, TensorOps.gather(trained.tensor(t), m.mask().complement()))
            : new DenseSection(t, trained.tensor(t)));
      }
      return new Payload(sections);
    }
  }

  private static final class Server implements ServerAlgorithm {
    private final CsOptions options;
    private final int totalRounds;
    private final ModelSpec spec;
    private final WeightedSum sum;
    /** S_t: zero outside the masks once pruning has started. */
    private Model global;
    private Optional<MaskSet> masks = Optional.empty();
    /** The complement of each mask: where this round's client values belong. */
    private Mask[] complements;
    private Model candidate;

    Server(Model initial, CsOptions options, int totalRounds) {
      this.options = options;
      this.totalRounds = totalRounds;
      this.spec = initial.spec();
      this.sum = new WeightedSum(spec);
      this.global = initial;
      this.complements = new Mask[spec.tensorCount()];
    }

    @Override
    public Payload downlink(int round) {
      return Payloads.sparse(global, masks);
    }

    @Override
    public void accumulate(int round, Payload update, int examples) throws InvalidUpdateException {
      sum.add(update, examples, t -> Optional.ofNullable(complements[t]));
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
            global.tensor(t).copyTo(out, 0);
            float eta = (float) options.serverRate();
            for (int i = 0; i < out.length; i++) {
              out[i] += eta * mean[i];
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

    @Override
    public Model globalModel() {
      return global;
    }
  }
}
