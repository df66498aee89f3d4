package io.csfl.actor;

import java.util.ArrayList;
import java.util.List;

/**
 * The refusals of one attempt at a round, as its report names them: the first {@link #NAMED}, each
 * cut for a log line, and past them only a count. A peer can send messages that are refused as
 * fast as it likes; the report that lists them, the messages that carry it and the log stay small
 * however many it sends.
 */
final class Refusals {
  /** Refusals named per attempt; the others are counted. */
  static final int NAMED = 100;

  private final List<String> named = new ArrayList<>();
  private int count;

  /**
   * Records {@code entry}, text of a peer's among it. True when it is named, and so is to be
   * logged; false past the first {@link #NAMED}, when it is only counted.
   */
  boolean add(String entry) {
    count++;
    if (named.size() < NAMED) {
      named.add(ControlChecks.forLog(entry));
      return true;
    }
    return false;
  }

  /** True for the first refusal past the named ones: the moment to log, once, that the rest are only counted. */
  boolean justFull() {
    return count == NAMED + 1;
  }

  /**
   * Records {@code entry} as {@link #add} does and logs the refusal in round {@code round} as
   * {@code what}, a peer's text among it, cut for a log line; past the named ones it logs once
   * that the others ({@code things}) are only counted.
   */
  void addAndLog(String entry, String what, org.slf4j.Logger log, int round, String things) {
    if (add(entry)) {
      log.warn("round {}: refused {}", round, ControlChecks.forLog(what));
    } else if (justFull()) {
      log.warn("round {}: more than {} {} refused; the others are counted, not named", round, NAMED, things);
    }
  }

  /** Every refusal recorded, named or not. */
  int count() {
    return count;
  }

  /** The named refusals, then, if there were more, one entry that counts the others. */
  List<String> list() {
    if (count == named.size()) {
      return List.copyOf(named);
    }
    List<String> all = new ArrayList<>(named);
    all.add((count - named.size()) + " more refused, not named");
    return List.copyOf(all);
  }

  /** The first {@code n} named refusals. */
  List<String> first(int n) {
    return List.copyOf(named.subList(0, Math.min(n, named.size())));
  }
}
