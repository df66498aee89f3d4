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
 * shut down, started late or started again at fixed rounds.
 *
 * <p>Immutable: every method returns a new value, so one churn can be shared between tests.
 */
public final class Churn {
  /** An event on a whole node, at the start of a round. */
  record NodeEvent(int round, String node, Kind kind) {
    enum Kind {
      KILL("killNodeAt"), JOIN_LATE("joinLateAt"), REJOIN("rejoinAt");

      /** The method that describes it, for messages. */
      final String method;

      Kind(String method) {
        this.method = method;
      }
    }
  }

  private final long seed;
  private final double dropRate;
  private final double stragglerRate;
  private final Duration stragglerDelay;
  private final List<NodeEvent> nodeEvents;

  private Churn(long seed, double dropRate, double stragglerRate, Duration stragglerDelay, List<NodeEvent> nodeEvents) {
    // The model checks the rates, so the testkit accepts exactly what a simulation accepts.
    new ChurnModel(dropRate, stragglerRate, seed);
    this.seed = seed;
    this.dropRate = dropRate;
    this.stragglerRate = stragglerRate;
    this.stragglerDelay = stragglerDelay;
    this.nodeEvents = Collections.unmodifiableList(nodeEvents);
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
    return new Churn(seed, 0, 0, Duration.ZERO, List.of());
  }

  /**
   * Each client, in each round it is sampled for, disappears with probability {@code rate}: its
   * actor stops when the round's model reaches it, and it is gone for the rest of the run, as a
   * phone that is switched off.
   */
  public Churn dropRate(double rate) {
    return new Churn(seed, rate, stragglerRate, stragglerDelay, nodeEvents);
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
    return new Churn(seed, dropRate, rate, delay, nodeEvents);
  }

  /**
   * Shuts the ActorSystem of {@code node} down before round {@code round} starts (after round
   * {@code round - 1} is committed), so the clients on it are missing from that round on. Round
   * {@code round} still samples from the clients the server knew as round {@code round - 1} ended,
   * since the leave reaches it as the round starts: those of the node's clients it samples count as
   * selected and drop out at once, without delaying the round. {@link #rejoinAt} can start it
   * again later. Needs a run of several nodes; see {@link Federation.Builder#nodes(int)} for the
   * node names.
   */
  public Churn killNodeAt(int round, String node) {
    return with(event(round, node, NodeEvent.Kind.KILL));
  }

  /**
   * Starts the ActorSystem of {@code node} only once round {@code round - 1} is committed, instead
   * of with the others: its clients join the running federation and are sampled from the first
   * round that starts after the server has taken them on. The server samples round {@code round}
   * as soon as the node is up, before its handshakes with the new clients are answered, so that is
   * round {@code round + 1} on a machine that is not badly overloaded, and no earlier in any case.
   * It must be the node's first event. Needs a run of several nodes; see
   * {@link Federation.Builder#nodes(int)} for the node names.
   */
  public Churn joinLateAt(int round, String node) {
    return with(event(round, node, NodeEvent.Kind.JOIN_LATE));
  }

  /**
   * Starts again, once round {@code round - 1} is committed, the ActorSystem of a {@code node} that
   * {@link #killNodeAt} shut down in an earlier round: a site that comes back after an outage.
   * Its clients are new actors with the same ids and the same data, and nothing of the state the
   * old ones held (a client's error-feedback residual starts from zero again); a client that
   * {@link #dropRate dropped out} before comes back with them. The server takes them on as it
   * takes on a {@link #joinLateAt late node}'s clients, so they are sampled again from round
   * {@code round + 1} on a machine that is not badly overloaded, and no earlier in any case. A node
   * may be killed and started again several times, in alternation.
   */
  public Churn rejoinAt(int round, String node) {
    return with(event(round, node, NodeEvent.Kind.REJOIN));
  }

  private Churn with(NodeEvent event) {
    List<NodeEvent> events = new ArrayList<>(nodeEvents);
    events.add(event);
    return new Churn(seed, dropRate, stragglerRate, stragglerDelay, events);
  }

  private static NodeEvent event(int round, String node, NodeEvent.Kind kind) {
    if (round < 2) {
      throw new IllegalArgumentException("a node event needs a round of 2 or more (before round 1 the node is simply absent or present), got "
          + round);
    }
    if (node == null || node.isBlank()) {
      throw new IllegalArgumentException("a node event needs a node name");
    }
    return new NodeEvent(round, node, kind);
  }

  ChurnModel model() {
    return new ChurnModel(dropRate, stragglerRate, seed);
  }

  Duration stragglerDelay() {
    return stragglerDelay;
  }

  /** The node events, in the order they were described. */
  List<NodeEvent> nodeEvents() {
    return nodeEvents;
  }

  @Override
  public String toString() {
    return "Churn[seed=" + seed + ", dropRate=" + dropRate + ", stragglers=" + stragglerRate + " by " + stragglerDelay
        + ", nodeEvents=" + nodeEvents + "]";
  }
}
