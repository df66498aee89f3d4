package io.csfl.strategy;

import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Section;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorOps;
import java.util.ArrayList;
import java.util.List;

/**
 * Uplink top-k sparsification with error feedback (the classic baseline, e.g. Aji and Heafield
 * 2017; Sattler et al. 2019): the server ships the dense model; each client sends, per tensor,
 * the largest-magnitude fraction {@code density} of its update (trained minus received) plus what
 * it did not send earlier, keeping the rest as a local residual; the server adds the
 * example-weighted mean of the sparse updates to the model.
 */
public final class TopKSparsification implements FederatedStrategy {
  public static final String NAME = "topk";
  private final double density;

  public TopKSparsification(double density) {
    if (!(density > 0 && density <= 1)) {
      throw new IllegalArgumentException("top-k density must be in (0, 1], got " + density);
    }
    this.density = density;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds) {
    return new Server(initial);
  }

  @Override
  public ClientAlgorithm newClient() {
    return new Client(density);
  }

  static final class Client implements ClientAlgorithm {
    private final double density;
    private float[][] residual;

    Client(double density) {
      this.density = density;
    }


    @Override
    public Payload uplink(Payload downlink, Model start, Model trained) {
      ModelSpec spec = trained.spec();
      if (residual == null) {
        residual = new float[spec.tensorCount()][];
        for (int t = 0; t < residual.length; t++) {
          residual[t] = new float[spec.tensor(t).size()];
        }
      }
      List<Section> sections = new ArrayList<>();
      for (int t = 0; t < spec.tensorCount(); t++) {
        float[] update = trained.tensor(t).toArray();
        float[] before = start.tensor(t).toArray();
        for (int i = 0; i < update.length; i++) {
          update[i] -= before[i];
        }
        Mask chosen = TopK.selectWithFeedback(update, residual[t], TopK.count(update.length, density));
        sections.add(new MaskedSection(t, chosen, TensorOps.gather(update, chosen)));
      }
      return new Payload(sections);
    }
  }

  /** The new model is the current one plus the mean of the clients' sparse deltas. */
  private static final class Server extends AveragingServer {
    Server(Model initial) {
      super(initial, WeightedSum.Expect::anySubset);
    }

    @Override
    void next(float[] current, float[] mean) {
      for (int i = 0; i < current.length; i++) {
        current[i] += mean[i];
      }
    }
  }
}
