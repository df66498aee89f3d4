package io.csfl.actor;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.Payload;
import io.csfl.internal.transfer.Transfers;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Evaluation;
import io.csfl.nn.Evaluator;
import io.csfl.tensor.Model;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;

/**
 * The round coordinator. Clients register with it; on {@link Start} it runs the rounds: ask the
 * aggregator for the downlink, sample clients with a seeded RNG, hand the round to a
 * {@link RoundCollector}, and once both the collector's report and the aggregator's new model are
 * in, start the next round and evaluate that model beside it (on a thread of its own; see
 * {@link Settings#evaluateAlongside()}), then checkpoint and publish the round's metrics, in round
 * order. A round with too few updates is
 * retried with a fresh sample, up to {@link Settings#maxAttempts()} attempts; the retry's bytes
 * and clients count in the round's metrics.
 *
 * <p>What it rides out: the server watches the aggregator. When it is lost (its actor stops, or
 * the receptionist stops listing it) the attempt is retried at once with any other listed
 * aggregator, which resumes from the server's last global model; with none listed the server
 * waits up to {@link Settings#aggregatorGrace()} for one to register. An attempt lost this way
 * does not count against {@link Settings#maxAttempts()}: nothing was wrong with the round. With
 * fewer clients registered than {@link Settings#minCompleted()} it waits up to
 * {@link Settings#clientGrace()} for them to come back. Only when a grace runs out is training
 * aborted. Clients that trained earlier in the run and are gone (their node crashed) may be
 * waited for at a round's start, up to {@link Settings#lostClientWait()}, before the round samples
 * without them.
 *
 * <p>A server started from a {@link Checkpoint} (after a restart, or as a cluster singleton that
 * moved to another node) continues at the round after the checkpoint's, with its model, strategy
 * state and metrics: the round that was in flight when the old server stopped is run again, under
 * the same number.
 *
 * <p>Who is believed: a client is trained on only after the handshake ({@link Client.Describe}),
 * asked of its own actor, answers with an id of the federation ({@link Settings#clients()}), this
 * server's data signature and its example count; each of its updates must then claim exactly that
 * count. The server learns the aggregator's session key (see {@link Aggregator}) and sends it
 * with every prepare and resume. Each attempt gets an unguessable token, which the aggregator's
 * replies must carry, and an unguessable fold key, which the aggregator draws and sends only to
 * the server: updates, closes and reports without it are refused, so a member that can reach the
 * aggregator cannot fold an update of its own. An aggregator is taken on only from this node or
 * from a cluster member with the {@code aggregator} role.
 */
public final class Server extends AbstractBehavior<Server.Command> {
  /**
   * The cluster role of the members that may run the server: clients take orders, and aggregators
   * take prepares, only from a node with it. An application that embeds CSFL in its own cluster
   * gives it to the node that runs the server (in {@code akka.cluster.roles}).
   */
  public static final String ROLE = "server";

  /** Evaluation blocks; run the server here, not on the default dispatcher. */
  public static final DispatcherSelector DISPATCHER = DispatcherSelector.fromConfig("csfl.server-dispatcher");

  /** How long a client has to answer the handshake; without an answer it is not taken on. */
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);
  /**
   * How long after an unanswered handshake a listed client is asked again. Messages sent while a
   * connection to a starting node is still being set up can be lost; the receptionist lists the
   * client only once, so without a second question the server could wait for it forever.
   */
  static final Duration ASK_AGAIN_AFTER = Duration.ofSeconds(5);
  /**
   * How often a client registered locally ({@link RegisterClient}) is asked before it is given up:
   * on a saturated machine thousands of handshakes at once can outlast the timeout, and a client
   * left out would change which clients are sampled, and so the results. Training does not start
   * while one is still to be asked.
   */
  static final int LOCAL_HANDSHAKE_ATTEMPTS = 3;
  /**
   * The most clients one host may announce when {@link Settings#clients()} is not set; when it is, a host may announce
   * at most the federation's clients.
   */
  static final int MAX_HOSTED = 100_000;
  /** How soon an aggregator or clients host listed from a member this node does not know yet is checked again. */
  static final Duration RECHECK_UNKNOWN_MEMBERS = Duration.ofSeconds(1);

  /** The messages a server takes from applications on its own node: {@link RegisterClient} and {@link Start}. */
  public interface Command {}

  /**
   * Asks the server to take {@code client} on, through the same handshake as a client found in a
   * cluster: it is accepted when it describes itself as {@code clientId}, with this server's data
   * signature and, when {@link Settings#clients()} is set, an id in range. For an application in
   * the same ActorSystem only: the message has no serializer, so it cannot be sent from another
   * node (the sending node fails to serialize it and logs that), and a member of a cluster cannot
   * register a client of its own under another client's name. An id registered again with another
   * actor (an application that respawned its client) is that actor's once it answers the
   * handshake: ids must be unique among the application's clients, or one of them is never trained.
   *
   * @param clientId the id the client must give in its {@link Client.Description}
   * @param client   the client's actor
   */
  public record RegisterClient(String clientId, ActorRef<Client.Command> client) implements Command, NoSerializationVerificationNeeded {}

  /**
   * Starts training once the registered clients have answered the handshake; local only, like
   * {@link RegisterClient}. Register the clients first: round 1 samples among the clients
   * registered when it starts, and a round that finds fewer than {@link Settings#minCompleted()}
   * (1 by default) waits only until that many have registered.
   */
  public record Start() implements Command, NoSerializationVerificationNeeded {}

  /**
   * What the server publishes to its listener: {@link RoundCompleted}, then {@link Finished} or
   * {@link Aborted}. Local only: the listener is an actor of the server's own ActorSystem (a
   * node's metrics sink, a simulation's guardian), and no serializer of another node's bytes
   * makes one, so no member can forge a round's metrics or the end of a run.
   */
  public interface Event extends NoSerializationVerificationNeeded {}

  /**
   * Published after every round.
   *
   * @param metrics    the round's metrics
   * @param rejections the messages the round refused, each with its reason and cut for a log line: from the
   *                   collector and from the aggregator the first 100 each, then an entry that counts the others; immutable
   */
  public record RoundCompleted(RoundMetrics metrics, List<String> rejections) implements Event {
    /**
     * Copies {@code rejections} into an immutable list; more than 65,536 entries throw
     * {@link IllegalArgumentException}.
     */
    public RoundCompleted {
      rejections = Bounded.copyOf(rejections, "rejections");
    }
  }

  /**
   * Published once after the last round; the server then stops.
   *
   * @param algorithm the algorithm's name, as in the settings
   * @param rounds    every round's metrics, in order; immutable
   */
  public record Finished(String algorithm, List<RoundMetrics> rounds) implements Event {
    /** Copies {@code rounds} into an immutable list; more than 65,536 entries throw {@link IllegalArgumentException}. */
    public Finished {
      rounds = Bounded.copyOf(rounds, "rounds");
    }
  }

  /**
   * Published when training cannot go on (a round failed every attempt, or no aggregator or too
   * few clients registered within the grace), when the last round could not be saved through
   * the {@link Checkpointer}, when a round's evaluation failed, or when the server itself failed
   * on something unforeseen ({@code reason} then begins "the server failed: "); the server then
   * stops.
   *
   * @param algorithm the algorithm's name, as in the settings
   * @param round     the round that could not be completed (or saved)
   * @param reason    why, for the user
   */
  public record Aborted(String algorithm, int round, String reason) implements Event {}

  /**
   * How the server runs a federation. Built with named setters, so a call site says what each
   * number is: {@code Settings.builder("cs").rounds(20).clientsPerRound(4).build()}. Every value
   * but the algorithm has a default (the command line's), each setter refuses a bad value with a
   * message naming it, and {@link Builder#build()} checks the rules between values. Immutable.
   */
  public static final class Settings {
    /**
     * The most rounds a run may have, and the most clients a round may sample (clients per round
     * times the over-selection): a run's {@link Finished} event lists its rounds, and a round's
     * report its sampled clients, and those lists are bounded like everything a message carries.
     */
    public static final int MAX_LISTED = Bounded.MAX_ENTRIES;

    /**
     * Long enough for a lost node to be restarted (JVM start, data load, cluster join take tens of
     * seconds), short enough that a federation that is really gone ends within minutes.
     */
    public static final Duration DEFAULT_AGGREGATOR_GRACE = Duration.ofMinutes(2);
    /** As {@link #DEFAULT_AGGREGATOR_GRACE}: a client node restarts as slowly as an aggregator node. */
    public static final Duration DEFAULT_CLIENT_GRACE = Duration.ofMinutes(2);

    private final String algorithm;
    private final int rounds;
    private final int clientsPerRound;
    private final Duration roundTimeout;
    private final int minCompleted;
    private final int maxAttempts;
    private final long seed;
    private final int minClients;
    private final String dataSignature;
    private final String aggregatorSignature;
    private final double overSelect;
    private final int clients;
    private final int[] examplesPerClient;
    private final Duration aggregatorGrace;
    private final Duration clientGrace;
    private final Duration lostClientWait;
    private final boolean evaluateAlongside;

    private Settings(Builder b) {
      this.algorithm = b.algorithm;
      this.rounds = b.rounds;
      this.clientsPerRound = b.clientsPerRound;
      this.roundTimeout = b.roundTimeout;
      this.minCompleted = b.minCompleted;
      this.maxAttempts = b.maxAttempts;
      this.seed = b.seed;
      this.minClients = b.minClients;
      this.dataSignature = b.dataSignature;
      this.aggregatorSignature = b.aggregatorSignature;
      this.overSelect = b.overSelect;
      this.clients = b.clients;
      this.examplesPerClient = b.examplesPerClient.clone();
      this.aggregatorGrace = b.aggregatorGrace;
      this.clientGrace = b.clientGrace;
      this.lostClientWait = b.lostClientWait;
      this.evaluateAlongside = b.evaluateAlongside;
    }

    /** Settings for {@code algorithm} (the name written to metrics), every other value at its default. */
    public static Builder builder(String algorithm) {
      return new Builder(algorithm);
    }

    /** A builder holding these settings, to derive others from them. */
    public Builder toBuilder() {
      return builder(algorithm).rounds(rounds).clientsPerRound(clientsPerRound).roundTimeout(roundTimeout)
          .minCompleted(minCompleted).maxAttempts(maxAttempts).seed(seed).minClients(minClients)
          .dataSignature(dataSignature).aggregatorSignature(aggregatorSignature).overSelect(overSelect).clients(clients)
          .examplesPerClient(examplesPerClient).aggregatorGrace(aggregatorGrace)
          .clientGrace(clientGrace).lostClientWait(lostClientWait).evaluateAlongside(evaluateAlongside);
    }

    /** These settings under another algorithm name. */
    public Settings withAlgorithm(String name) {
      return toBuilder().algorithm(name).build();
    }

    /** The name written to metrics. */
    public String algorithm() {
      return algorithm;
    }

    /** Rounds to train; a server resumed from a checkpoint of the last round finishes at once. */
    public int rounds() {
      return rounds;
    }

    /** Clients whose updates a round aggregates (fewer are sampled if fewer are registered). */
    public int clientsPerRound() {
      return clientsPerRound;
    }

    /** Deadline of one attempt at a round. */
    public Duration roundTimeout() {
      return roundTimeout;
    }

    /** Updates needed to aggregate; below it the attempt is retried. */
    public int minCompleted() {
      return minCompleted;
    }

    /** Failed attempts per round before training is aborted. */
    public int maxAttempts() {
      return maxAttempts;
    }

    /** Seeds client sampling: the same seed, round and attempt sample the same clients whichever algorithm runs. */
    public long seed() {
      return seed;
    }

    /** Registered clients a discovering server waits for before it starts by itself; 0 waits for {@link Start}. */
    public int minClients() {
      return minClients;
    }

    /** What a client's data signature must equal for it to be registered; empty accepts any. */
    public String dataSignature() {
      return dataSignature;
    }

    /** What an aggregator's signature must equal for the server to use it; empty accepts any. */
    public String aggregatorSignature() {
      return aggregatorSignature;
    }

    /** Clients sampled per round as a factor of {@link #clientsPerRound()}. */
    public double overSelect() {
      return overSelect;
    }

    /** Size of the federation whose client ids are accepted; 0 accepts any id. */
    public int clients() {
      return clients;
    }

    /**
     * The examples each client of the federation holds, by client number, when the server knows
     * the partition; empty when it does not, and any positive count is taken.
     */
    public int[] examplesPerClient() {
      return examplesPerClient.clone();
    }

    /** How long a round waits for an aggregator to register when none is left. */
    public Duration aggregatorGrace() {
      return aggregatorGrace;
    }

    /** How long a round waits for {@link #minCompleted()} clients to be registered. */
    public Duration clientGrace() {
      return clientGrace;
    }

    /**
     * How long a round waits, before it samples, for clients that were registered earlier in the
     * run and are gone, to register again; zero (the default) samples at once from those registered.
     * A node of a client pool that crashes has its clients started again on the others once the
     * membership settles: waiting for them keeps their data in the rounds. Each loss is waited for
     * once: clients that did not come back within the wait are not waited for again until they
     * have returned and been lost anew, so a node that is gone for good costs one wait.
     */
    public Duration lostClientWait() {
      return lostClientWait;
    }

    /**
     * Whether round r's model is evaluated beside round r + 1's training, on a thread of its own,
     * instead of before round r + 1 starts. The evaluation does not feed the next round, so only
     * the time changes; metrics, checkpoints and events still come in round order, each once its
     * round is evaluated. Training runs at most one round ahead: round r + 2 starts only once round
     * r is evaluated, so evaluations never queue up, nor do the models they hold, and a checkpoint
     * is never more than one round behind.
     */
    public boolean evaluateAlongside() {
      return evaluateAlongside;
    }

    /** Clients sampled per round: {@code clientsPerRound} times the over-selection factor, rounded up. */
    int sampled() {
      return (int) sampled(clientsPerRound, overSelect);
    }

    /** {@code clientsPerRound} times {@code overSelect}, rounded up (a float's last-bit excess is not rounded up). */
    private static double sampled(int clientsPerRound, double overSelect) {
      return Math.ceil(clientsPerRound * overSelect - 1e-9);
    }

    @Override
    public String toString() {
      return "Settings[algorithm=" + algorithm + ", rounds=" + rounds + ", clientsPerRound=" + clientsPerRound
          + ", roundTimeout=" + roundTimeout + ", minCompleted=" + minCompleted + ", maxAttempts=" + maxAttempts
          + ", seed=" + seed + ", minClients=" + minClients + ", dataSignature=" + dataSignature + ", aggregatorSignature=" + aggregatorSignature + ", overSelect="
          + overSelect + ", clients=" + clients + ", aggregatorGrace=" + aggregatorGrace + ", clientGrace=" + clientGrace
          + ", lostClientWait=" + lostClientWait + ", evaluateAlongside=" + evaluateAlongside + "]";
    }

    /** Named setters for {@link Settings}; each refuses a bad value at once, {@link #build()} the bad combinations. */
    public static final class Builder {
      private String algorithm;
      private int rounds = 30;
      private int clientsPerRound = 10;
      private Duration roundTimeout = Duration.ofMinutes(10);
      private int minCompleted = 1;
      private int maxAttempts = 3;
      private long seed = 1;
      private int minClients;
      private String dataSignature = "";
      private String aggregatorSignature = "";
      private double overSelect = 1.0;
      private int clients;
      private int[] examplesPerClient = new int[0];
      private Duration aggregatorGrace = DEFAULT_AGGREGATOR_GRACE;
      private Duration clientGrace = DEFAULT_CLIENT_GRACE;
      private Duration lostClientWait = Duration.ZERO;
      private boolean evaluateAlongside = true;

      private static final java.util.regex.Pattern ALGORITHM_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+:-]{0,63}");

      private Builder(String algorithm) {
        algorithm(algorithm);
      }

      /**
       * The name written to metrics and checkpoints: the strategy's {@link
       * io.csfl.strategy.FederatedStrategy#name()}, which the server cannot check (the aggregator
       * knows only its algorithm, not its name), so that a checkpoint is found again under it. At
       * most 64 letters, digits and {@code . _ + - :} (as in {@code cs:0.7}), starting with a letter or digit: a comma
       * would break a metrics row, a slash would put checkpoints in another directory.
       */
      public Builder algorithm(String name) {
        if (name == null || !ALGORITHM_NAME.matcher(name).matches()) {
          throw new IllegalArgumentException("algorithm must be a name of at most 64 letters, digits and . _ + - :, starting with"
              + " a letter or digit, got " + (name == null ? "null" : "'" + ControlChecks.forLog(name) + "'"));
        }
        this.algorithm = name;
        return this;
      }

      /** Rounds to train; default 30. */
      public Builder rounds(int count) {
        this.rounds = positive("rounds", count);
        return this;
      }

      /** Clients sampled per round, at most; default 10. */
      public Builder clientsPerRound(int count) {
        this.clientsPerRound = positive("clientsPerRound", count);
        return this;
      }

      /** Deadline of one attempt at a round; default 10 minutes. */
      public Builder roundTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
          throw new IllegalArgumentException("roundTimeout must be a positive duration, got " + timeout);
        }
        this.roundTimeout = timeout;
        return this;
      }

      /**
       * Updates needed to aggregate; below it the attempt is retried (as is an attempt whose
       * updates the aggregator all refused), and a round does not start with fewer clients
       * registered: it waits for them. At most {@link #clientsPerRound}; default 1.
       */
      public Builder minCompleted(int count) {
        this.minCompleted = positive("minCompleted", count);
        return this;
      }

      /**
       * Failed attempts per round (too few updates, or a silent aggregator) before training is
       * aborted; an attempt whose aggregator was lost is not counted. Default 3.
       */
      public Builder maxAttempts(int count) {
        this.maxAttempts = positive("maxAttempts", count);
        return this;
      }

      /** Seeds the sampling of clients; default 1. */
      public Builder seed(long seed) {
        this.seed = seed;
        return this;
      }

      /**
       * Registered clients a discovering server waits for before it starts by itself; default 0, a
       * server started by {@link Start}.
       */
      public Builder minClients(int count) {
        this.minClients = notNegative("minClients", count);
        return this;
      }

      /** What a client's data signature must equal for it to be registered; default empty, any. */
      public Builder dataSignature(String signature) {
        this.dataSignature = signature("dataSignature", signature);
        return this;
      }

      /**
       * What an aggregator's signature ({@link Aggregator#create(io.csfl.strategy.ServerAlgorithm,
       * io.csfl.strategy.Pruner, String)}) must equal for the server to use it; default empty, any.
       * An aggregator whose signature differs is refused at its first contact, told so, and never
       * used while it is listed: the server takes another, or waits the aggregator grace for one.
       */
      public Builder aggregatorSignature(String signature) {
        this.aggregatorSignature = signature("aggregatorSignature", signature);
        return this;
      }

      /**
       * Sample this factor more clients than {@link #clientsPerRound} and aggregate the first to
       * finish; a finite number of 1 or more, default 1 (every sampled client is waited for).
       */
      public Builder overSelect(double factor) {
        if (!(factor >= 1) || !Double.isFinite(factor)) {
          throw new IllegalArgumentException("overSelect must be a number >= 1, got " + factor);
        }
        this.overSelect = factor;
        return this;
      }

      /**
       * Accept only the ids of a federation of {@code count} clients, {@link Client#id(int) client-0000}
       * to client-(count - 1); default 0, any id.
       */
      public Builder clients(int count) {
        this.clients = notNegative("clients", count);
        return this;
      }

      /**
       * The examples each client holds, by client number (client-0000 first), as the server's own
       * copy of the partition says: a client that declares another count at the handshake is
       * refused, so none can claim a larger share of the mean than its data give it. Empty (the
       * default) takes any positive count, for a server that does not know the partition.
       */
      public Builder examplesPerClient(int... counts) {
        for (int n : counts) {
          positive("examplesPerClient", n);
        }
        this.examplesPerClient = counts.clone();
        return this;
      }

      /** How long a round waits for an aggregator to register when none is left, before training is aborted. */
      public Builder aggregatorGrace(Duration grace) {
        this.aggregatorGrace = notNegative("aggregatorGrace", grace);
        return this;
      }

      /** How long a round waits for {@link #minCompleted} clients to be registered, before training is aborted. */
      public Builder clientGrace(Duration grace) {
        this.clientGrace = notNegative("clientGrace", grace);
        return this;
      }

      /** How long a round waits for lost clients to register again before it samples ({@link Settings#lostClientWait()}). */
      public Builder lostClientWait(Duration wait) {
        this.lostClientWait = notNegative("lostClientWait", wait);
        return this;
      }

      /**
       * Evaluate each round's model beside the next round's training (the default), or before the
       * next round starts ({@code false}): then the {@link Checkpointer} of round r runs before
       * round r + 1 is sampled, which a test that acts between rounds may need.
       */
      public Builder evaluateAlongside(boolean alongside) {
        this.evaluateAlongside = alongside;
        return this;
      }

      /** @throws IllegalArgumentException if {@code minCompleted} exceeds {@code clientsPerRound} */
      public Settings build() {
        if (rounds > MAX_LISTED) {
          throw new IllegalArgumentException("rounds must be at most " + MAX_LISTED + ", got " + rounds);
        }
        if (sampled(clientsPerRound, overSelect) > MAX_LISTED) {
          throw new IllegalArgumentException("clientsPerRound times overSelect must be at most " + MAX_LISTED + ", got "
              + clientsPerRound + " times " + overSelect);
        }
        if (minCompleted > clientsPerRound) {
          throw new IllegalArgumentException("minCompleted (" + minCompleted + ") exceeds clientsPerRound (" + clientsPerRound + ")");
        }
        if (examplesPerClient.length > 0 && clients > 0 && examplesPerClient.length != clients) {
          throw new IllegalArgumentException("examplesPerClient has " + examplesPerClient.length + " counts for " + clients + " clients");
        }
        return new Settings(this);
      }

      private static int positive(String name, int value) {
        if (value <= 0) {
          throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
      }

      private static String signature(String name, String value) {
        if (value == null) {
          throw new IllegalArgumentException(name + " must not be null (empty accepts any)");
        }
        return value;
      }

      private static int notNegative(String name, int value) {
        if (value < 0) {
          throw new IllegalArgumentException(name + " must not be negative, got " + value);
        }
        return value;
      }

      private static Duration notNegative(String name, Duration value) {
        if (value == null || value.isNegative()) {
          throw new IllegalArgumentException(name + " must be a duration of zero or more, got " + value);
        }
        return value;
      }
    }
  }

  /**
   * Where the server saves each committed round before it publishes the round's metrics, so a
   * checkpoint is never behind metrics.csv. Called on the server's dispatcher; it may block.
   */
  @FunctionalInterface
  public interface Checkpointer {
    /** Saves nothing: a server with it cannot be resumed. */
    Checkpointer NONE = c -> {};

    /**
     * Saves {@code checkpoint}, the state after its round; an {@link IOException} or runtime exception is logged and
     * training goes on, the previous checkpoint still standing. If it is the last round's, the run then ends
     * {@link Aborted} rather than {@link Finished}: its result was not saved, and a server resumed from the
     * previous checkpoint runs that round again.
     */
    void save(Checkpoint checkpoint) throws IOException;
  }

  private record AggregatorReply(Aggregator.Reply reply) implements Command, NoSerializationVerificationNeeded {}

  private record Collected(RoundReport report) implements Command, NoSerializationVerificationNeeded {}

  /** A watched client stopped (or its node was seen to go); package-private for tests that fake one. */
  record ClientGone(String clientId, ActorRef<Client.Command> client) implements Command, NoSerializationVerificationNeeded {}

  private record ClientsListed(Set<ActorRef<Client.Command>> clients) implements Command, NoSerializationVerificationNeeded {}

  private record HostsListed(Set<ActorRef<Client.HostCommand>> hosts) implements Command, NoSerializationVerificationNeeded {}

  /** A client described by {@code host} whose name another actor held at the time. */
  private record HandOver(Client.Description description, ActorRef<Client.HostCommand> host) {}

  /** The answer to the handshake with {@code host} for its clients from {@code from} on (or null, with the failure). */
  private record HostDescribed(ActorRef<Client.HostCommand> host, int from, Client.Descriptions batch, String failure, int attempt)
      implements Command, NoSerializationVerificationNeeded {}

  /** A listed host that did not answer its handshake is asked again, as long as it stays listed. */
  private record AskHostAgain(ActorRef<Client.HostCommand> host, int from, int attempt)
      implements Command, NoSerializationVerificationNeeded {}

  /** A listed client that did not answer its handshake is asked again, as long as it stays listed. */
  private record AskAgain(ActorRef<Client.Command> client, String registeredAs, int attempt)
      implements Command, NoSerializationVerificationNeeded {}

  /** The timer of an {@link AskAgain}: per actor and the name it was registered as (null when listed). */
  private record AskAgainKey(ActorRef<Client.Command> client, String registeredAs) {}

  private record AggregatorsListed(Set<ActorRef<Aggregator.Command>> aggregators)
      implements Command, NoSerializationVerificationNeeded {}

  /** The answer to the handshake with {@code asked} (or null, with the failure, when none came). */
  private record Described(ActorRef<Client.Command> asked, Client.Description description, String failure, String registeredAs,
                           int attempt)
      implements Command, NoSerializationVerificationNeeded {}

  /**
   * The aggregator went quiet: no downlink after PrepareRound, or no aggregate after the clients
   * reported (its node is gone, or a transfer from it failed). The attempt is retried.
   */
  private record AggregatorSilent(int round, int attempt) implements Command, NoSerializationVerificationNeeded {}

  /**
   * Round {@code metrics.round()}'s evaluation ended: its metrics are complete, and the rest is
   * what its checkpoint holds. The checkpoint itself is made when this is taken, not when the
   * evaluation ends: only then is it known that every earlier round was published.
   */
  private record Evaluated(RoundMetrics metrics, List<String> rejections, Model global, Map<String, Integer> held,
                           TensorFile state) implements Command, NoSerializationVerificationNeeded {}

  /** Round {@code round}'s evaluation threw: the run cannot record that round, and ends. */
  private record EvaluationFailed(int round, String cause) implements Command, NoSerializationVerificationNeeded {}

  /** The watched aggregator stopped, or its node was removed from the cluster. */
  private record AggregatorLost(ActorRef<Aggregator.Command> aggregator) implements Command, NoSerializationVerificationNeeded {}

  /** The attempt's collector stopped: after its report, as it should, or without one, having failed. */
  private record CollectorStopped(int round, int attempt, ActorRef<RoundCollector.Command> collector)
      implements Command, NoSerializationVerificationNeeded {}

  /** What keeps a round from starting: the first two abort training when their grace runs out, lost clients do not. */
  private enum Shortage { AGGREGATOR, CLIENTS, LOST_CLIENTS }

  /** Time to say what a server that starts by itself still waits for. */
  private enum ReportStartWait implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** The grace for {@code shortage} in {@code round} ran out. */
  private record GraceOver(int round, Shortage shortage) implements Command, NoSerializationVerificationNeeded {}

  private final Settings settings;
  private final TimerScheduler<Command> timers;
  private ActorRef<Aggregator.Command> aggregator;
  /** The receptionist's latest listing of aggregators; a replacement is picked from it. */
  private Set<ActorRef<Aggregator.Command>> listedAggregators = Set.of();
  /** Listed aggregators known to have stopped: the listing lags behind death watch. */
  private final Set<ActorRef<Aggregator.Command>> stoppedAggregators = new HashSet<>();
  private final Set<ActorRef<Aggregator.Command>> watchedAggregators = new HashSet<>();
  /** What the current round waits for before its next attempt can start, or null. */
  private Shortage waitingFor;
  /** The current attempt's collector, until it reports. */
  private ActorRef<RoundCollector.Command> collector;
  /** Attempts of this round that failed for want of updates or of an answer from the aggregator. */
  private int failures;
  private final Set<ActorRef<Client.Command>> asked = new HashSet<>();
  /** The receptionist's latest listing of clients. */
  private Set<ActorRef<Client.Command>> listedClients = Set.of();
  /** Listed clients refused for what they describe (their data, id or examples): not asked again while listed. */
  private final Set<ActorRef<Client.Command>> refusedListed = new HashSet<>();
  /** The receptionist's latest listing of clients hosts. */
  private Set<ActorRef<Client.HostCommand>> listedHosts = Set.of();
  /** Listed hosts whose handshake is under way or done. */
  private final Set<ActorRef<Client.HostCommand>> askedHosts = new HashSet<>();
  /** Listed hosts on members without the client role: refused, and logged once each. */
  private final Set<ActorRef<Client.HostCommand>> refusedHosts = new HashSet<>();
  /**
   * By client id, a client a listed host described while another actor still held its name: taken
   * on when that one is gone. A pool node that takes over clients starts them while the node that
   * gives them up may still be stopping its own, and a host is asked for its clients once.
   */
  private final Map<String, HandOver> handOvers = new HashMap<>();
  /** Handshakes not answered yet; training starts only when none is. */
  private int handshaking;
  /** The example count each client declared at the handshake: its updates must claim exactly that. */
  private final Map<String, Integer> declared = new HashMap<>();
  /**
   * The ids of clients accepted in this run, kept only while {@link Settings#lostClientWait()} is
   * on: one that is no longer registered is lost. A round that waited for lost clients in vain
   * forgets them (they are not waited for again until they return), so the set holds the clients
   * registered now and those lost since the last wait; at most {@link #MAX_HOSTED} ids, however
   * many a server without a fixed federation is shown.
   */
  private final Set<String> remembered = new HashSet<>();
  private final SecureRandom tokens = new SecureRandom();
  /** Unguessable, per attempt: the server believes the aggregator's replies only with it. */
  private long token;
  /**
   * The attempt's fold key, drawn by the aggregator and sent only to this server: the collector's
   * updates, close and report carry it. 0 until the aggregator prepared the attempt.
   */
  private long foldKey;
  /** The current aggregator's session key, which every prepare and resume carries; 0 until it sent it. */
  private long aggregatorSession;
  /** Whether this attempt already asked again with a session key it was sent. */
  private boolean sessionAsked;
  /** Whether aggregators and clients are found through the receptionist: else the one aggregator given is all there is. */
  private boolean discovering;
  /** The global models this attempt's sample holds, by round. */
  private List<Integer> heldBySample = List.of();
  /** Listed aggregators on members without the aggregator role: refused, and logged once each. */
  private final Set<ActorRef<Aggregator.Command>> refusedAggregators = new HashSet<>();
  /** Listed aggregators whose signature differs from {@link Settings#aggregatorSignature()}: never used while listed. */
  private final Set<ActorRef<Aggregator.Command>> mismatchedAggregators = new HashSet<>();
  /** The newest refusal of an aggregator for its signature, for an abort for want of one to name while one is refused. */
  private String lastAggregatorRefusal;
  private final Evaluator evaluator;
  private final ActorRef<Event> listener;
  private final Checkpointer checkpointer;
  /** The checkpoint this server continues from, or empty for a fresh run. */
  private final Optional<Checkpoint> resumeFrom;
  private final ActorRef<Aggregator.Reply> aggregatorReplies;
  /** The listed aggregators whose signature was asked for or checked ({@link #probe}), and each open probe by its token. */
  private final Set<ActorRef<Aggregator.Command>> probedAggregators = new HashSet<>();
  private final Map<Long, ActorRef<Aggregator.Command>> probes = new HashMap<>();
  private final ActorRef<RoundReport> collectorReports;
  private final Map<String, ActorRef<Client.Command>> clients = new TreeMap<>();
  /**
   * The id under which each client actor the server watches registered, until that actor ends: an
   * actor is one client. (Akka's watch of an actor carries one message, and the message names the id.)
   */
  private final Map<ActorRef<Client.Command>, String> idOf = new HashMap<>();
  /**
   * Which global model each client holds, by round, as far as the server knows: a client that
   * returned an update for round r was sent the model of round r - 1. A client missing here is
   * sent the common downlink.
   */
  private final Map<String, Integer> held = new HashMap<>();
  /** This attempt's sample, drawn before the downlinks are prepared (they may depend on it). */
  private Map<String, ActorRef<Client.Command>> sample = Map.of();
  private final List<RoundMetrics> history = new ArrayList<>();
  /**
   * Where round models are evaluated beside training: one thread, so evaluations finish in
   * round order and the evaluator, which need not be thread-safe, is used by one thread.
   */
  private final ExecutorService evaluation = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "csfl-evaluation");
    t.setDaemon(true);
    return t;
  });
  /** The newest refusal of a client at its handshake, for an abort for too few clients to name; null before any. */
  private String lastClientRefusal;
  /** Clients a round's collector saw stop, whose end (ClientGone) has not reached the server yet: not sampled. */
  private final Map<String, ActorRef<Client.Command>> departed = new HashMap<>();
  /** Rounds aggregated whose evaluation has not come back yet. */
  private int evaluating;
  /** Set when the last round is aggregated, or training is aborted: what to do once every evaluation is in. */
  private Runnable whenEvaluated;
  /** Whether a round's evaluation threw: the run is ending, and later rounds are not published. */
  private boolean evaluationFailed;
  /** Why the last round's checkpoint could not be saved, or null: the run then ends aborted, not finished. */
  private String lastRoundUnsaved;
  /** The round that starts once the evaluation before the last is in, or 0: between rounds, nothing is in flight. */
  private int nextRound;
  private boolean started;
  private int round;
  private int attempt;
  private long roundStartNanos;
  private RoundReport report;
  private Aggregator.RoundAggregated aggregated;
  /** The aggregator's word that it discarded this attempt, instead of {@link #aggregated}; null before it. */
  private Aggregator.AttemptDiscarded discarded;
  /** The last round's global model, and the aggregator whose state it is: a new aggregator resumes from it. */
  private Model lastGlobal;
  /** The strategy's whole state after the last round, for an aggregator that resumes and for the checkpoint. */
  private TensorFile lastState = TensorFile.EMPTY;
  private ActorRef<Aggregator.Command> aggregatorInStep;
  private long bytesDown;
  private long bytesUp;
  private long trainMillis;
  private long overheadMillis;
  private int selected;
  /**
   * This round's attempts given up while their collector ran, each with its fold key (0 once its
   * report was counted): the collector reports what it spent as it stops (or reported just before),
   * and only those costs are counted.
   */
  private final Map<Integer, Long> givenUp = new HashMap<>();

  private Server(ActorContext<Command> context, TimerScheduler<Command> timers, Settings settings,
                 ActorRef<Aggregator.Command> aggregator, Evaluator evaluator, ActorRef<Event> listener,
                 Optional<Checkpoint> resumeFrom, Checkpointer checkpointer) {
    super(context);
    context.setLoggerName(Server.class);
    this.timers = timers;
    this.settings = settings;
    this.aggregator = aggregator;
    this.evaluator = evaluator;
    this.listener = listener;
    this.resumeFrom = resumeFrom;
    this.checkpointer = checkpointer;
    this.aggregatorReplies = context.messageAdapter(Aggregator.Reply.class, AggregatorReply::new);
    this.collectorReports = context.messageAdapter(RoundReport.class, Collected::new);
    if (aggregator != null) {
      watchAggregator();
    }
  }

  /** Finds the aggregator and the clients through the receptionist; a listing is a hint, confirmed by handshake. */
  private void discover() {
    discovering = true;
    ActorContext<Command> ctx = getContext();
    // Message adapters are per message class, so one adapter serves both subscriptions.
    ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class,
        l -> l.isForKey(Client.KEY) ? new ClientsListed(l.getServiceInstances(Client.KEY))
            : l.isForKey(Client.HOST_KEY) ? new HostsListed(l.getServiceInstances(Client.HOST_KEY))
            : new AggregatorsListed(l.getServiceInstances(Aggregator.KEY)));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(Client.KEY, listings));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(Client.HOST_KEY, listings));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(Aggregator.KEY, listings));
    ctx.getLog().info("server at {}", ctx.getSelf().path());
    // A server waiting for its clients can wait for ever: its operator is told, at each interval,
    // what is missing and why clients were refused (a site with other data, say).
    Duration every = ctx.getSystem().settings().config().getDuration("csfl.server.start-wait-report");
    if (settings.minClients() > 0 && !every.isZero()) {
      timers.startTimerWithFixedDelay(ReportStartWait.INSTANCE, every);
    }
    if (ControlChecks.lacksOwnRole(ctx.getSystem(), ROLE)) {
      // Each would say so only in its own node's log, and the server would wait in silence.
      ctx.getLog().error("this node does not have the cluster role '{}': clients, clients hosts and aggregators on other nodes "
          + "refuse this server's handshakes (add the role to akka.cluster.roles)", ROLE);
    }
  }

  /**
   * @param evaluator used only by this actor: the test-set evaluation of each round's model
   * @param listener  receives a {@link RoundCompleted} per round and a final {@link Finished} or {@link Aborted}
   */
  public static Behavior<Command> create(Settings settings, ActorRef<Aggregator.Command> aggregator,
                                         Evaluator evaluator, ActorRef<Event> listener) {
    return create(settings, aggregator, evaluator, listener, Optional.empty(), Checkpointer.NONE);
  }

  /**
   * As above, saving a {@link Checkpoint} after every round through {@code checkpointer}, and, if
   * {@code resumeFrom} is present, continuing after its round: its metrics are this run's first
   * rows, and the aggregator is first sent an {@link Aggregator.Resume} with its model and state.
   * Clients are sent what the checkpoint says they hold; pass a checkpoint without
   * {@link Checkpoint#held()} entries when the clients restarted with nothing.
   */
  public static Behavior<Command> create(Settings settings, ActorRef<Aggregator.Command> aggregator, Evaluator evaluator,
                                         ActorRef<Event> listener, Optional<Checkpoint> resumeFrom, Checkpointer checkpointer) {
    requireArguments(settings, evaluator, listener, checkpointer);
    Objects.requireNonNull(aggregator, "aggregator");
    Objects.requireNonNull(resumeFrom, "resumeFrom");
    resumeFrom.map(c -> resumeRefusal(settings, c)).ifPresent(refusal -> {
      throw new IllegalArgumentException(refusal);
    });
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Server server = new Server(ctx, timers, settings, aggregator, evaluator, listener, resumeFrom, checkpointer);
      return FailureToListener.around(server, listener, settings.algorithm(), () -> server.round);
    }));
  }

  /**
   * A server for a cluster: it finds the aggregator and the clients through the receptionist
   * ({@link Aggregator#KEY}, {@link Client#KEY}), accepts a client only when its data signature
   * equals {@link Settings#dataSignature()}, and starts by itself once {@link Settings#minClients()}
   * clients and an aggregator are known.
   */
  public static Behavior<Command> createDiscovering(Settings settings, Evaluator evaluator, ActorRef<Event> listener) {
    return createDiscovering(settings, evaluator, listener, Checkpointer.NONE);
  }

  /** As above, saving a {@link Checkpoint} after every round through {@code checkpointer}. */
  public static Behavior<Command> createDiscovering(Settings settings, Evaluator evaluator, ActorRef<Event> listener,
                                                    Checkpointer checkpointer) {
    return createDiscovering(settings, evaluator, listener, checkpointer, Optional::empty);
  }

  /**
   * As above, and continuing after the checkpoint {@code resumeFrom} supplies, if any. It is asked
   * each time the behavior starts, not when it is made: a cluster singleton that moves to another
   * node starts there later, and must continue after the last round committed anywhere (read from
   * a checkpoint directory the server nodes share), not after what was known when this node
   * started. It is called on the server's dispatcher and may block on the file system.
   */
  public static Behavior<Command> createDiscovering(Settings settings, Evaluator evaluator, ActorRef<Event> listener,
                                                    Checkpointer checkpointer, java.util.function.Supplier<Optional<Checkpoint>> resumeFrom) {
    requireArguments(settings, evaluator, listener, checkpointer);
    Objects.requireNonNull(resumeFrom, "resumeFrom");
    return Behaviors.setup(ctx -> {
      Optional<Checkpoint> from;
      String refusal;
      try {
        from = Objects.requireNonNull(resumeFrom.get(), "the checkpoint supplier returned null");
        refusal = from.map(c -> resumeRefusal(settings, c)).orElse(null);
      } catch (RuntimeException e) {
        from = Optional.empty();
        refusal = "no checkpoint to continue from: " + e.getMessage();
      }
      if (refusal != null) {
        // The run cannot continue as asked: said to the listener, which waits for an end.
        ctx.getLog().error("{}: training aborted before it started: {}", settings.algorithm(), refusal);
        listener.tell(new Aborted(settings.algorithm(), from.map(c -> c.round() + 1).orElse(1), refusal));
        return Behaviors.stopped();
      }
      Optional<Checkpoint> resume = from;
      return Behaviors.<Command>withTimers(timers -> {
        Server server = new Server(ctx, timers, settings, null, evaluator, listener, resume, checkpointer);
        if (resume.isPresent() && resume.get().round() >= settings.rounds()) {
          // Nothing is left to train: begin() finishes at once, without waiting for clients and an
          // aggregator that may have left with the run's end.
          return server.begin();
        }
        server.discover();
        return FailureToListener.around(server, listener, settings.algorithm(), () -> server.round);
      });
    });
  }

  private static void requireArguments(Settings settings, Evaluator evaluator, ActorRef<Event> listener, Checkpointer checkpointer) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(evaluator, "evaluator");
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(checkpointer, "checkpointer");
  }

  /** Why {@code checkpoint} cannot resume a run of {@code settings}, or null. */
  private static String resumeRefusal(Settings settings, Checkpoint checkpoint) {
    return checkpoint.algorithm().equals(settings.algorithm()) ? null
        : "a checkpoint of " + checkpoint.algorithm() + " cannot resume " + settings.algorithm();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(RegisterClient.class, this::onRegister)
        .onMessage(ClientGone.class, this::onClientGone)
        .onMessage(ClientsListed.class, this::onClientsListed)
        .onMessage(AskAgain.class, this::onAskAgain)
        .onMessage(Described.class, this::onDescribed)
        .onMessage(HostsListed.class, this::onHostsListed)
        .onMessage(HostDescribed.class, this::onHostDescribed)
        .onMessage(AskHostAgain.class, this::onAskHostAgain)
        .onMessage(AggregatorsListed.class, this::onAggregatorsListed)
        .onMessage(Start.class, this::onStart)
        .onMessage(AggregatorReply.class, this::onAggregatorReply)
        .onMessage(Collected.class, this::onCollected)
        .onMessage(AggregatorSilent.class, this::onAggregatorSilent)
        .onMessage(CollectorStopped.class, this::onCollectorStopped)
        .onMessage(AggregatorLost.class, lost -> {
          stoppedAggregators.add(lost.aggregator());
          if (!discovering && lost.aggregator().equals(aggregator)) {
            // A server given its aggregator has no other to wait for: waiting its grace would change nothing.
            return abort("the aggregator at " + lost.aggregator().path() + " stopped, and a server given its aggregator cannot get another");
          }
          return loseAggregator(lost.aggregator(), "stopped");
        })
        .onMessage(GraceOver.class, this::onGraceOver)
        .onMessageEquals(ReportStartWait.INSTANCE, this::onReportStartWait)
        .onMessage(Evaluated.class, this::onEvaluated)
        .onMessage(EvaluationFailed.class, this::onEvaluationFailed)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  /** The evaluation thread ends with the server. */
  private Behavior<Command> onPostStop(PostStop stop) {
    evaluation.shutdownNow();
    return Behaviors.same();
  }

  /** A local registration: the same handshake as a listed client, and the client must answer to the name it was registered as. */
  private Behavior<Command> onRegister(RegisterClient r) {
    handshake(r.client(), r.clientId(), 1);
    return this;
  }

  private void handshake(ActorRef<Client.Command> client, String registeredAs, int attempt) {
    if (awaited(attempt, registeredAs)) {
      handshaking++;
    }
    getContext().ask(Client.Description.class, client, HANDSHAKE_TIMEOUT, Client.Describe::new,
        (description, failure) -> new Described(client, description, failure == null ? null : failure.toString(), registeredAs,
            attempt));
  }

  private Behavior<Command> onClientGone(ClientGone gone) {
    asked.remove(gone.client());
    departed.remove(gone.clientId(), gone.client());
    idOf.remove(gone.client(), gone.clientId());
    // Only if the name still belongs to that actor: the client may have moved to another node.
    if (!clients.remove(gone.clientId(), gone.client())) {
      return this;
    }
    held.remove(gone.clientId());
    declared.remove(gone.clientId());
    askHostAgainAfterLoss(gone.client());
    HandOver next = handOvers.remove(gone.clientId());
    // (Entries of hosts no longer listed were dropped at the listing.)
    if (next == null || next.description().client().equals(gone.client())) {
      return this;
    }
    getContext().getLog().warn("took on client {} at {}, described by the clients host at {}: the client of that name at {} is gone",
        gone.clientId(), next.description().client().path(), next.host().path(), gone.client().path());
    accept(next.description());
    return afterAccepting();
  }

  /**
   * Asks the listed clients host on {@code lost}'s node, if any, to describe its clients again soon.
   * A client can be seen to go while it runs: a node that the cluster downed after a freeze and
   * that rejoined at the same address is watched through an association that may still be its old
   * incarnation's, and such a watch ends at once. Its host stays listed, so it would never be asked
   * again; asked, it describes only the clients that still run, and the server takes those on.
   */
  private void askHostAgainAfterLoss(ActorRef<Client.Command> lost) {
    for (ActorRef<Client.HostCommand> host : askedHosts) {
      if (host.path().address().equals(lost.path().address())) {
        timers.startSingleTimer(host, new AskHostAgain(host, 0, 2), ASK_AGAIN_AFTER);
      }
    }
  }

  private Behavior<Command> onClientsListed(ClientsListed listed) {
    listedClients = listed.clients();
    refusedListed.retainAll(listedClients);
    for (ActorRef<Client.Command> ref : listed.clients()) {
      if (!refusedListed.contains(ref) && asked.add(ref)) {
        handshake(ref, null, 1);
      }
    }
    return this;
  }

  private Behavior<Command> onAskAgain(AskAgain again) {
    if (again.registeredAs() != null) {
      handshaking--; // the retry was counted as outstanding; handshake counts it again
      handshake(again.client(), again.registeredAs(), again.attempt());
    } else if (listedClients.contains(again.client()) && asked.add(again.client())) {
      handshake(again.client(), null, again.attempt());
    }
    return this;
  }

  /** Why a client on another node may not answer: it refuses a server it cannot confirm, and says so only on its node. */
  private static final String UNANSWERED_HINT = " (a client answers only a server on a member with the role '" + ControlChecks.SERVER_ROLE
      + "' whose certificate, under TLS, permits it; its node's log names a refusal)";

  /**
   * Whether round 1 waits for a handshake in flight: a first one, and every one of a client
   * registered locally. A listed client or host asked again after a silence is not waited for:
   * each silent one is in flight most of the time, and two asked in turn would hold the start for
   * good.
   */
  private static boolean awaited(int attempt, String registeredAs) {
    return attempt == 1 || registeredAs != null;
  }

  private Behavior<Command> onDescribed(Described d) {
    if (awaited(d.attempt(), d.registeredAs())) {
      handshaking--;
    }
    String refusal = refusal(d);
    if (refusal != null) {
      // Asked again at the next listing (unless refused for what it describes, below): a client
      // handed over between nodes is accepted once its predecessor is gone. One that did not
      // answer at all is asked again soon, listing or not.
      asked.remove(d.asked());
      boolean local = d.registeredAs() != null;
      if (d.description() == null && (!local || d.attempt() < LOCAL_HANDSHAKE_ATTEMPTS)) {
        getContext().getLog().warn("the client at {} did not answer the handshake ({}); it is asked again in {}{}",
            d.asked().path(), d.failure(), human(ASK_AGAIN_AFTER), local ? ""
                // Roles and certificates are a cluster's: a client in this ActorSystem has none to check.
                : " while it stays listed" + (d.asked().path().address().hasGlobalScope() ? UNANSWERED_HINT : ""));
        // Keyed by the actor and its name: one actor registered twice under a name times out twice,
        // and the wait is counted once, for the one timer that stays.
        AskAgainKey key = new AskAgainKey(d.asked(), d.registeredAs());
        if (local && !timers.isTimerActive(key)) {
          handshaking++; // training waits for it
        }
        timers.startSingleTimer(key, new AskAgain(d.asked(), d.registeredAs(), d.attempt() + 1), ASK_AGAIN_AFTER);
      } else {
        String who = d.description() == null ? d.registeredAs() : d.description().clientId();
        getContext().getLog().error("refusing client {} at {}: {}; it will not be trained on", who, d.asked().path(), refusal);
        lastClientRefusal = "client " + who + ": " + refusal;
        String lasting = d.description() == null ? null : refusal(d.description());
        if (!local && lasting != null) {
          // Its node logs it too: there it sits idle, and its operator looks there first. (Not a
          // refusal that passes, such as a name still held by a client that is leaving.) Its
          // description cannot change, so it is not asked again while it stays listed.
          d.asked().tell(new Client.Refused(ControlChecks.forLog(lasting), getContext().getSelf()));
          refusedListed.add(d.asked());
        }
      }
      return beginIfWaiting();
    }
    accept(d.description());
    return afterAccepting();
  }

  private void accept(Client.Description c) {
    ActorRef<Client.Command> previous = clients.put(c.clientId(), c.client());
    if (!c.client().equals(previous)) {
      idOf.put(c.client(), c.clientId());
      getContext().watchWith(c.client(), new ClientGone(c.clientId(), c.client()));
      getContext().getLog().debug("registered client {} ({} examples) at {}", c.clientId(), c.examples(), c.client().path());
    }
    declared.put(c.clientId(), c.examples());
    if (!settings.lostClientWait().isZero() && remembered.size() < MAX_HOSTED) {
      remembered.add(c.clientId());
    }
  }

  private Behavior<Command> afterAccepting() {
    if (waitingFor == Shortage.CLIENTS || waitingFor == Shortage.LOST_CLIENTS) {
      return startAttempt();
    }
    return started ? beginIfWaiting() : maybeStartByItself();
  }

  /** Takes on each listed host on a member with the client role, batch by batch; its clients are checked one by one. */
  private Behavior<Command> onHostsListed(HostsListed listed) {
    timers.cancel(HostsListed.class);
    listedHosts = listed.hosts();
    handOvers.values().removeIf(h -> !listedHosts.contains(h.host()));
    askedHosts.retainAll(listedHosts);
    refusedHosts.retainAll(listedHosts);
    for (ActorRef<Client.HostCommand> host : listedHosts) {
      if (askedHosts.contains(host) || refusedHosts.contains(host)) {
        continue;
      }
      // Whether the member is known is asked first: the view of the membership changes under this
      // actor, and a member that became known between a refusal and this question would have been
      // refused for good.
      if (ControlChecks.unknownMember(getContext().getSystem(), host)) {
        // Listed before this node heard of its member: looked at again once the membership caught up.
        timers.startSingleTimer(HostsListed.class, listed, RECHECK_UNKNOWN_MEMBERS);
        continue;
      }
      String refusal = ControlChecks.notOnMemberWithRole(getContext().getSystem(), host, Client.ROLE);
      if (refusal == null) {
        askedHosts.add(host);
        askHost(host, 0, 1);
      } else {
        refusedHosts.add(host);
        getContext().getLog().warn("refused the clients host registered at {}: {}", host.path(), refusal);
      }
    }
    return this;
  }

  private void askHost(ActorRef<Client.HostCommand> host, int from, int attempt) {
    if (awaited(attempt, null)) {
      handshaking++;
    }
    getContext().ask(Client.Descriptions.class, host, HANDSHAKE_TIMEOUT, r -> new Client.DescribeHosted(from, r),
        (batch, failure) -> new HostDescribed(host, from, batch, failure == null ? null : failure.toString(), attempt));
  }

  private Behavior<Command> onAskHostAgain(AskHostAgain again) {
    if (askedHosts.contains(again.host())) {
      askHost(again.host(), again.from(), again.attempt());
    }
    return this;
  }

  private Behavior<Command> onHostDescribed(HostDescribed d) {
    if (awaited(d.attempt(), null)) {
      handshaking--;
    }
    if (!askedHosts.contains(d.host())) {
      return beginIfWaiting(); // no longer listed: its clients already taken on are watched one by one
    }
    Client.Descriptions batch = d.batch();
    if (batch == null) {
      getContext().getLog().warn("the clients host at {} did not answer the handshake ({}); it is asked again in {} while it stays listed{}",
          d.host().path(), d.failure(), human(ASK_AGAIN_AFTER), UNANSWERED_HINT);
      timers.startSingleTimer(d.host(), new AskHostAgain(d.host(), d.from(), d.attempt() + 1), ASK_AGAIN_AFTER);
      return beginIfWaiting();
    }
    String refusal = hostRefusal(d);
    if (refusal != null) {
      getContext().getLog().error("refusing the clients host at {}: {}; its clients from position {} on will not be trained on",
          d.host().path(), refusal, d.from());
      d.host().tell(new Client.HostVerdict(Math.max(0, batch.total() - d.from()), ControlChecks.forLog(refusal), getContext().getSelf(),
          batch.verdictKey()));
      return beginIfWaiting();
    }
    int next = batch.from() + batch.clients().size();
    if (next < batch.total()) {
      askHost(d.host(), next, 1); // asked before this batch is taken on, so its way there overlaps that work
    } else {
      // Clients still busy when the host introduced this server (training a queue of another
      // server's orders, say) are described once they answer, from position total on; the host is
      // asked for them again (a re-ask does not hold round 1).
      if (d.attempt() > 1 && d.from() > 0 && !batch.clients().isEmpty()) {
        getContext().getLog().info("the clients host at {} described {} more clients; {} have still not answered",
            d.host().path(), batch.clients().size(), batch.unanswered());
      }
      if (batch.unanswered() > 0) {
        if (d.attempt() == 1) {
          getContext().getLog().warn("the clients host at {} described {} clients; {} more have not answered its introduction "
              + "yet and are asked for every {}", d.host().path(), batch.total(), batch.unanswered(), human(ASK_AGAIN_AFTER));
        }
        timers.startSingleTimer(d.host(), new AskHostAgain(d.host(), next, d.attempt() + 1), ASK_AGAIN_AFTER);
      }
    }
    int refusedHere = 0;
    int waitingHere = 0;
    String firstRefusal = null;
    // One line per reason, not per client: a site whose data differ has all its clients refused alike.
    Map<String, List<String>> refusedFor = new LinkedHashMap<>();
    for (Client.Description c : batch.clients()) {
      String clientRefusal = refusal(c);
      if (clientRefusal == null && !ControlChecks.sameNode(getContext().getSystem(), c.client().path().address(), d.host().path().address())) {
        clientRefusal = "it lives on " + c.client().path().address() + ", not on its host's node";
      }
      if (clientRefusal != null) {
        refusedFor.computeIfAbsent(clientRefusal, r -> new ArrayList<>()).add(c.clientId());
        lastClientRefusal = "client " + c.clientId() + ": " + clientRefusal;
        refusedHere++;
        firstRefusal = firstRefusal != null ? firstRefusal : lastClientRefusal;
      } else if (nameHeldByAnother(c)) {
        handOvers.put(c.clientId(), new HandOver(c, d.host()));
        waitingHere++;
        getContext().getLog().warn("client {} at {}, described by the clients host at {}: the client of that name at {} is still "
            + "registered; this one is taken on once that one is gone", c.clientId(), c.client().path(), d.host().path(),
            clients.get(c.clientId()).path());
      } else {
        accept(c);
      }
    }
    refusedFor.forEach((reason, ids) -> {
      if (ids.size() == 1) {
        getContext().getLog().error("refusing client {}, described by the clients host at {}: {}; it will not be trained on",
            ids.get(0), d.host().path(), reason);
      } else {
        getContext().getLog().error("refusing {} clients ({}), described by the clients host at {}: {}; they will not be trained on",
            ids.size(), firstAndMore(ids, 5), d.host().path(), reason);
      }
    });
    if (!batch.clients().isEmpty()) {
      // The host's node logs a refusal too (there the clients sit idle, and its operator looks there first), and is
      // ready only while this server refuses none of its clients.
      d.host().tell(new Client.HostVerdict(refusedHere, firstRefusal == null ? "" : ControlChecks.forLog(firstRefusal),
          getContext().getSelf(), batch.verdictKey(), waitingHere));
    }
    return afterAccepting();
  }

  /** {@code items} for a log line: the first {@code shown}, and how many more. */
  static String firstAndMore(List<String> items, int shown) {
    return items.size() <= shown ? String.join(", ", items)
        : String.join(", ", items.subList(0, shown)) + " and " + (items.size() - shown) + " more";
  }

  /** Why a host's batch is refused as a whole, or null. */
  private String hostRefusal(HostDescribed d) {
    int allowed = settings.clients() > 0 ? settings.clients() : MAX_HOSTED;
    if (d.batch().from() != d.from()) {
      return "asked for its clients from position " + d.from() + ", it described them from " + d.batch().from();
    }
    if ((long) d.batch().total() + d.batch().unanswered() > allowed) {
      return "it announces " + ((long) d.batch().total() + d.batch().unanswered()) + " clients, more than the " + allowed
          + " a host may have";
    }
    return null;
  }

  /**
   * How a peer's signature (a client's data signature, an aggregator's) differs from the one this
   * server expects, in one line: the space-separated
   * words of each that the other lacks ({@code lr=0.05} against {@code lr=0.01}), so that a long
   * signature does not hide the one setting that differs.
   */
  static String signatureDifference(String theirs, String ours) {
    List<String> their = List.of(theirs.split(" "));
    List<String> our = List.of(ours.split(" "));
    List<String> onlyTheirs = their.stream().filter(w -> !our.contains(w)).toList();
    List<String> onlyOurs = our.stream().filter(w -> !their.contains(w)).toList();
    String difference = "'" + ControlChecks.forLog(String.join(" ", onlyTheirs)) + "' against '"
        + ControlChecks.forLog(String.join(" ", onlyOurs)) + "'";
    if (!onlyTheirs.isEmpty() && !onlyOurs.isEmpty()) { // a signature starts with its data's identity, if any
      String data = io.csfl.internal.data.DataIdentity.difference(onlyTheirs.get(0), onlyOurs.get(0));
      return data.isEmpty() ? difference : difference + " (" + data + ")";
    }
    return difference;
  }

  /** Why the handshake's answer is not accepted, or null. */
  private String refusal(Described d) {
    Client.Description c = d.description();
    if (c == null) {
      return "no answer to the handshake: " + d.failure();
    }
    if (!c.client().equals(d.asked())) {
      return "it answered for another actor, " + c.client().path();
    }
    if (d.registeredAs() != null && !d.registeredAs().equals(c.clientId())) {
      return "registered as " + d.registeredAs() + " but describes itself as " + c.clientId();
    }
    String refusal = refusal(c);
    // A local registration replaces the client of that name (an embedder respawning it); a listed
    // client never takes the name of another that is still there.
    if (refusal == null && d.registeredAs() == null && nameHeldByAnother(c)) {
      return "a second client named " + c.clientId();
    }
    return refusal;
  }

  /** Whether another actor than {@code c}'s holds its name. */
  private boolean nameHeldByAnother(Client.Description c) {
    ActorRef<Client.Command> holder = clients.get(c.clientId());
    return holder != null && !holder.equals(c.client());
  }

  /** Why a client that describes itself as {@code c} is not taken on, whoever holds its name, or null. */
  private String refusal(Client.Description c) {
    if (c.clientId() == null || c.client() == null) {
      return "its description lacks an id or an actor";
    }
    String registeredAs = idOf.get(c.client());
    if (registeredAs != null && !registeredAs.equals(c.clientId())) {
      return "its actor is client " + registeredAs + " already";
    }
    if (settings.clients() > 0 && Client.index(c.clientId()).orElse(settings.clients()) >= settings.clients()) {
      return "id " + c.clientId() + " is not one of the federation's " + settings.clients() + " (" + Client.id(0) + " to "
          + Client.id(settings.clients() - 1) + ")";
    }
    if (!settings.dataSignature().equals(c.dataSignature())) {
      return "its data signature differs from this server's: " + signatureDifference(c.dataSignature(), settings.dataSignature());
    }
    if (c.examples() <= 0) {
      return "it declares " + c.examples() + " examples";
    }
    int[] shares = settings.examplesPerClient;
    if (shares.length > 0) {
      int index = Client.index(c.clientId()).orElse(shares.length);
      if (index >= shares.length) {
        return "id " + c.clientId() + " has no share in this server's partition of " + shares.length + " clients";
      }
      if (c.examples() != shares[index]) {
        return "it declares " + c.examples() + " examples, its share of the partition holds " + shares[index];
      }
    }
    return null;
  }

  private Behavior<Command> onAggregatorsListed(AggregatorsListed listed) {
    timers.cancel(AggregatorsListed.class);
    Set<ActorRef<Aggregator.Command>> allowed = new HashSet<>();
    for (ActorRef<Aggregator.Command> a : listed.aggregators()) {
      // Known member first, as for clients hosts (onHostsListed).
      if (ControlChecks.unknownMember(getContext().getSystem(), a)) {
        // Listed before this node heard of its member: asked again once the membership caught up.
        timers.startSingleTimer(AggregatorsListed.class, listed, RECHECK_UNKNOWN_MEMBERS);
        continue;
      }
      String refusal = ControlChecks.notOnMemberWithRole(getContext().getSystem(), a, ControlChecks.AGGREGATOR_ROLE);
      if (refusal == null) {
        allowed.add(a);
      } else if (refusedAggregators.add(a)) {
        getContext().getLog().warn("refused the aggregator registered at {}: {}", a.path(), refusal);
      }
    }
    refusedAggregators.retainAll(listed.aggregators());
    listedAggregators = allowed;
    stoppedAggregators.retainAll(listedAggregators);
    mismatchedAggregators.retainAll(listedAggregators);
    probedAggregators.retainAll(listedAggregators);
    probes.values().retainAll(listedAggregators);
    listedAggregators.stream().filter(a -> !a.equals(aggregator)).forEach(this::probe);
    if (aggregator != null && !listedAggregators.contains(aggregator)) {
      // Unreachable or gone: the listing says so before death watch does.
      return loseAggregator(aggregator, "is no longer listed");
    }
    if (aggregator == null && pickAggregator() && waitingFor == Shortage.AGGREGATOR) {
      return startAttempt();
    }
    return maybeStartByItself();
  }

  /**
   * Asks a listed aggregator that this server is not using for its signature, once while it is listed, so that a
   * standby of other flags is refused (and its node says so, and is not ready) when it registers rather than at a
   * failover, and one that fits is told so (an earlier server may have refused it). The ask is a first contact: a {@link Aggregator.PrepareRound} without the session key, which the
   * aggregator answers with its key and signature alone.
   */
  private void probe(ActorRef<Aggregator.Command> listed) {
    if (settings.aggregatorSignature().isEmpty() || !probedAggregators.add(listed)) {
      return;
    }
    long probe = tokens.nextLong();
    probes.put(probe, listed);
    // Its answer comes through the one adapter of aggregator replies (one per message class), told apart by its token.
    listed.tell(new Aggregator.PrepareRound(Math.max(1, round), probe, 0, List.of(), aggregatorReplies));
  }

  /** The answer to a {@link #probe} of {@code probed}. */
  private Behavior<Command> onProbeReply(ActorRef<Aggregator.Command> probed, Aggregator.Reply reply) {
    if (!(reply instanceof Aggregator.SessionKey key)) {
      return this;
    }
    String mismatch = aggregatorMismatch(key.signature());
    if (mismatch == null) {
      probed.tell(new Aggregator.Accepted(key.session())); // an earlier server's refusal no longer holds
    } else if (!probed.equals(aggregator) && mismatchedAggregators.add(probed)) {
      getContext().getLog().error("refusing the aggregator at {}: {}; it will not be used", probed.path(), mismatch);
      probed.tell(new Aggregator.Refused(key.session(), mismatch));
      lastAggregatorRefusal = probed.path() + ": " + mismatch;
    }
    return this;
  }

  /** Takes any listed aggregator that is not known to have stopped and was not refused; false if there is none. */
  private boolean pickAggregator() {
    aggregator = listedAggregators.stream().filter(a -> !stoppedAggregators.contains(a) && !mismatchedAggregators.contains(a))
        .findFirst().orElse(null);
    aggregatorSession = 0;
    if (aggregator == null) {
      return false;
    }
    getContext().getLog().info("aggregator at {}", aggregator.path());
    watchAggregator();
    return true;
  }

  private void watchAggregator() {
    if (watchedAggregators.add(aggregator)) {
      getContext().watchWith(aggregator, new AggregatorLost(aggregator));
    }
  }

  /**
   * The current attempt's aggregator is gone: the attempt is retried at once with another, which
   * resumes from the last global model, or, with none listed, when one registers.
   */
  private Behavior<Command> loseAggregator(ActorRef<Aggregator.Command> lost, String how) {
    if (!lost.equals(aggregator)) {
      return this;
    }
    boolean replaced = pickAggregator();
    boolean inAttempt = round > 0 && waitingFor == null && nextRound == 0;
    getContext().getLog().warn("aggregator {} {}{}", lost.path(), how,
        !inAttempt ? "" : replaced ? "; round " + round + " attempt " + attempt + " is retried with another" : "");
    if (!inAttempt) {
      return this;
    }
    timers.cancel(AggregatorSilent.class);
    aggregatorMayHaveCommitted();
    if (report == null && collector != null) {
      giveUpCollector();
      // Lost may mean unreachable: should it come back, it must not keep this attempt's partial sums.
      lost.tell(new Aggregator.AbandonRound(round, foldKey));
      // Of the clients sent the round's model the server cannot be sure what they hold now.
      sample.keySet().forEach(held::remove);
    }
    collector = null;
    return startAttempt();
  }

  /** The round cannot start for want of {@code shortage}: it waits, up to that shortage's grace, for it to register. */
  private Behavior<Command> await(Shortage shortage) {
    // No attempt runs while the round waits: nothing to hear from an aggregator until the next.
    timers.cancel(AggregatorSilent.class);
    if (waitingFor != shortage) {
      waitingFor = shortage;
      getContext().getLog().warn("round {}: {}; waiting up to {} for {} to register", round, shortageText(),
          human(grace(shortage)), switch (shortage) {
            case AGGREGATOR -> "one";
            case CLIENTS -> "more";
            case LOST_CLIENTS -> "them";
          });
      timers.startSingleTimer(GraceOver.class, new GraceOver(round, shortage), grace(shortage));
    }
    return this;
  }

  private Duration grace(Shortage shortage) {
    return switch (shortage) {
      case AGGREGATOR -> settings.aggregatorGrace();
      case CLIENTS -> settings.clientGrace();
      case LOST_CLIENTS -> settings.lostClientWait();
    };
  }

  /**
   * The ids of clients accepted earlier in the run that are gone and were not waited for in vain:
   * not registered now, or registered still only because their end (ClientGone) has not reached
   * the server yet while a collector already saw them stop.
   */
  private List<String> lostClients() {
    return remembered.stream().filter(id -> !clients.containsKey(id) || seenStopping(id)).toList();
  }

  /** Whether registered client {@code id} is one a round's collector saw stop, whose end has not reached the server yet. */
  private boolean seenStopping(String id) {
    return clients.get(id).equals(departed.get(id));
  }

  /** Client ids for a log line: the federation's numbered ids as runs ({@link #ranges}), then any others by name. */
  static String named(List<String> ids) {
    List<Integer> numbered = ids.stream().map(Client::index).filter(java.util.OptionalInt::isPresent)
        .map(java.util.OptionalInt::getAsInt).sorted().toList();
    List<String> others = ids.stream().filter(id -> Client.index(id).isEmpty()).sorted().toList();
    if (others.isEmpty()) {
      return ranges(numbered);
    }
    String names = firstAndMore(others, NAMED_RANGES);
    return numbered.isEmpty() ? names : ranges(numbered) + ", " + names;
  }

  private String shortageText() {
    return switch (waitingFor) {
      case AGGREGATOR -> "no aggregator is registered" + (mismatchedAggregators.isEmpty() ? "" : " that this server can use");
      case CLIENTS -> clients.size() + " clients are registered, a round needs " + settings.minCompleted();
      case LOST_CLIENTS -> {
        List<String> lost = lostClients();
        yield lost.size() + " clients registered earlier are gone (" + named(lost) + ")";
      }
    };
  }

  private Behavior<Command> onGraceOver(GraceOver over) {
    if (over.round() != round || over.shortage() != waitingFor) {
      return this;
    }
    String grace = human(grace(waitingFor));
    if (waitingFor == Shortage.LOST_CLIENTS) {
      List<String> lost = lostClients();
      lost.forEach(remembered::remove);
      getContext().getLog().warn("round {}: {} lost clients did not register again within {} ({}); the round samples without them",
          round, lost.size(), grace, named(lost));
      waitingFor = null;
      return startAttempt();
    }
    return abort(waitingFor == Shortage.AGGREGATOR ? "no aggregator registered within the aggregator grace of " + grace
            + (mismatchedAggregators.isEmpty() ? "" : "; the last aggregator refused: " + lastAggregatorRefusal)
        : shortageText() + "; too few came back within the client grace of " + grace
            + (lastClientRefusal == null ? "" : "; the last client refused: " + lastClientRefusal));
  }

  /** A duration as the command line writes it: 2m, 90s, 1m30s, 500ms. */
  static String human(Duration d) {
    return d.toMillis() < 1000 && !d.isZero() ? d.toMillis() + "ms" : d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
  }

  private Behavior<Command> onReportStartWait() {
    if (!started) {
      getContext().getLog().warn("waiting to start: {} of the {} clients it starts with are registered, {}{}{}", clients.size(),
          settings.minClients(), aggregator == null ? "no aggregator" : "and an aggregator",
          handshaking == 0 ? "" : "; " + handshaking + " clients are still answering the handshake",
          lastClientRefusal == null ? "" : "; the last client refused: " + lastClientRefusal);
    }
    return this;
  }

  private Behavior<Command> maybeStartByItself() {
    if (!started && settings.minClients() > 0 && aggregator != null && clients.size() >= settings.minClients()) {
      getContext().getLog().info("{} clients and an aggregator registered: starting", clients.size());
      return onStart(new Start());
    }
    return this;
  }

  private Behavior<Command> onStart(Start start) {
    if (started) {
      return this;
    }
    started = true;
    timers.cancel(ReportStartWait.INSTANCE);
    return beginIfWaiting();
  }

  /** Once started, the first round begins when no handshake is outstanding (clients registered just before Start). */
  private Behavior<Command> beginIfWaiting() {
    return started && round == 0 && handshaking == 0 ? begin() : this;
  }

  /** Round 1, or the round after the checkpoint this server resumes from. */
  private Behavior<Command> begin() {
    if (resumeFrom.isEmpty()) {
      return startRound(1);
    }
    Checkpoint c = resumeFrom.get();
    history.addAll(c.metrics());
    held.putAll(c.held());
    lastGlobal = c.global();
    lastState = c.strategyState();
    getContext().getLog().info("{}: resuming after round {} from a checkpoint", settings.algorithm(), c.round());
    if (c.round() >= settings.rounds()) {
      listener.tell(new Finished(settings.algorithm(), history));
      return Behaviors.stopped();
    }
    return startRound(c.round() + 1);
  }

  private Behavior<Command> startRound(int r) {
    round = r;
    attempt = 0;
    roundStartNanos = System.nanoTime();
    bytesDown = bytesUp = trainMillis = overheadMillis = 0;
    selected = 0;
    givenUp.clear();
    failures = 0;
    return startAttempt();
  }

  /** Clients of the fixed federation that are not registered cannot be sampled: the user should know which. */
  private void warnOfMissingClients() {
    if (settings.clients() == 0 || clients.size() == settings.clients()) {
      return;
    }
    List<Integer> missing = IntStream.range(0, settings.clients()).filter(i -> !clients.containsKey(Client.id(i))).boxed().toList();
    getContext().getLog().warn("round {}: {} of the federation's {} clients are not registered and cannot be sampled: {}",
        round, missing.size(), settings.clients(), ranges(missing));
  }

  /** The most runs of ids a warning names; the rest are counted. */
  static final int NAMED_RANGES = 20;

  /** Ascending client indices as runs of ids, e.g. "client-0003..client-0007, client-0012". */
  static String ranges(List<Integer> ascending) {
    List<String> runs = new ArrayList<>();
    int i = 0;
    while (i < ascending.size()) {
      int j = i;
      while (j + 1 < ascending.size() && ascending.get(j + 1) == ascending.get(j) + 1) {
        j++;
      }
      runs.add(i == j ? Client.id(ascending.get(i)) : Client.id(ascending.get(i)) + ".." + Client.id(ascending.get(j)));
      i = j + 1;
    }
    return runs.size() <= NAMED_RANGES ? String.join(", ", runs)
        : String.join(", ", runs.subList(0, NAMED_RANGES)) + " and " + (runs.size() - NAMED_RANGES) + " more runs";
  }

  private Behavior<Command> startAttempt() {
    report = null;
    aggregated = null;
    discarded = null;
    if (clients.size() < settings.minCompleted()) {
      return await(Shortage.CLIENTS);
    }
    if (aggregator == null) {
      return await(Shortage.AGGREGATOR);
    }
    // Only before a round's first attempt: a retry samples at once from those still there.
    if (attempt == 0 && !settings.lostClientWait().isZero() && !lostClients().isEmpty()) {
      return await(Shortage.LOST_CLIENTS);
    }
    if (waitingFor != null) {
      getContext().getLog().info("round {}: {} registered again; the round goes on", round, switch (waitingFor) {
        case AGGREGATOR -> "an aggregator";
        case CLIENTS -> "enough clients";
        case LOST_CLIENTS -> "the lost clients";
      });
      waitingFor = null;
      timers.cancel(GraceOver.class);
    }
    if (attempt == 0) {
      warnOfMissingClients(); // once a round, when it samples
    }
    attempt++;
    sample = sample();
    token = tokens.nextLong();
    foldKey = 0;
    sessionAsked = false;
    heldBySample = sample.keySet().stream().filter(held::containsKey).map(held::get).distinct().sorted().toList();
    askAggregator();
    awaitAggregator();
    return this;
  }

  /**
   * Sends the attempt's prepare, or resume, to the aggregator. Until the aggregator's session key
   * is known a bare prepare goes first, which the aggregator answers with the key only: a resume
   * carries a whole model, and is sent once, with the key.
   */
  private void askAggregator() {
    if (aggregatorSession == 0) {
      aggregator.tell(new Aggregator.PrepareRound(round, token, 0, heldBySample, aggregatorReplies));
    } else if (round > 1 && !aggregator.equals(aggregatorInStep)) {
      getContext().getLog().info("round {}: aggregator {} resumes from the model of round {}", round, aggregator.path(), round - 1);
      // A failed transfer needs no listener of its own: no RoundPrepared comes, and the
      // aggregator-silence timer retries the attempt.
      Transfers.get(getContext().getSystem()).tell(aggregator, new Aggregator.Resume(round, token, aggregatorSession, lastGlobal,
          heldBySample, aggregatorReplies, lastState), getContext().getSystem().ignoreRef());
    } else {
      aggregator.tell(new Aggregator.PrepareRound(round, token, aggregatorSession, heldBySample, aggregatorReplies));
    }
  }

  private void awaitAggregator() {
    timers.startSingleTimer(AggregatorSilent.class, new AggregatorSilent(round, attempt), settings.roundTimeout());
  }

  /**
   * A collector that stops before its report has failed (its report arrives before its end):
   * nothing else would end its attempt, so the attempt is given up as if its aggregator were lost.
   */
  private Behavior<Command> onCollectorStopped(CollectorStopped stopped) {
    if (!stopped.collector().equals(collector) || stopped.round() != round || stopped.attempt() != attempt || report != null) {
      return this; // it reported, or its attempt was given up before it stopped
    }
    getContext().getLog().error("round {} attempt {}: the round's collector stopped without a report", round, attempt);
    aggregatorMayHaveCommitted();
    // Its cut-off report, if it sent one as it stopped, counts what the attempt spent.
    givenUp.putIfAbsent(attempt, foldKey);
    collector = null;
    if (aggregator != null) {
      aggregator.tell(new Aggregator.AbandonRound(round, foldKey));
    }
    // Of the clients sent the round's model the server cannot be sure what they hold now.
    sample.keySet().forEach(held::remove);
    return retryOrAbort(attempts -> "the collector of round " + round + " stopped without its report in " + attempts + " attempts");
  }

  /**
   * The attempt is given up: if its close may have gone out (its collector ran, and sends the close
   * just before its report), its aggregator may have committed the round all the same (its result
   * lost, or too late). Prepared again, it would apply the round on top of that result, so it is no
   * longer taken to be in step: the retry resumes it from the server's model of the round before
   * (round 1: it starts over from its initial model by itself).
   */
  private void aggregatorMayHaveCommitted() {
    if (report != null || collector != null) {
      aggregatorInStep = null;
    }
  }

  /**
   * Stops the current attempt's collector, whose report has not come in: what the attempt spent
   * (its downlinks, the updates that came in) is still the round's, so that report, sent as the
   * collector stops or already on its way, is counted for its costs only ({@link #onCollected}).
   */
  private void giveUpCollector() {
    givenUp.put(attempt, foldKey);
    getContext().stop(collector);
  }

  private Behavior<Command> onAggregatorSilent(AggregatorSilent silent) {
    if (silent.round() != round || silent.attempt() != attempt) {
      return this;
    }
    String what = report == null ? "the round's downlink" : "the round's aggregate";
    getContext().getLog().warn("round {} attempt {}: no answer from the aggregator for {} within {}", round, attempt, what, settings.roundTimeout());
    aggregatorMayHaveCommitted();
    return retryOrAbort(attempts -> "the aggregator did not send " + what + " of round " + round + " in " + attempts + " attempts");
  }

  /** The attempt failed: another one, or after the last the run's end, {@code why} given the attempts made. */
  private Behavior<Command> retryOrAbort(java.util.function.IntFunction<String> why) {
    return ++failures < settings.maxAttempts() ? startAttempt() : abort(why.apply(failures));
  }

  private Behavior<Command> onAggregatorReply(AggregatorReply wrapped) {
    ActorRef<Aggregator.Command> probed = probes.remove(wrapped.reply().token());
    if (probed != null) {
      return onProbeReply(probed, wrapped.reply());
    }
    if (nextRound != 0) {
      return this; // between rounds: a late reply of the round that is done
    }
    if (aggregator == null || waitingFor != null) {
      // No attempt is under way (its aggregator was lost, or it waits for one or for clients):
      // a late reply of the attempt given up, whose token the next attempt replaces.
      return this;
    }
    if (wrapped.reply().token() != token) {
      getContext().getLog().warn("round {}: refused a reply to the aggregator's address without this attempt's token", round);
      return this;
    }
    if (wrapped.reply() instanceof Aggregator.SessionKey k && collector == null && report == null) {
      if (sessionAsked) {
        getContext().getLog().warn("round {} attempt {}: the aggregator sent its session key again; the attempt is retried", round, attempt);
        return this;
      }
      String mismatch = aggregatorMismatch(k.signature());
      if (mismatch != null) {
        return refuseAggregator(k.session(), mismatch);
      }
      sessionAsked = true;
      aggregatorSession = k.session();
      askAggregator();
    } else if (wrapped.reply() instanceof Aggregator.RoundPrepared p && p.round() == round && report == null) {
      timers.cancel(AggregatorSilent.class);
      foldKey = p.key();
      // A client that left while the aggregator prepared the round is not sent it.
      sample.entrySet().removeIf(e -> !e.getValue().equals(clients.get(e.getKey())));
      if (sample.size() < settings.minCompleted()) {
        getContext().getLog().warn("round {} attempt {}: {} of the sampled clients are still registered, a round needs {}; "
            + "the attempt starts again", round, attempt, sample.size(), settings.minCompleted());
        aggregator.tell(new Aggregator.AbandonRound(round, foldKey));
        return startAttempt();
      }
      int minCompleted = Math.min(settings.minCompleted(), sample.size());
      int wanted = Math.min(settings.clientsPerRound(), sample.size());
      Map<String, Payload> downlinks = new HashMap<>();
      sample.keySet().forEach(id -> downlinks.put(id, p.downlinkFor(held.getOrDefault(id, Payload.ABSOLUTE))));
      Map<String, Integer> examples = new HashMap<>();
      sample.keySet().forEach(id -> examples.put(id, declared.get(id)));
      RoundCollector.Plan plan = new RoundCollector.Plan(round, attempt, foldKey, sample, examples, downlinks, p.downlink(),
          settings.roundTimeout(), minCompleted, wanted);
      collector = getContext().spawn(RoundCollector.create(plan, aggregator, aggregatorReplies, collectorReports),
          "round-" + round + "-" + attempt);
      getContext().watchWith(collector, new CollectorStopped(round, attempt, collector));
    } else if (wrapped.reply() instanceof Aggregator.RoundAggregated a && a.round() == round) {
      timers.cancel(AggregatorSilent.class);
      aggregated = a;
      return maybeComplete();
    } else if (wrapped.reply() instanceof Aggregator.ResumeRefused r && r.round() == round && collector == null && report == null) {
      return refuseAggregator(aggregatorSession, "it cannot resume round " + round + ": " + ControlChecks.forLog(r.reason()));
    } else if (wrapped.reply() instanceof Aggregator.AttemptDiscarded d && d.round() == round) {
      timers.cancel(AggregatorSilent.class);
      discarded = d;
      return maybeComplete();
    }
    return this;
  }

  /** Why an aggregator of {@code signature} is not the one this server expects, or null. */
  private String aggregatorMismatch(String signature) {
    String expected = settings.aggregatorSignature();
    return expected.isEmpty() || expected.equals(signature) ? null
        : "its signature differs from this server's: " + signatureDifference(signature, expected);
  }

  /**
   * The current aggregator, whose session key came with a signature that differs: it is told why
   * (its node logs it) and never used while listed; the attempt goes on with another, or waits
   * the aggregator grace for one. Nothing was prepared, so nothing is lost.
   */
  private Behavior<Command> refuseAggregator(long session, String why) {
    ActorRef<Aggregator.Command> refused = aggregator;
    getContext().getLog().error("refusing the aggregator at {}: {}; it will not be used", refused.path(), why);
    refused.tell(new Aggregator.Refused(session, why));
    lastAggregatorRefusal = refused.path() + ": " + why;
    mismatchedAggregators.add(refused);
    if (!discovering) {
      // No other aggregator can register: waiting the aggregator grace would change nothing.
      return abort("the aggregator at " + refused.path() + " cannot be used: " + why);
    }
    return loseAggregator(refused, "was refused");
  }

  /** The same seed, round and attempt give the same sample, whichever algorithm runs. */
  private Map<String, ActorRef<Client.Command>> sample() {
    List<String> ids = new ArrayList<>(clients.keySet());
    // A client a collector saw stop is not sampled, though its end may not have reached the server yet.
    ids.removeIf(this::seenStopping);
    Random rng = new Random(settings.seed() * 0x9E3779B97F4A7C15L + round * 31L + attempt);
    int k = Math.min(settings.sampled(), ids.size());
    for (int i = 0; i < k; i++) {
      int j = i + rng.nextInt(ids.size() - i);
      String t = ids.get(i);
      ids.set(i, ids.get(j));
      ids.set(j, t);
    }
    Map<String, ActorRef<Client.Command>> out = new LinkedHashMap<>();
    for (String id : ids.subList(0, k)) {
      out.put(id, clients.get(id));
    }
    return out;
  }

  private Behavior<Command> onCollected(Collected c) {
    RoundReport r = c.report();
    if (r.round() != round || nextRound != 0) {
      return this;
    }
    boolean ofGivenUp = givenUp.containsKey(r.attempt());
    if (ofGivenUp || r.cutOff()) {
      // An attempt given up (or whose collector stopped by itself): its report counts for what the
      // attempt spent, once, if it carries that attempt's key.
      long key = ofGivenUp ? givenUp.get(r.attempt()) : r.attempt() == attempt ? foldKey : 0;
      if (key != 0 && r.token() == key) {
        givenUp.put(r.attempt(), 0L);
        countCosts(r);
        getContext().getLog().debug("round {}: attempt {}, given up, sent {} bytes down and received {} up", round, r.attempt(),
            r.bytesDown(), r.bytesUp());
      }
      return this;
    }
    if (r.attempt() != attempt || collector == null) {
      return this;
    }
    if (r.token() != foldKey || foldKey == 0) {
      getContext().getLog().warn("round {} attempt {}: refused a round report without the attempt's token", round, attempt);
      return this;
    }
    collector = null;
    r.droppedIds().forEach(id -> {
      ActorRef<Client.Command> ref = sample.get(id);
      if (ref != null && ref.equals(clients.get(id))) {
        departed.put(id, ref);
      }
    });
    // A client that returned an update holds the model it was sent; of any other selected
    // client the server can no longer be sure, and sends it the common downlink next time.
    r.selectedIds().forEach(held::remove);
    r.trainedIds().forEach(id -> held.put(id, round - 1));
    countCosts(r);
    int minCompleted = Math.min(settings.minCompleted(), r.selected());
    if (r.completed() < minCompleted) {
      getContext().getLog().warn("round {} attempt {}: {} of {} clients completed ({} dropped, {} failed, {} timed out), need {}",
          round, attempt, r.completed(), r.selected(), r.dropped(), r.failed(), r.timedOut(), minCompleted);
      return retryOrAbort(attempts -> "round " + round + " got fewer than " + minCompleted + " updates in " + attempts
          + " attempts (the last: " + r.completed() + " of " + r.selected() + ", " + r.dropped() + " dropped, " + r.failed()
          + " failed, " + r.timedOut() + " timed out" + (r.failures().isEmpty() ? "" : "; " + r.failures().get(0))
          + (r.rejected().isEmpty() ? "" : "; refused: " + r.rejected().get(0)) + ")");
    }
    report = r;
    if (aggregated == null && discarded == null) {
      awaitAggregator();
    }
    return maybeComplete();
  }

  /** Adds what an attempt's collector counted to the round's traffic, client times and selections. */
  private void countCosts(RoundReport r) {
    bytesDown += r.bytesDown();
    bytesUp += r.bytesUp();
    trainMillis += r.trainMillis();
    overheadMillis += r.overheadMillis();
    selected += r.selected();
  }

  private Behavior<Command> maybeComplete() {
    if (report == null || (aggregated == null && discarded == null)) {
      return this;
    }
    int needed = Math.min(settings.minCompleted(), report.selected());
    if (discarded != null) {
      return retryDiscarded(needed, discarded.accepted(), discarded.refused(), discarded.firstRefusals(), discarded.reason());
    }
    if (aggregated.accepted() < needed) {
      // Not from an aggregator of this build, which discards such an attempt; treated the same.
      List<String> refused = aggregated.rejections();
      aggregatorMayHaveCommitted();
      return retryDiscarded(needed, aggregated.accepted(), refused.size(), refused, null);
    }
    lastGlobal = aggregated.global();
    lastState = mergedState(aggregated.state());
    aggregatorInStep = aggregator;
    Model global = aggregated.global();
    // Everything but the accuracy and loss is known now; the wall time is the round's, without its evaluation.
    RoundMetrics unevaluated = new RoundMetrics(settings.algorithm(), round, 0, 0, bytesDown, bytesUp, selected,
        aggregated.accepted(), trainMillis, overheadMillis, aggregated.serverMillis(), (System.nanoTime() - roundStartNanos) / 1_000_000);
    List<String> rejections = new ArrayList<>(report.rejected());
    rejections.addAll(aggregated.rejections());
    // What the checkpoint of this round holds, as of now: the next round changes it.
    Map<String, Integer> heldNow = Map.copyOf(held);
    TensorFile stateNow = lastState;
    evaluating++;
    if (!settings.evaluateAlongside()) {
      Evaluation eval;
      try {
        eval = evaluate(global);
      } catch (RuntimeException | AssertionError e) {
        return onEvaluationFailed(new EvaluationFailed(round, e.toString()));
      }
      onEvaluated(evaluated(unevaluated, rejections, global, heldNow, stateNow, eval));
    } else {
      getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> evaluate(global), evaluation),
          (eval, failure) -> failure == null ? evaluated(unevaluated, rejections, global, heldNow, stateNow, eval)
              : new EvaluationFailed(unevaluated.round(),
                  (failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null ? failure.getCause() : failure).toString()));
    }
    if (round >= settings.rounds()) {
      return finishWhenEvaluated(this::announceEnd);
    }
    if (evaluating > 1) {
      // The previous round is still being evaluated: training stays at most one round ahead.
      nextRound = round + 1;
      return this;
    }
    return startRound(round + 1);
  }

  /**
   * The aggregator discarded the attempt: it refused so many updates that fewer than a round
   * needs were folded ({@code refused} names the first of {@code refusedCount}), or what it folded
   * made no valid model ({@code reason}). Not a round: retried at once.
   */
  private Behavior<Command> retryDiscarded(int needed, int accepted, int refusedCount, List<String> refused, String reason) {
    if (accepted >= needed) {
      getContext().getLog().warn("round {} attempt {}: the aggregator discarded the attempt: {}", round, attempt, reason);
      return retryOrAbort(attempts -> "round " + round + ": no round in " + attempts + " attempts; the aggregator discarded the last: "
          + reason);
    }
    getContext().getLog().warn("round {} attempt {}: the aggregator accepted {} updates, a round needs {}; it refused {}: {}",
        round, attempt, accepted, needed, refusedCount, refused);
    return retryOrAbort(attempts -> "round " + round + ": the aggregator "
        + (accepted == 0 ? "refused every update" : "accepted fewer than the " + needed + " updates a round needs")
        + " in " + attempts + " attempts" + (refused.isEmpty() ? "" : ", the last attempt's first refusal: " + refused.get(0)));
  }

  /**
   * The strategy's whole state after this round: what the aggregator sent with it (each entry kept
   * per earlier global model comes once), and the entries of earlier rounds' results that it still
   * keeps and some client still needs. A state that does not parse is refused, and a replacement
   * aggregator restores from the model alone.
   */
  private TensorFile mergedState(TensorFile update) {
    try {
      return Checkpoint.mergeState(lastState, update, held.values());
    } catch (IllegalArgumentException e) {
      getContext().getLog().error("round {}: refused the aggregator's strategy state: {}", round, e.getMessage());
      return TensorFile.EMPTY;
    }
  }

  /** The evaluator's result for {@code global}; none is an application's evaluator's error. */
  private Evaluation evaluate(Model global) {
    Evaluation eval = evaluator.evaluate(global);
    if (eval == null) {
      throw new IllegalStateException("the evaluator returned no evaluation");
    }
    return eval;
  }

  private static Evaluated evaluated(RoundMetrics m, List<String> rejections, Model global, Map<String, Integer> heldThen,
                                     TensorFile stateThen, Evaluation eval) {
    RoundMetrics done = new RoundMetrics(m.algorithm(), m.round(), eval.accuracy(), eval.loss(), m.bytesDown(), m.bytesUp(),
        m.clientsSelected(), m.clientsCompleted(), m.clientTrainMs(), m.clientOverheadMs(), m.serverMs(), m.wallMs());
    return new Evaluated(done, rejections, global, heldThen, stateThen);
  }

  /**
   * A round's evaluation threw (an application's evaluator, say): that round's metrics cannot be
   * completed, so it is neither published nor checkpointed, and the run ends aborted with the
   * cause, once evaluations under way have ended; the rounds after it are not published either,
   * which keeps the published rounds and the checkpoints a gapless prefix that a resume continues.
   */
  private Behavior<Command> onEvaluationFailed(EvaluationFailed f) {
    evaluating--;
    if (evaluationFailed) {
      return evaluating == 0 && whenEvaluated != null ? endNow() : this;
    }
    evaluationFailed = true;
    String reason = "evaluating round " + f.round() + " failed: " + f.cause();
    getContext().getLog().error("{}: training aborted: {}", settings.algorithm(), reason);
    return finishWhenEvaluated(() -> listener.tell(new Aborted(settings.algorithm(), f.round(), reason)));
  }

  private Behavior<Command> endNow() {
    whenEvaluated.run();
    return Behaviors.stopped();
  }

  /** A round's metrics are complete: they are recorded, checkpointed and published, in round order. */
  private Behavior<Command> onEvaluated(Evaluated e) {
    evaluating--;
    if (evaluationFailed) {
      // An earlier round could not be evaluated: this one is not published out of order, and the
      // server, finishing, keeps taking only evaluations.
      return evaluating == 0 && whenEvaluated != null ? endNow() : Behaviors.same();
    }
    history.add(e.metrics());
    String unsaved = saveCheckpoint(new Checkpoint(settings.algorithm(), e.metrics().round(), history, e.held(), e.global(), e.state()));
    if (unsaved != null && e.metrics().round() >= settings.rounds()) {
      lastRoundUnsaved = unsaved;
    }
    listener.tell(new RoundCompleted(e.metrics(), e.rejections()));
    if (whenEvaluated != null) {
      // Finishing: an earlier round's evaluation does not put the server back to work (it would
      // take registrations, start a round it had queued, or run the last round again when the
      // aggregator is lost); it takes only evaluations until the last one is in.
      return evaluating == 0 ? endNow() : Behaviors.same();
    }
    if (nextRound != 0 && evaluating <= 1) {
      int next = nextRound;
      nextRound = 0;
      return startRound(next);
    }
    return this;
  }

  /** Runs {@code end} and stops once every aggregated round is evaluated; until then the server only takes evaluations. */
  private Behavior<Command> finishWhenEvaluated(Runnable end) {
    if (evaluating == 0) {
      end.run();
      return Behaviors.stopped();
    }
    whenEvaluated = end;
    getContext().getLog().debug("{}: finishing once {} evaluations are in", settings.algorithm(), evaluating);
    return Behaviors.receive(Command.class)
        .onMessage(Evaluated.class, this::onEvaluated)
        .onMessage(EvaluationFailed.class, this::onEvaluationFailed)
        // The last round's collector stops once it has reported: nothing to retry any more.
        .onMessage(CollectorStopped.class, stopped -> Behaviors.same())
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  /**
   * The end of a run whose last round is aggregated and evaluated: finished, unless that round
   * could not be saved. Then the run's result exists nowhere but in this server's memory, and the
   * newest checkpoint is an earlier round's: the run is aborted, and a server resumed from that
   * checkpoint runs the last round again.
   */
  private void announceEnd() {
    if (lastRoundUnsaved == null) {
      listener.tell(new Finished(settings.algorithm(), history));
    } else {
      listener.tell(new Aborted(settings.algorithm(), round, "the last round could not be saved (" + lastRoundUnsaved
          + "); resumed, the run continues after its newest checkpoint, an earlier round's"));
    }
  }

  /**
   * Saves a round's checkpoint; returns null, or why it failed. A failed save is logged and
   * training goes on: the previous checkpoint still stands (for the last round, see {@link #announceEnd}).
   */
  private String saveCheckpoint(Checkpoint checkpoint) {
    try {
      checkpointer.save(checkpoint);
      return null;
    } catch (IOException | RuntimeException e) {
      // A file the checkpointer could not write is named with what is wrong with it, in words;
      // anything else (a bug of a checkpointer) with its exception.
      String why = e instanceof java.nio.file.FileSystemException f && f.getFile() != null
          ? io.csfl.internal.files.FileProblems.writing(java.nio.file.Path.of(f.getFile()), f) : e.toString();
      getContext().getLog().error("{}: round {} could not be checkpointed: {}", settings.algorithm(), checkpoint.round(), why);
      return why;
    }
  }

  private Behavior<Command> abort(String reason) {
    getContext().getLog().error("{}: training aborted in round {}: {}", settings.algorithm(), round, reason);
    // The rounds already aggregated are still evaluated and published before the abort.
    return finishWhenEvaluated(() -> listener.tell(new Aborted(settings.algorithm(), round, reason)));
  }
}
