package io.csfl.actor;

import java.util.List;

/** The lists a message may carry, checked as the message is built, also when a deserializer builds it. */
final class Bounded {
  /** More than any federation's clients per round, or rounds. */
  static final int MAX_ENTRIES = 1 << 16;

  private Bounded() {}

  static <T> List<T> copyOf(List<T> list, String what) {
    if (list.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException(what + " has " + list.size() + " entries, at most " + MAX_ENTRIES + " allowed");
    }
    return List.copyOf(list);
  }
}
