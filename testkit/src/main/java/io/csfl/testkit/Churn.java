package io.csfl.testkit;

import io.csfl.actor.ChurnModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What goes wrong during a simulated federation, decided in advance so that a test sees the same
 * churn on every run: clients that disappear mid-round and clients that answer late (both drawn
 * per client and round from a seed, as {@link ChurnModel} draws them), and whole nodes that are
 * shut down or started at fixed rounds.
 *
 * <p>Immutable: every method returns a new value, so one churn can be shared between tests.
 */
public final class Churn {
  /** An event on a whole node, at the start of a round. */
  record NodeEvent(int round, String node) {}

  private final long seed;
  private final double dropRate;
  private final double stragglerRate;
  private final Duration stragglerDelay;
  private final List<NodeEvent> kills;
  private final List<NodeEvent> lateJoins;

  private Churn(long seed, double dropRate, double stragglerRate, Duration stragglerDelay,
                List<NodeEvent> kills, List<NodeEvent> lateJoins) {
    // The model checks the rates, so the testkit accepts exactly what a simulation accepts.
    new ChurnModel(dropRate, stragglerRate, seed);
    this.seed = seed;
    this.dropRate = dropRate;
    this.stragglerRate = stragglerRate;
    this.stragglerDelay = stragglerDelay;
    this.kills = Collections.unmodifiableList(kills);
    this.lateJoins = Collections.unmodifiableList(lateJoins);
  }

  /** No churn at all: every client answers every round it is sampled for. */
  public static Churn none() {
    return seeded(0);
  }

  /**
   * Churn whose random parts (drops, stragglers) are drawn from {@code seed}: the same seed gives
   * the same clients dropping and straggling in the same rounds, whatever else the run does.
   */
  public static Churn seeded(long seed) {
    return new Churn(seed, 0, 0, Duration.ZERO, List.of(), List.of());
  }

  /**
   * Each client, in each round it is sampled for, disappears with probability {@code rate}: its
   * actor stops when the round's model reaches it, and it is gone for the rest of the run, as a
   * phone that is switched off.
   */
  public Churn dropRate(double rate) {
    return new Churn(seed, rate, stragglerRate, stragglerDelay, kills, lateJoins);
  }

  /**
   * Each client, in each round it is sampled for, starts training {@code delay} late with
   * probability {@code rate} (a slow or busy device). A delay past the round's timeout makes it
   * miss the round; a shorter one only slows the round down.
   */
  public Churn stragglers(double rate, Duration delay) {
    if (delay == null || delay.isNegative()) {
      throw new IllegalArgumentException("the straggler delay must be zero or more, got " + delay);
    }
    return new Churn(seed, dropRate, rate, delay, kills, lateJoins);
  }

  /**
   * Shuts the ActorSystem of {@code node} down before round {@code round} starts (after round
   * {@code round - 1} is committed), so the clients on it are missing from that round on. Round
   * {@code round} still samples from the clients the server knew as round {@code round - 1} ended,
   * since the leave reaches it as the round starts: those of the node's clients it samples count as
   * selected and drop out at once, without delaying the round. Needs a
   * run of several nodes; see {@link Federation.Builder#nodes(int)} for the node names.
   */
  public Churn killNodeAt(int round, String node) {
    return new Churn(seed, dropRate, stragglerRate, stragglerDelay, with(kills, event(round, node)), lateJoins);
  }

  /**
   * Starts the ActorSystem of {@code node} only once round {@code round - 1} is committed, instead
   * of with the others: its clients join the running federation and are sampled from the first
   * round that starts after the server has taken them on. The server samples round {@code round}
   * as soon as the node is up, before its handshakes with the new clients are answered, so that is
   * round {@code round + 1} on a machine that is not badly overloaded, and no earlier in any case.
   * Needs a run of several nodes; see {@link Federation.Builder#nodes(int)} for the node names.
   */
  public Churn joinLateAt(int round, String node) {
    return new Churn(seed, dropRate, stragglerRate, stragglerDelay, kills, with(lateJoins, event(round, node)));
  }

  private static NodeEvent event(int round, String node) {
    if (round < 2) {
      throw new IllegalArgumentException("a node event needs a round of 2 or more (before round 1 the node is simply absent or present), got "
          + round);
    }
    if (node == null || node.isBlank()) {
      throw new IllegalArgumentException("a node event needs a node name");
    }
    return new NodeEvent(round, node);
  }

  private static List<NodeEvent> with(List<NodeEvent> events, NodeEvent event) {
    List<NodeEvent> out = new ArrayList<>(events);
    out.add(event);
    return out;
  }

  ChurnModel model() {
    return new ChurnModel(dropRate, stragglerRate, seed);
  }

  Duration stragglerDelay() {
    return stragglerDelay;
  }

  List<NodeEvent> kills() {
    return kills;
  }

  List<NodeEvent> lateJoins() {
    return lateJoins;
  }

  @Override
  public String toString() {
    return "Churn[seed=" + seed + ", dropRate=" + dropRate + ", stragglers=" + stragglerRate + " by " + stragglerDelay
        + ", kills=" + kills + ", lateJoins=" + lateJoins + "]";
  }
}
