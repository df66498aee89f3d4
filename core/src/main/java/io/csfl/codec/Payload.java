package io.csfl.codec;

import java.util.List;
import java.util.Optional;

/**
 * The tensor content of one message: at most one section per tensor, in ascending tensor order.
 * What a strategy sends and receives; the actors carry it without looking inside.
 */
public record Payload(List<Section> sections) {
  public Payload {
    sections = List.copyOf(sections);
    int previous = -1;
    for (Section s : sections) {
      if (s.tensor() <= previous) {
        throw new IllegalArgumentException("sections must have strictly ascending tensor indices, got " + s.tensor() + " after " + previous);
      }
      previous = s.tensor();
    }
  }

  public Optional<Section> section(int tensor) {
    for (Section s : sections) {
      if (s.tensor() == tensor) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  public long valueCount() {
    return sections.stream().mapToLong(Section::valueCount).sum();
  }
}
