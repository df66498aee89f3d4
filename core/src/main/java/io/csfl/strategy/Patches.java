package io.csfl.strategy;

import io.csfl.codec.Payload;
import io.csfl.codec.PatchSection;
import io.csfl.codec.Precision;
import io.csfl.codec.Section;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorOps;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The difference between two sparse models as {@link PatchSection}s: what a CS server sends a
 * client that holds an earlier global model, and how that client applies it.
 *
 * <p>Why it pays: in CS the kept weights only change when pruning swaps them, so a client that
 * returns a few rounds later needs the few positions that moved in or out of the masks, the
 * values that changed, and the biases, not the whole sparse model again. Applying the patch built
 * from {@code held} to {@code next} onto {@code held} gives {@code next} to the bit, in the
 * precision the patch travels in: a value the server left unchanged was rounded the same way
 * when the client first received it.
 */
final class Patches {
  private Patches() {}

  /**
   * A model and the masks it was shipped with.
   *
   * @param model the model as shipped, with zeros at the positions its masks prune
   * @param masks empty when every tensor is dense (round 1, warm-up); otherwise zero is outside them
   */
  public record Sparse(Model model, Optional<MaskSet> masks) {
    /** The kept positions of tensor {@code t}: all of them for a dense tensor. */
    Mask kept(int t) {
      return mask(t).orElseGet(() -> Mask.all(model.spec().tensor(t).size()));
    }

    Optional<Mask> mask(int t) {
      return masks.flatMap(m -> m.mask(t));
    }
  }

  /**
   * The patch that turns {@code held} (the global model of round {@code baseRound}) into
   * {@code next}; empty when a tensor is masked in one and dense in the other (the first pruning),
   * where a patch would say everything anyway.
   */
  public static Optional<Payload> between(int baseRound, Sparse held, Sparse next, Precision precision) {
    ModelSpec spec = next.model().spec();
    List<Section> sections = new ArrayList<>(spec.tensorCount());
    for (int t = 0; t < spec.tensorCount(); t++) {
      if (held.mask(t).isPresent() != next.mask(t).isPresent()) {
        return Optional.empty();
      }
      Mask before = held.kept(t);
      Mask after = next.kept(t);
      float[] old = held.model().tensor(t).toArray();
      float[] now = next.model().tensor(t).toArray();
      int[] positions = after.positions();
      long[] rewritten = new long[(positions.length + 63) >>> 6];
      for (int j = 0; j < positions.length; j++) {
        int p = positions[j];
        // Compared as bits: an unchanged value needs no resending, whatever its sign of zero.
        if (!before.get(p) || Float.floatToRawIntBits(old[p]) != Float.floatToRawIntBits(now[p])) {
          rewritten[j >>> 6] |= 1L << j;
        }
      }
      Mask changed = Mask.fromWords(positions.length, rewritten);
      sections.add(new PatchSection(t, before.xor(after), changed, TensorOps.gather(TensorOps.gather(now, after), changed)));
    }
    return Optional.of(new Payload(sections, precision, baseRound));
  }

  /**
   * {@code held} with {@code patch} applied: one patch section per tensor.
   *
   * @throws IllegalArgumentException when the patch does not fit the held model (a dense tensor
   *     asked to change its kept positions, or a count of rewritten bits that is not the new
   *     number of kept positions): it was built from another model
   */
  public static Sparse apply(Sparse held, Payload patch) {
    ModelSpec spec = held.model().spec();
    Payloads.requireAllTensors(patch, spec);
    ModelBuffer out = ModelBuffer.copyOf(held.model());
    Mask[] masks = new Mask[spec.tensorCount()];
    for (Section s : patch.sections()) {
      int t = s.tensor();
      if (!(s instanceof PatchSection p)) {
        throw new IllegalArgumentException("expected a patch section for " + spec.tensor(t).name() + ", got " + s.getClass().getSimpleName());
      }
      Mask before = held.kept(t);
      if (p.flips().length() != before.length()) {
        throw new IllegalArgumentException("patch of " + spec.tensor(t).name() + " covers " + p.flips().length() + " positions, the tensor has " + before.length());
      }
      if (held.mask(t).isEmpty() && p.flips().cardinality() > 0) {
        throw new IllegalArgumentException("patch moves kept positions of " + spec.tensor(t).name() + ", which is dense");
      }
      Mask after = before.xor(p.flips());
      if (p.rewritten().length() != after.cardinality()) {
        throw new IllegalArgumentException("patch of " + spec.tensor(t).name() + " marks " + p.rewritten().length() + " kept positions, the patched tensor keeps "
            + after.cardinality() + ": it was built from another model");
      }
      float[] target = out.tensor(t);
      TensorOps.applyMask(target, after);
      int[] positions = after.positions();
      int[] marked = p.rewritten().positions();
      Values values = p.values();
      for (int i = 0; i < marked.length; i++) {
        target[positions[marked[i]]] = values.get(i);
      }
      masks[t] = held.mask(t).isPresent() ? after : null;
    }
    return new Sparse(out.toModel(), held.masks().map(m -> MaskSet.of(spec, masks)));
  }
}
