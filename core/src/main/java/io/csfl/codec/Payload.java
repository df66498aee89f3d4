package io.csfl.codec;

import java.util.List;
import java.util.Optional;

/**
 * The tensor content of one message, and the precision its values travel in. Sections are in
 * ascending tensor order; a tensor may have more than one section only of different kinds (CS
 * with 1-bit kept updates sends a tensor's complement values and its signs). What a strategy
 * sends and receives; the actors carry it without looking inside.
 */
public record Payload(List<Section> sections, Precision precision) {
  public Payload {
    sections = List.copyOf(sections);
    java.util.Objects.requireNonNull(precision, "precision");
    Section previous = null;
    for (Section s : sections) {
      if (previous != null && (s.tensor() < previous.tensor()
          || (s.tensor() == previous.tensor() && s.getClass() == previous.getClass()))) {
        throw new IllegalArgumentException("sections must be in ascending tensor order, one of each kind per tensor; got "
            + s.getClass().getSimpleName() + " of tensor " + s.tensor() + " after " + previous.getClass().getSimpleName() + " of tensor " + previous.tensor());
      }
      previous = s;
    }
  }

  /** Values in float32. */
  public Payload(List<Section> sections) {
    this(sections, Precision.FP32);
  }

  /** The first section of {@code tensor}. */
  public Optional<Section> section(int tensor) {
    for (Section s : sections) {
      if (s.tensor() == tensor) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /** The section of {@code tensor} of the given kind. */
  public <T extends Section> Optional<T> section(int tensor, Class<T> kind) {
    for (Section s : sections) {
      if (s.tensor() == tensor && kind.isInstance(s)) {
        return Optional.of(kind.cast(s));
      }
    }
    return Optional.empty();
  }

  public long valueCount() {
    return sections.stream().mapToLong(Section::valueCount).sum();
  }
}
