package io.csfl.testkit;

import io.csfl.actor.Client;
import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.data.Partitioner;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.Strategies;
import io.csfl.strategy.StrategyParams;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A whole federation (server, aggregator, clients) for a test, built in the style of Akka's
 * {@code ActorTestKit}: describe it, {@link Builder#run() run} it, assert on the
 * {@link FederationResult}. It runs CSFL's real actors, either in one ActorSystem or spread over
 * several ActorSystems joined in a cluster on loopback, with every message serialized, so what
 * passes here passes the same code paths as a deployment.
 *
 * <pre>{@code
 * FederationResult result = Federation.builder()
 *     .trainer(myTrainer).evaluator(myEvaluator).data(train, Partitioner.parse("iid"))
 *     .algorithm("cs").clients(10).perRound(4).rounds(8).seed(1)
 *     .churn(Churn.seeded(7).dropRate(0.1).killNodeAt(3, "clients-2"))
 *     .nodes(3)
 *     .run();
 * }</pre>
 */
public final class Federation {
  /** The node that hosts the server and the aggregator (and, with {@code nodes(1)}, every client). */
  public static final String SERVER_NODE = "server";

  final LocalTrainer trainer;
  final Evaluator evaluator;
  final Model initial;
  final Dataset data;
  final Partitioner partitioner;
  /**
   * Each client's example indices, from the partitioner: split as the description is built, so a
   * split that cannot be made is refused there.
   */
  final List<int[]> parts;
  final FederatedStrategy strategy;
  final int clients;
  final int perRound;
  final int rounds;
  final long seed;
  final int minCompleted;
  final Duration roundTimeout;
  final Duration clientGrace;
  final Duration timeout;
  final Churn churn;
  final int nodes;

  private Federation(Builder b) {
    java.util.List<String> missing = new java.util.ArrayList<>();
    java.util.Map<String, Object> parts = new java.util.LinkedHashMap<>();
    parts.put("the trainer", b.trainer);
    parts.put("the evaluator", b.evaluator);
    parts.put("the data", b.data);
    parts.put("the partitioner", b.partitioner);
    parts.put("the algorithm", b.strategy);
    parts.put("the churn (Churn.none() for none)", b.churn);
    parts.forEach((part, given) -> {
      if (given == null) {
        missing.add(part);
      }
    });
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("a federation needs a trainer, an evaluator, data with a partitioner, an "
          + "algorithm and a churn; missing: " + String.join(", ", missing));
    }
    if (b.clients <= 0 || b.clients > b.data.size()) {
      throw new IllegalArgumentException("cannot give " + b.clients + " clients examples from " + b.data.size());
    }
    if (b.perRound <= 0 || b.rounds <= 0 || b.minCompleted <= 0 || b.minCompleted > b.perRound) {
      throw new IllegalArgumentException("clients per round, rounds and min completed must be positive, min completed at most "
          + "the clients per round; got " + b.perRound + ", " + b.rounds + " and " + b.minCompleted);
    }
    if (b.nodes <= 0 || (b.nodes > 1 && b.nodes - 1 > b.clients)) {
      throw new IllegalArgumentException("nodes must be 1, or 2 to clients + 1 (one server node and client nodes that "
          + "each host a client), got " + b.nodes + " for " + b.clients + " clients");
    }
    this.trainer = b.trainer;
    this.evaluator = b.evaluator;
    this.initial = b.initial != null ? b.initial : Model.zeros(b.trainer.spec());
    if (!initial.spec().equals(trainer.spec())) {
      throw new IllegalArgumentException("the initial model's spec differs from the trainer's: " + initial.spec() + " vs "
          + trainer.spec());
    }
    this.data = b.data;
    this.partitioner = b.partitioner;
    this.parts = List.copyOf(b.partitioner.split(b.data, b.clients, new java.util.Random(b.seed)));
    this.strategy = b.strategy;
    this.clients = b.clients;
    this.perRound = b.perRound;
    this.rounds = b.rounds;
    this.seed = b.seed;
    this.minCompleted = b.minCompleted;
    this.roundTimeout = b.roundTimeout;
    this.clientGrace = b.clientGrace;
    this.timeout = b.timeout;
    this.churn = b.churn;
    this.nodes = b.nodes;
    Set<String> names = clientsByNode().keySet();
    for (Churn.NodeEvent e : churn.nodeEvents()) {
      if (!names.contains(e.node()) || e.node().equals(SERVER_NODE)) {
        throw new IllegalArgumentException("churn names node " + e.node() + ", but the client nodes of this run are "
            + names.stream().filter(n -> !n.equals(SERVER_NODE)).toList() + " (nodes(" + nodes + "))");
      }
      if (e.round() > rounds) {
        throw new IllegalArgumentException("churn at round " + e.round() + " of a run of " + rounds + " rounds");
      }
    }
    checkNodeEventsInOrder(churn.nodeEvents());
  }

  /**
   * Checks that each node's events, in round order, can happen: a late join first, a kill while the
   * node is up, a rejoin while it is down, and at most one event per node and round.
   */
  private static void checkNodeEventsInOrder(List<Churn.NodeEvent> events) {
    Map<String, List<Churn.NodeEvent>> byNode = new LinkedHashMap<>();
    for (Churn.NodeEvent e : events) {
      byNode.computeIfAbsent(e.node(), n -> new ArrayList<>()).add(e);
    }
    for (List<Churn.NodeEvent> ofNode : byNode.values()) {
      ofNode.sort(Comparator.comparingInt(Churn.NodeEvent::round));
      Churn.NodeEvent previous = null;
      for (Churn.NodeEvent e : ofNode) {
        boolean up = previous == null ? e.kind() != Churn.NodeEvent.Kind.JOIN_LATE : previous.kind() != Churn.NodeEvent.Kind.KILL;
        String problem = previous != null && previous.round() == e.round() ? "has two events in one round"
            : e.kind() == Churn.NodeEvent.Kind.JOIN_LATE && previous != null ? "can only join late as its first event (rejoinAt starts a killed node again)"
            : e.kind() == Churn.NodeEvent.Kind.KILL && !up ? "is not up to be killed"
            : e.kind() == Churn.NodeEvent.Kind.REJOIN && up ? "is not down to rejoin (rejoinAt needs a killNodeAt in an earlier round)"
            : null;
        if (problem != null) {
          throw new IllegalArgumentException("node " + e.node() + " " + problem + ": " + e.kind().method + "(" + e.round() + ")"
              + (previous == null ? "" : " after " + previous.kind().method + "(" + previous.round() + ")"));
        }
        previous = e;
      }
    }
  }

  /** Starts the description of a federation; see {@link Builder} for what must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs the federation until its last round (or until it is aborted), then shuts every
   * ActorSystem down. Blocks the calling thread, which is what a test wants.
   *
   * @throws IllegalStateException when the server aborts training or the run outlasts
   *     {@link Builder#timeout(Duration)}, with the server's reason
   */
  public FederationResult run() {
    return new FederationRun(this).run();
  }

  /** Node name -> ids of the clients it hosts: client i lives on client node 1 + i mod (nodes - 1). */
  Map<String, List<String>> clientsByNode() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    out.put(SERVER_NODE, new ArrayList<>());
    for (int n = 1; n < nodes; n++) {
      out.put(clientNode(n), new ArrayList<>());
    }
    for (int i = 0; i < clients; i++) {
      out.get(nodes == 1 ? SERVER_NODE : clientNode(1 + i % (nodes - 1))).add(Client.id(i));
    }
    return out;
  }

  static String clientNode(int n) {
    return "clients-" + n;
  }

  /**
   * Describes a federation. Required: {@link #trainer}, {@link #evaluator} and {@link #data};
   * everything else has a default that makes a small, quick run.
   */
  public static final class Builder {
    private LocalTrainer trainer;
    private Evaluator evaluator;
    private Model initial;
    private Dataset data;
    private Partitioner partitioner;
    private FederatedStrategy strategy = Strategies.byName("cs", StrategyParams.defaults());
    private int clients = 10;
    private int perRound = 4;
    private int rounds = 3;
    private long seed = 1;
    private int minCompleted = 1;
    private Duration roundTimeout = Duration.ofSeconds(60);
    private Duration clientGrace = Server.Settings.DEFAULT_CLIENT_GRACE;
    private Duration timeout = Duration.ofMinutes(10);
    private Churn churn = Churn.none();
    private int nodes = 1;

    private Builder() {}

    /**
     * How every client trains: your own {@link LocalTrainer} or CSFL's {@code NetworkTrainer}. One
     * instance serves all clients, as in a deployment, so it must be safe to call concurrently.
     */
    public Builder trainer(LocalTrainer trainer) {
      this.trainer = trainer;
      return this;
    }

    /** How the server scores each round's global model: the accuracy and loss of the result. */
    public Builder evaluator(Evaluator evaluator) {
      this.evaluator = evaluator;
      return this;
    }

    /**
     * The global model before round 1. Default: all zeros of the trainer's spec, which suits
     * convex models such as softmax regression; give a network a random start
     * ({@code Architecture.initialModel(seed)}).
     */
    public Builder initialModel(Model initial) {
      this.initial = initial;
      return this;
    }

    /** The training data and how it is split among the clients (split with the run's {@link #seed}). */
    public Builder data(Dataset data, Partitioner partitioner) {
      this.data = data;
      this.partitioner = partitioner;
      return this;
    }

    /** An algorithm by its command-line name ({@code cs}, {@code fedavg}, ...), with default parameters. */
    public Builder algorithm(String name) {
      this.strategy = Strategies.byName(name, StrategyParams.defaults());
      return this;
    }

    /** An algorithm configured in code, for parameters that the name alone does not give. */
    public Builder algorithm(FederatedStrategy strategy) {
      this.strategy = strategy;
      return this;
    }

    /** How many clients the federation has; default 10. */
    public Builder clients(int count) {
      this.clients = count;
      return this;
    }

    /** How many clients the server samples each round; default 4. */
    public Builder perRound(int count) {
      this.perRound = count;
      return this;
    }

    /** How many rounds to train; default 3. */
    public Builder rounds(int count) {
      this.rounds = count;
      return this;
    }

    /** Seeds the data split and the server's sampling: the same seed samples the same clients. Default 1. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Updates a round needs; with fewer the round is tried again (three attempts), then training
     * is aborted. Default 1, so churn slows a run down rather than failing it.
     */
    public Builder minCompleted(int count) {
      this.minCompleted = count;
      return this;
    }

    /**
     * How long a round waits for its clients. Default 60 s: generous, so that a loaded machine
     * does not turn slow clients into missing ones and make a test flaky.
     */
    public Builder roundTimeout(Duration timeout) {
      this.roundTimeout = requirePositive(timeout, "round timeout");
      return this;
    }

    /**
     * How long a round waits for clients to come back when fewer than {@link #minCompleted} are
     * registered, before training is aborted; default 2 minutes, the server's. A test whose churn
     * may take every client out can fail fast with a short one.
     */
    public Builder clientGrace(Duration grace) {
      if (grace == null || grace.isNegative()) {
        throw new IllegalArgumentException("client grace must not be negative, got " + grace);
      }
      this.clientGrace = grace;
      return this;
    }

    /** How long {@link #run()} waits for the whole run before it gives up; default 10 minutes. */
    public Builder timeout(Duration timeout) {
      this.timeout = requirePositive(timeout, "timeout");
      return this;
    }

    /** What goes wrong during the run; default {@link Churn#none()}. */
    public Builder churn(Churn churn) {
      this.churn = churn;
      return this;
    }

    /**
     * How many ActorSystems the federation spans. 1 (the default): one system, node
     * {@value Federation#SERVER_NODE}, hosts everything. N &gt; 1: node {@value Federation#SERVER_NODE}
     * hosts the server and the aggregator, and client nodes {@code clients-1} to
     * {@code clients-(N-1)} host the clients (client i on {@code clients-(1 + i mod (N-1))}); they
     * join one Akka cluster on 127.0.0.1 with ports the OS picks, so runs can go in parallel.
     */
    public Builder nodes(int count) {
      this.nodes = count;
      return this;
    }

    /** Checks the description: the errors a run would otherwise meet later, with the reason. */
    public Federation build() {
      return new Federation(this);
    }

    /** {@link #build()} then {@link Federation#run()}. */
    public FederationResult run() {
      return build().run();
    }

    private static Duration requirePositive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("the " + what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
