package io.csfl.strategy;

import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.PatchSection;
import io.csfl.codec.Section;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.util.Optional;

/**
 * The global model a client was last sent, with its masks and its round: what a difference
 * downlink starts from. Part of a client algorithm's state, so confined to its actor; the model
 * itself is the node's one copy, shared with every client that holds the same one
 * ({@link HeldModels}).
 */
final class HeldModel {
  private final String algorithm;
  private final HeldModels cache;
  /** Null until the first downlink. */
  private HeldModels.Lease lease;
  /** The round whose global model {@link #lease} holds. */
  private int round = Payload.ABSOLUTE;

  HeldModel(String algorithm) {
    this(algorithm, HeldModels.NODE);
  }

  HeldModel(String algorithm, HeldModels cache) {
    this.algorithm = algorithm;
    this.cache = cache;
  }

  /**
   * Rebuilds the model of the downlink of {@code round}, which this client then holds as the
   * global model of round {@code round - 1}: a model in itself, or a difference (patches, or STC's
   * updates to add) from the model it holds.
   *
   * @throws IllegalStateException when the downlink is a difference from a model this client does
   *     not hold; what it held stays
   */
  Model receive(int round, Payload downlink, ModelSpec spec) {
    Patches.Sparse next;
    if (!downlink.isDelta()) {
      next = new Patches.Sparse(Payloads.toModel(downlink, spec), masksOf(downlink, spec));
    } else if (lease == null || this.round != downlink.base()) {
      throw new IllegalStateException(algorithm + ": the downlink is a difference from the model of round " + downlink.base()
          + ", but this client holds " + (lease == null ? "none" : "the model of round " + this.round));
    } else if (downlink.sections().stream().anyMatch(s -> s instanceof PatchSection)) {
      next = Patches.apply(lease.model(), downlink);
    } else {
      next = new Patches.Sparse(Payloads.plus(lease.model().model(), downlink), lease.model().masks());
    }
    HeldModels.Lease previous = lease;
    lease = cache.acquire(algorithm, round - 1, next);
    if (previous != null) {
      cache.release(previous);
    }
    this.round = round - 1;
    return lease.model().model();
  }

  /** The kept positions of tensor {@code t} in the model last received; empty when it is dense. */
  Optional<Mask> mask(int t) {
    return lease == null ? Optional.empty() : lease.model().mask(t);
  }

  private static Optional<MaskSet> masksOf(Payload downlink, ModelSpec spec) {
    Mask[] masks = new Mask[spec.tensorCount()];
    boolean any = false;
    for (Section s : downlink.sections()) {
      if (s instanceof MaskedSection m) {
        masks[s.tensor()] = m.mask();
        any = true;
      }
    }
    return any ? Optional.of(MaskSet.of(spec, masks)) : Optional.empty();
  }
}
