package io.csfl.strategy;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Section;
import io.csfl.data.Dataset;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.TensorOps;
import java.util.ArrayList;
import java.util.List;

/**
 * FL-PQSU as the CS paper's reference code runs it (its pruning baseline): the server ships the
 * dense model; each client trains it, prunes every weight kernel to {@code sparsity} by magnitude,
 * trains the pruned model again for as many epochs with the pruned weights held at zero, and
 * sends the kept weights (mask and values) with its dense biases; the server takes the
 * example-weighted mean of these sparse models, zeros included. Clients do twice the training.
 */
public final class PrunedUpdateSharing implements FederatedStrategy {
  /** The name that selects FL-PQSU on the command line and labels its rows in metrics.csv. */
  public static final String NAME = "pqsu";
  /** The reference code's client-side pruning: 90% of each kernel. */
  public static final double PAPER_SPARSITY = 0.9;
  private final double sparsity;

  /**
   * Clients prune each weight kernel to {@code sparsity} (in [0, 1), else
   * IllegalArgumentException); the command line uses {@link #PAPER_SPARSITY}.
   */
  public PrunedUpdateSharing(double sparsity) {
    io.csfl.tensor.MagnitudePruning.keptCount(1, sparsity);
    this.sparsity = sparsity;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds, RobustAggregation aggregation) {
    // FedAvg's mean, zeros included, over kernels that arrive as any subset of their positions.
    return new FedAvg.Server(initial, t -> t.prunable() ? WeightedSum.Expect.anySubset(t) : WeightedSum.Expect.DENSE,
        aggregation);
  }

  @Override
  public ClientAlgorithm newClient() {
    return new Client(sparsity);
  }

  static final class Client implements ClientAlgorithm {
    private final double sparsity;
    /** The masks of the last {@link #train}, which {@link #uplink} sends; the actor calls them in turn. */
    private MaskSet kept;

    Client(double sparsity) {
      this.sparsity = sparsity;
    }

    @Override
    public TrainingResult train(LocalTrainer trainer, Model start, Dataset data, int[] examples, long seed) {
      Model trained = trainer.train(start, data, examples, seed).model();
      kept = new MagnitudePruner().masks(trained, sparsity);
      ModelBuffer pruned = ModelBuffer.copyOf(trained);
      for (int t = 0; t < pruned.spec().tensorCount(); t++) {
        int tensor = t;
        kept.mask(t).ifPresent(mask -> TensorOps.applyMask(pruned.tensor(tensor), mask));
      }
      return trainer.trainPruned(pruned.toModel(), kept, data, examples, seed + 1);
    }

    @Override
    public Payload uplink(Payload downlink, Model start, Model trained) {
      if (kept == null) {
        throw new IllegalStateException("pqsu uplink before its training");
      }
      List<Section> sections = new ArrayList<>();
      for (int t = 0; t < trained.spec().tensorCount(); t++) {
        var mask = kept.mask(t);
        sections.add(mask.isPresent()
            ? new MaskedSection(t, mask.get(), TensorOps.gather(trained.tensor(t), mask.get()))
            : new DenseSection(t, trained.tensor(t)));
      }
      // An idle client keeps no masks between rounds: the next training draws new ones.
      kept = null;
      return new Payload(sections);
    }
  }

}
