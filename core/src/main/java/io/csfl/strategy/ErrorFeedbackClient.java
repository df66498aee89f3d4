package io.csfl.strategy;

import io.csfl.codec.Payload;
import io.csfl.codec.Section;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * A client that compresses its update (trained minus received) tensor by tensor, keeping what the
 * compression drops as a residual that is added to its next update (error feedback).
 */
abstract class ErrorFeedbackClient implements ClientAlgorithm {
  private final double density;
  /** Null until the client's first update: an idle client holds none. */
  private Residual residual;

  ErrorFeedbackClient(double density) {
    this.density = density;
  }

  /**
   * The section sent for one tensor, keeping {@code k} values of {@code update}; adds the residual
   * first and leaves in it what was not sent.
   */
  abstract Section compress(int tensor, float[] update, float[] residual, int k);

  @Override
  public Payload uplink(Payload downlink, Model start, Model trained) {
    ModelSpec spec = trained.spec();
    if (residual == null) {
      residual = new Residual(spec);
    }
    List<Section> sections = new ArrayList<>(spec.tensorCount());
    for (int t = 0; t < spec.tensorCount(); t++) {
      float[] update = trained.tensor(t).toArray();
      float[] before = start.tensor(t).toArray();
      for (int i = 0; i < update.length; i++) {
        update[i] -= before[i];
      }
      float[] carried = residual.expand(t);
      sections.add(compress(t, update, carried, TopK.count(update.length, density)));
      residual.store(t, carried);
    }
    return new Payload(sections);
  }

  /** The bytes this client's residual takes now: none before its first update. */
  long residualBytes() {
    return residual == null ? 0 : residual.bytes();
  }
}
