package io.csfl.actor;

import io.csfl.internal.actor.ControlMessage;
import java.util.List;

/**
 * What the collector saw in one attempt at a round.
 *
 * @param round     the round, counted from 1
 * @param attempt   the attempt at that round, counted from 1
 * @param token     the attempt's token, which the server gave the collector: the report is believed only with it
 * @param selected  clients the round was sent to
 * @param completed updates accepted by the collector and forwarded to the aggregator
 * @param dropped   selected clients that stopped (or whose node left) before answering
 * @param failed    clients that answered that their training failed
 * @param timedOut  clients still silent at the deadline
 * @param notNeeded over-selected clients still training when enough updates were in
 * @param rejected  messages refused by the collector (stale round, unselected, duplicate), with reasons: the
 *                  first 100, then an entry that counts the others
 * @param bytesDown serialized size of the round messages sent to the clients
 * @param bytesUp   serialized size of every update that arrived, accepted or not
 * @param trainMillis    the clients' own training time, summed over the accepted updates, in milliseconds
 * @param overheadMillis the clients' other handling time (downlink decoding, uplink building), summed likewise
 * @param selectedIds the clients the round was sent to
 * @param trainedIds  the clients whose update was accepted
 * @param droppedIds  the selected clients that stopped during the attempt: the server takes them out
 *                    of its sampling at once, though it may learn of their end later
 * @param failures    the confirmed failures, each naming its client and what it reported
 * @param cutOff      the collector stopped before it closed the attempt (the server gave it up): only
 *                    what the attempt spent counts, its bytes, client times and selections
 */
record RoundReport(int round, int attempt, long token, int selected, int completed, int dropped, int failed, int timedOut,
                          int notNeeded, List<String> rejected, long bytesDown, long bytesUp, long trainMillis, long overheadMillis,
                          List<String> selectedIds, List<String> trainedIds, List<String> droppedIds,
                          List<String> failures, boolean cutOff)
    implements ControlMessage {
  /**
   * Copies the five lists into immutable lists; more than 65,536 entries in one throw
   * {@link IllegalArgumentException}.
   */
  public RoundReport {
    rejected = Bounded.copyOf(rejected, "rejected");
    selectedIds = Bounded.copyOf(selectedIds, "selected ids");
    trainedIds = Bounded.copyOf(trainedIds, "trained ids");
    droppedIds = Bounded.copyOf(droppedIds, "dropped ids");
    failures = Bounded.copyOf(failures, "failures");
  }
}
