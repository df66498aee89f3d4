package io.csfl.codec;

import java.util.List;
import java.util.Optional;

/**
 * The tensor content of one message, and the precision its values travel in. Sections are in
 * ascending tensor order; a tensor may have more than one section only of different kinds (CS
 * with 1-bit kept updates sends a tensor's complement values and its signs). What a strategy
 * sends and receives; the actors carry it without looking inside.
 *
 * <p>A downlink is normally a model in itself ({@code base} {@link #ABSOLUTE}). It may instead be
 * the difference from the global model of round {@code base}, for a client the server knows holds
 * that model (STC's downlink); such a client checks that it does before adding the difference.
 * A difference may carry several ternary sections per tensor, the server's updates of several
 * rounds, to be added in order.
 *
 * @param sections the tensors' sections, in the order described above; copied
 * @param precision the precision the float values travel in (signs' scales and ternary magnitudes
 *     are always float32)
 * @param base the round whose global model this is the difference from, or {@link #ABSOLUTE}
 */
public record Payload(List<Section> sections, Precision precision, int base) {
  /** The {@code base} of a payload that is not a difference from an earlier model. */
  public static final int ABSOLUTE = -1;

  /**
   * Copies the sections and checks their order; throws IllegalArgumentException when they are out
   * of order or {@code base} is below {@link #ABSOLUTE}.
   */
  public Payload {
    sections = List.copyOf(sections);
    java.util.Objects.requireNonNull(precision, "precision");
    if (base < ABSOLUTE) {
      throw new IllegalArgumentException("base round must be a round >= 0 or ABSOLUTE, got " + base);
    }
    Section previous = null;
    for (Section s : sections) {
      // A difference may list several ternary sections of one tensor: one per round, oldest first.
      boolean repeatable = base != ABSOLUTE && s instanceof TernarySection;
      if (previous != null && (s.tensor() < previous.tensor()
          || (s.tensor() == previous.tensor() && s.getClass() == previous.getClass() && !repeatable))) {
        throw new IllegalArgumentException("sections must be in ascending tensor order, one of each kind per tensor; got "
            + s.getClass().getSimpleName() + " of tensor " + s.tensor() + " after " + previous.getClass().getSimpleName() + " of tensor " + previous.tensor());
      }
      previous = s;
    }
  }

  /** A payload that is a model in itself, not a difference. */
  public Payload(List<Section> sections, Precision precision) {
    this(sections, precision, ABSOLUTE);
  }

  /** Values in float32. */
  public Payload(List<Section> sections) {
    this(sections, Precision.FP32);
  }

  /** Whether this is the difference from the global model of round {@link #base()}. */
  public boolean isDelta() {
    return base != ABSOLUTE;
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

  /**
   * Number of float values over all sections (signs and ternary values count one each): the
   * payload's size in values rather than bytes.
   */
  public long valueCount() {
    return sections.stream().mapToLong(Section::valueCount).sum();
  }
}
