package io.csfl.strategy;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Section;
import io.csfl.codec.TernarySection;
import io.csfl.tensor.Mask;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorOps;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Conversions between models and payloads shared by the strategies. */
public final class Payloads {
  private Payloads() {}

  /** Every tensor dense, in float32. */
  public static Payload dense(Model model) {
    return dense(model, io.csfl.codec.Precision.FP32);
  }

  /** Every tensor dense, in {@code precision}. */
  public static Payload dense(Model model, io.csfl.codec.Precision precision) {
    List<Section> sections = new ArrayList<>();
    for (int t = 0; t < model.spec().tensorCount(); t++) {
      sections.add(new DenseSection(t, model.tensor(t)));
    }
    return new Payload(sections, precision);
  }

  /**
   * Masked tensors as their mask and kept values, the others dense: the sparse model CS ships.
   * {@code model} must already be zero outside the masks.
   */
  public static Payload sparse(Model model, Optional<io.csfl.tensor.MaskSet> masks, io.csfl.codec.Precision precision) {
    if (masks.isEmpty()) {
      return dense(model, precision);
    }
    List<Section> sections = new ArrayList<>();
    for (int t = 0; t < model.spec().tensorCount(); t++) {
      Optional<Mask> mask = masks.get().mask(t);
      sections.add(mask.isPresent()
          ? new MaskedSection(t, mask.get(), TensorOps.gather(model.tensor(t), mask.get()))
          : new DenseSection(t, model.tensor(t)));
    }
    return new Payload(sections, precision);
  }

  /**
   * The model a downlink describes: dense sections as they are, masked sections with zeros at the
   * pruned positions. Fails when the payload does not cover every tensor of {@code spec}.
   */
  public static Model toModel(Payload payload, ModelSpec spec) {
    requireAllTensors(payload, spec);
    List<Values> tensors = new ArrayList<>(spec.tensorCount());
    for (Section s : payload.sections()) {
      int size = spec.tensor(s.tensor()).size();
      if (s instanceof DenseSection d && d.values().length() == size) {
        tensors.add(d.values());
      } else if (s instanceof MaskedSection m && m.mask().length() == size) {
        tensors.add(Values.copyOf(TensorOps.scatter(m.mask(), m.values())));
      } else {
        throw new IllegalArgumentException("downlink section for " + spec.tensor(s.tensor()).name() + " does not describe a tensor of " + size
            + " values, as the receiver's model has it (does the server's model fit the clients' trainer?): " + s);
      }
    }
    return Model.of(spec, tensors);
  }

  /**
   * {@code base} plus the difference {@code delta} (a {@link Payload#isDelta() delta} downlink):
   * ternary, masked or dense sections, at least one per tensor, added in order.
   */
  public static Model plus(Model base, Payload delta) {
    ModelSpec spec = base.spec();
    if (delta.sections().stream().mapToInt(Section::tensor).distinct().count() != spec.tensorCount()
        || delta.sections().get(delta.sections().size() - 1).tensor() != spec.tensorCount() - 1) {
      throw new IllegalArgumentException("a difference must cover each of the model's " + spec.tensorCount() + " tensors");
    }
    ModelBuffer sum = ModelBuffer.copyOf(base);
    // In section order: the server added its rounds' updates in that order, so the sums agree to the bit.
    for (Section s : delta.sections()) {
      float[] target = sum.tensor(s.tensor());
      int size = target.length;
      if (s instanceof TernarySection r && r.support().length() == size) {
        int[] positions = r.support().positions();
        for (int j = 0; j < positions.length; j++) {
          target[positions[j]] += r.value(j);
        }
      } else if (s instanceof MaskedSection m && m.mask().length() == size) {
        TensorOps.scatterAdd(target, m.mask(), m.values(), 1f);
      } else if (s instanceof DenseSection d && d.values().length() == size) {
        TensorOps.addScaled(target, d.values(), 1f);
      } else {
        throw new IllegalArgumentException("difference section for " + spec.tensor(s.tensor()).name() + " does not describe a tensor of " + size + " values: " + s);
      }
    }
    return sum.toModel();
  }

  static void requireAllTensors(Payload payload, ModelSpec spec) {
    List<Section> sections = payload.sections();
    if (sections.size() != spec.tensorCount()) {
      throw new IllegalArgumentException("payload has sections for " + sections.size() + " tensors, the model has " + spec.tensorCount());
    }
    for (int i = 0; i < sections.size(); i++) {
      if (sections.get(i).tensor() != i) {
        throw new IllegalArgumentException("payload section " + i + " is for tensor " + sections.get(i).tensor()
            + ": a whole model has one section per tensor, in order");
      }
    }
  }
}
