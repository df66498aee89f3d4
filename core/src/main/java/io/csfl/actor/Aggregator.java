package io.csfl.actor;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.receptionist.ServiceKey;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.Payload;
import io.csfl.internal.actor.ControlMessage;
import io.csfl.internal.actor.WireMessage;
import io.csfl.internal.transfer.TransferFailed;
import io.csfl.internal.transfer.Transfers;
import io.csfl.strategy.InvalidUpdateException;
import io.csfl.strategy.Pruner;
import io.csfl.strategy.PruneRequest;
import io.csfl.strategy.ServerAlgorithm;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Owns the server half of the strategy, and with it the global model: prepares each round's
 * downlink, folds client updates into a running weighted sum as they arrive (memory O(model), not
 * O(clients x model)), and at the close has its {@link PruningStrategy} child compute the next
 * masks. An update that does not fit is rejected with its reason and changes nothing.
 *
 * <p>Who is believed: a typed message names no sender, only a reply address, and any member can
 * name the server's. So the aggregator draws two secrets and sends each only to a reply address on
 * this node or on a cluster member with the {@code server} role: a session key, which every
 * {@link PrepareRound} and {@link Resume} must carry (one without it is answered with
 * {@link SessionKey} and otherwise ignored), and per attempt a fold key, which every update, close
 * and abandon must carry. A prepare or resume must also fit: its round, held models, model and
 * state (see {@code ControlChecks}). A member that is not the server never learns either secret,
 * so it can neither restore, prepare, fold nor close anything. A refused message is logged with
 * its reason and changes nothing.
 */
public final class Aggregator extends AbstractBehavior<Aggregator.Command> {
  /**
   * The cluster role of the members that may run an aggregator: the server uses a listed
   * aggregator only on a node with it. An application that embeds CSFL in its own cluster gives it
   * to the node that runs the aggregator (in {@code akka.cluster.roles}).
   */
  public static final String ROLE = "aggregator";

  private static final Duration PRUNING_TIMEOUT = Duration.ofMinutes(5);

  /** The aggregator of a cluster registers under this key; the server subscribes to it. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "csfl-aggregator");

  /**
   * The messages an aggregator takes: {@link PrepareRound}, {@link Resume}, {@link Fold}, {@link CloseRound},
   * {@link AbandonRound} and {@link Refused}. Each is checked against the session's or the attempt's secrets before it
   * changes anything.
   */
  public interface Command {}

  /** Every reply carries the token of the attempt it answers, so the server believes only its own aggregator's. */
  public interface Reply {
    /** The server's token of the attempt this reply answers, as the request carried it. */
    long token();
  }

  /**
   * Prepare the downlinks of {@code round}. {@code held} lists, for the selected clients the
   * server knows about, which global model each holds (by round): a strategy may send those
   * clients something smaller than the common downlink. {@code token} is the server's for the
   * attempt, unguessable: the replies carry it, so the server believes only its own aggregator's.
   * {@code session} is the aggregator's {@link SessionKey}, 0 when the server does not know it yet.
   * A round is prepared on top of the last one this aggregator committed: round 1 again starts over
   * from its initial model, and a later round it committed already is refused (a retry of it comes
   * as a {@link Resume} from the server's model).
   *
   * @param round   the round to prepare, counted from 1
   * @param token   the server's unguessable token for this attempt
   * @param session the aggregator's session key, or 0 for a first contact
   * @param held    the rounds whose global model the selected clients hold; at most 65,536 entries
   * @param replyTo where the {@link RoundPrepared} goes: on the server's node or a member with the
   *                {@code server} role
   */
  public record PrepareRound(int round, long token, long session, List<Integer> held, ActorRef<Reply> replyTo)
      implements Command, ControlMessage {
    /** Copies {@code held} into an immutable list; more than 65,536 entries throw {@link IllegalArgumentException}. */
    public PrepareRound {
      held = Bounded.copyOf(held, "held rounds");
    }
  }

  /**
   * The aggregator's session key, for a {@link PrepareRound} or {@link Resume} that did not carry
   * it: send the message again with it. Sent only to a reply address on the server's node or on a
   * member with the {@code server} role. With it comes the aggregator's signature, which the server
   * compares with the one it expects before it uses the aggregator (see
   * {@link Aggregator#create(ServerAlgorithm, Pruner, String)}).
   *
   * @param token     the token of the request that lacked the key
   * @param session   the key every later prepare and resume must carry
   * @param signature how this aggregator computes, as it was created with; empty if it was not told
   */
  public record SessionKey(long token, long session, String signature) implements Reply, ControlMessage {
    public SessionKey {
      java.util.Objects.requireNonNull(signature, "signature");
    }

    /** Without a signature: an aggregator created without one. */
    public SessionKey(long token, long session) {
      this(token, session, "");
    }
  }

  /**
   * The server will not use this aggregator, for {@code reason} (its signature differs from the
   * server's): the aggregator logs it at error level, so that the node whose aggregator sits idle
   * says why, and publishes its {@link Status}: its node is not ready until a server prepares it for
   * a round. Believed only with the aggregator's session key, which only a server learns.
   *
   * @param session the aggregator's session key, from its {@link SessionKey}
   * @param reason  why, in one line
   */
  public record Refused(long session, String reason) implements Command, ControlMessage {
    public Refused {
      java.util.Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * The server checked this aggregator's signature and would use it (a standby, asked when it
   * registers): a refusal by an earlier server (one started with other flags, say) no longer
   * holds, and the aggregator publishes its {@link Status} as not refused. Believed only with the
   * aggregator's session key, which only a server learns.
   *
   * @param session the aggregator's session key, from its {@link SessionKey}
   */
  public record Accepted(long session) implements Command, ControlMessage {}

  /**
   * Whether a server refused an aggregator, published on its node's event stream when a server
   * refuses it ({@link Refused}), accepts it ({@link Accepted}) or prepares it for a round; a node's
   * readiness check follows it.
   *
   * @param aggregator the aggregator
   * @param refusal    why the server refused it, or empty when a server accepted or prepared it since
   */
  public record Status(ActorRef<Command> aggregator, String refusal) implements NoSerializationVerificationNeeded {
    public Status {
      java.util.Objects.requireNonNull(aggregator, "aggregator");
      java.util.Objects.requireNonNull(refusal, "refusal");
    }
  }

  /**
   * The payload the clients selected for {@code round} receive: {@code fromHeld} for a client
   * holding the global model of one of its keys, {@code downlink} for every other. {@code key} is
   * the attempt's fold key, drawn by the aggregator and sent only here: the {@link Fold},
   * {@link CloseRound} and {@link AbandonRound} of the attempt must carry it as their token.
   *
   * @param round    the round prepared
   * @param token    the server's token of the attempt, from the request
   * @param key      the attempt's fold key, never 0 from a real aggregator
   * @param downlink the payload for clients holding no model listed in {@code fromHeld}
   * @param fromHeld by held round, the payload for a client holding that round's global model; immutable
   */
  public record RoundPrepared(int round, long token, long key, Payload downlink, Map<Integer, Payload> fromHeld)
      implements Reply, WireMessage {
    /** Copies {@code fromHeld} into an immutable map; a null key or value throws {@link NullPointerException}. */
    public RoundPrepared {
      fromHeld = Map.copyOf(fromHeld);
    }

    /** Without a fold key: what a stand-in for an aggregator in a test or a benchmark sends. */
    public RoundPrepared(int round, long token, Payload downlink, Map<Integer, Payload> fromHeld) {
      this(round, token, 0L, downlink, fromHeld);
    }

    /** What a client holding the global model of round {@code held} ({@link Payload#ABSOLUTE} if unknown) is sent. */
    public Payload downlinkFor(int held) {
      return fromHeld.getOrDefault(held, downlink);
    }
  }

  /**
   * {@link PrepareRound} for an aggregator that has not run the rounds before (it replaced a lost
   * one, or the server resumes from a checkpoint): first rebuild the strategy's state from
   * {@code global}, the model after round {@code round - 1} that the server kept, and
   * {@code state}, what {@link ServerAlgorithm#exportState()} gave then (empty if unknown).
   *
   * @param round   the round to prepare, counted from 1
   * @param token   the server's unguessable token for this attempt
   * @param session the aggregator's session key, or 0 for a first contact
   * @param global  the global model after round {@code round - 1}; must fit the aggregator's model
   * @param held    as in {@link PrepareRound}
   * @param replyTo as in {@link PrepareRound}
   * @param state   the strategy's exported state after round {@code round - 1}, or {@link TensorFile#EMPTY}
   */
  public record Resume(int round, long token, long session, Model global, List<Integer> held, ActorRef<Reply> replyTo,
                       TensorFile state) implements Command, WireMessage {
    /** Copies {@code held} into an immutable list; more than 65,536 entries throw {@link IllegalArgumentException}. */
    public Resume {
      held = Bounded.copyOf(held, "held rounds");
    }

    /** Without the strategy's state: the restore is as close as the model alone allows. */
    public Resume(int round, long token, long session, Model global, List<Integer> held, ActorRef<Reply> replyTo) {
      this(round, token, session, global, held, replyTo, TensorFile.EMPTY);
    }
  }

  /**
   * One client's update, forwarded by the round's collector with the attempt's fold key as token; without it, refused.
   *
   * @param round    the round the update belongs to
   * @param token    the attempt's fold key
   * @param clientId the id of the client that trained it
   * @param examples the example count the client declared at the handshake: the update's weight in the sum
   * @param update   the client's uplink, as its strategy encoded it
   */
  public record Fold(int round, long token, String clientId, int examples, Payload update) implements Command, WireMessage {}

  /**
   * No more updates for {@code round} after the {@code updates} the collector passed on: aggregate,
   * prune, and reply with the new global model. A big update travels in chunks and can arrive after
   * this message, so the aggregator first waits for all {@code updates} (or for the transfer timeout).
   *
   * @param round   the round to close
   * @param token   the attempt's fold key
   * @param updates how many updates the collector passed on for this attempt
   * @param minimum how many of them must be accepted (folded) for the attempt to be a round; with
   *                fewer, the aggregator discards the attempt and replies {@link AttemptDiscarded},
   *                so that the server retries it as one that got too few updates
   * @param replyTo where the {@link RoundAggregated} or {@link AttemptDiscarded} goes
   */
  public record CloseRound(int round, long token, int updates, int minimum, ActorRef<Reply> replyTo) implements Command, ControlMessage {
    /** Closes with any accepted update enough for a round. */
    public CloseRound(int round, long token, int updates, ActorRef<Reply> replyTo) {
      this(round, token, updates, 1, replyTo);
    }
  }

  /**
   * The round is given up (too few updates); its partial sums are discarded.
   *
   * @param round the round given up
   * @param token the attempt's fold key; without it the abandon is refused
   */
  public record AbandonRound(int round, long token) implements Command, ControlMessage {}

  /**
   * The result of {@code round}: how many updates were folded, why others were rejected, the new
   * global model (what the server ships next), the aggregator's own time on the round, and the
   * strategy's state after it, which the server checkpoints and hands to a replacement aggregator.
   * The state is {@link ServerAlgorithm#exportNewState(int)}: of the entries a strategy keeps per
   * earlier global model, only those the server does not have yet, so the message does not grow
   * with the rounds; the server keeps the others from earlier rounds' results.
   *
   * @param round        the round aggregated
   * @param token        the server's token of the attempt
   * @param accepted     updates folded into the new model
   * @param rejections   the rejected updates, {@code "client ID: reason"}, each cut for a log line: the first
   *                     100 of the round, then one entry that counts the others; immutable
   * @param global       the new global model
   * @param serverMillis the aggregator's own time on the round, pruning included, in milliseconds
   * @param state        the strategy's new state after the round, or {@link TensorFile#EMPTY}
   */
  public record RoundAggregated(int round, long token, int accepted, List<String> rejections, Model global, long serverMillis,
                                TensorFile state) implements Reply, WireMessage {
    /** Copies {@code rejections} into an immutable list; a null entry throws {@link NullPointerException}. */
    public RoundAggregated {
      rejections = List.copyOf(rejections);
    }

    /**
     * Without the strategy's state ({@link TensorFile#EMPTY}): an aggregator that replaces this one can then restore
     * only as much as the model alone allows.
     */
    public RoundAggregated(int round, long token, int accepted, List<String> rejections, Model global, long serverMillis) {
      this(round, token, accepted, rejections, global, serverMillis, TensorFile.EMPTY);
    }
  }

  /**
   * The attempt at {@code round} is discarded and the aggregator is as it was before it: so many
   * updates were refused that fewer than the close's minimum were folded, or the folded updates
   * add up to no valid model (values beyond the float range). Sent instead of
   * {@link RoundAggregated}, and without a model, so that the server retries the attempt at once.
   *
   * @param round     the round whose attempt is discarded
   * @param token     the server's token of the attempt
   * @param accepted  updates folded before the attempt was discarded
   * @param refused   updates rejected
   * @param firstRefusals the first rejections, {@code "client ID: reason"}, at most {@link #NAMED_REFUSALS}; immutable
   * @param reason    why the attempt is discarded, in one line
   */
  public record AttemptDiscarded(int round, long token, int accepted, int refused, List<String> firstRefusals, String reason)
      implements Reply, ControlMessage {
    /** The most rejections the message names: it is one small message, whatever the round's size. */
    public static final int NAMED_REFUSALS = 20;

    /**
     * Copies {@code firstRefusals} into an immutable list; more than {@link #NAMED_REFUSALS} or more
     * than {@code refused}, or negative counts, throw {@link IllegalArgumentException}, a null
     * entry or reason {@link NullPointerException}.
     */
    public AttemptDiscarded {
      firstRefusals = List.copyOf(firstRefusals);
      java.util.Objects.requireNonNull(reason, "reason");
      if (accepted < 0 || refused < firstRefusals.size() || firstRefusals.size() > NAMED_REFUSALS) {
        throw new IllegalArgumentException("a discarded attempt names at most " + NAMED_REFUSALS + " of its " + refused
            + " rejections and accepted no fewer than 0 updates, got " + firstRefusals.size() + " named and " + accepted + " accepted");
      }
    }
  }

  /**
   * This aggregator cannot resume {@code round} from what the server's {@link Resume} carried: a
   * model of another shape than its own (a checkpoint of another model, say), or a state its
   * strategy could not restore. Sent to the server, which then uses another aggregator or ends the
   * run naming {@code reason}, instead of waiting for a round that never comes.
   *
   * @param round  the round of the resume
   * @param token  the server's token of the attempt
   * @param reason why, in one line
   */
  public record ResumeRefused(int round, long token, String reason) implements Reply, ControlMessage {
    public ResumeRefused {
      java.util.Objects.requireNonNull(reason, "reason");
    }
  }

  /** The updates a close waits for did not all arrive in time. */
  private record StragglingUpdates(int round) implements Command, NoSerializationVerificationNeeded {}

  private record MasksReady(int round, long key, Optional<MaskSet> masks, long millis, String failure)
      implements Command, NoSerializationVerificationNeeded {}

  /** The server retries an attempt whose downlink or aggregate does not arrive; here it is logged. */
  private record TransferLost(TransferFailed failure) implements Command, NoSerializationVerificationNeeded {}

  private final ServerAlgorithm algorithm;
  private final TimerScheduler<Command> timers;
  private final Transfers transfers;
  private final ActorRef<TransferFailed> transferFailures;
  private final ActorRef<PruningStrategy.Command> pruner;
  private final SecureRandom keys = new SecureRandom();
  /** What every prepare and resume must carry; sent only to the server's node. */
  private final long session = ControlChecks.nonZeroSecret(keys);
  /** The model every control message's tensors must fit. */
  private final ModelSpec spec;
  /** How this aggregator computes, sent with its session key; empty if it was not told. */
  private final String signature;
  /** The model the aggregator started from: round 1 starts from it again when it is prepared once more. */
  private final Model initial;
  private int round;
  /** The last round whose result this aggregator committed, 0 before the first. */
  private int committed;
  /** The server's token for the current attempt, which the replies carry. */
  private long token;
  /** The current attempt's fold key, never 0; 0 before the first PrepareRound, when nothing can be folded. */
  private long key;
  private boolean closing;
  private int accepted;
  /** Updates of this round seen so far, accepted or not. */
  private int received;
  /** A close that waits for updates still in transit, or null. */
  private CloseRound pendingClose;
  private Refusals rejections = new Refusals();
  private long serverNanos;
  private ActorRef<Reply> closeReplyTo;

  private Aggregator(ActorContext<Command> context, TimerScheduler<Command> timers, ServerAlgorithm algorithm, Pruner pruner,
                     String signature) {
    super(context);
    context.setLoggerName(Aggregator.class);
    this.timers = timers;
    this.algorithm = algorithm;
    this.signature = java.util.Objects.requireNonNull(signature, "signature");
    this.initial = algorithm.globalModel();
    this.spec = initial.spec();
    this.transfers = Transfers.get(context.getSystem());
    this.transferFailures = context.messageAdapter(TransferFailed.class, TransferLost::new);
    this.pruner = context.spawn(
        Behaviors.supervise(PruningStrategy.create(pruner)).onFailure(SupervisorStrategy.restart()), "pruning-strategy");
  }

  /**
   * An aggregator running the server half of {@code algorithm}; its global model fixes the model every resume must
   * fit. {@code pruner} runs in a child actor; a pruning that throws, gives masks that do not fit
   * the model, or takes more than five minutes leaves the round's candidate model unpruned for that
   * round, and is logged at error level.
   */
  public static Behavior<Command> create(ServerAlgorithm algorithm, Pruner pruner) {
    return create(algorithm, pruner, "");
  }

  /**
   * As {@link #create(ServerAlgorithm, Pruner)}, described by {@code signature}: how this
   * aggregator computes (its model, the model it starts from, its algorithm's server-side
   * parameters), in space-separated words. A server given an aggregator signature uses only an
   * aggregator whose signature equals it, and refuses another naming the words that differ: an
   * aggregator node started with another sparsity or server rate would otherwise aggregate its own
   * way, and nothing would show it.
   */
  public static Behavior<Command> create(ServerAlgorithm algorithm, Pruner pruner, String signature) {
    java.util.Objects.requireNonNull(algorithm, "algorithm");
    java.util.Objects.requireNonNull(pruner, "pruner");
    java.util.Objects.requireNonNull(signature, "signature");
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Aggregator(ctx, timers, algorithm, pruner, signature)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(PrepareRound.class, this::onPrepare)
        .onMessage(Resume.class, this::onResume)
        .onMessage(Fold.class, this::onFold)
        .onMessage(CloseRound.class, this::onClose)
        .onMessage(AbandonRound.class, this::onAbandon)
        .onMessage(Refused.class, this::onRefused)
        .onMessage(Accepted.class, accepted -> {
          if (accepted.session() != session) {
            getContext().getLog().warn("ignored an acceptance of this aggregator without its session key");
          } else {
            publishStatus("");
          }
          return this;
        })
        .onMessage(MasksReady.class, this::onMasksReady)
        .onMessage(StragglingUpdates.class, this::onStragglingUpdates)
        .onMessage(TransferLost.class, lost -> {
          getContext().getLog().error("round {}: {} for the server did not arrive: {}", round, lost.failure().message(), lost.failure().reason());
          return this;
        })
        .build();
  }

  /** The refusal of a prepare that did not carry a session key: the server's first contact, answered with the key. */
  private static final String NO_SESSION = "no session key yet";

  /** Logs {@code refusal}: a warning, except for a first contact, which is how a session starts. */
  private void logRefusal(String what, int round, String refusal) {
    if (NO_SESSION.equals(refusal)) {
      getContext().getLog().debug("sent the session key for a {} of round {}", what, round);
    } else {
      getContext().getLog().warn("refused a {} of round {}: {}", what, round, refusal);
    }
  }

  private Behavior<Command> onResume(Resume request) {
    String refusal = senderRefusal(request.replyTo(), request.token(), request.session());
    if (refusal != null) {
      logRefusal("resume", request.round(), refusal);
      return this;
    }
    // From here on the request is the server's: it hears why this aggregator cannot resume.
    refusal = ControlChecks.resumeRefusal(request, spec);
    if (refusal != null) {
      logRefusal("resume", request.round(), refusal);
      request.replyTo().tell(new ResumeRefused(request.round(), request.token(), ControlChecks.forLog(refusal)));
      return this;
    }
    try {
      algorithm.restore(request.round() - 1, request.global(), request.state());
    } catch (RuntimeException e) {
      getContext().getLog().error("cannot resume at round {} from the server's model: {}", request.round(), e.toString());
      request.replyTo().tell(new ResumeRefused(request.round(), request.token(),
          ControlChecks.forLog("its strategy could not restore from the server's model: " + e)));
      return this;
    }
    committed = request.round() - 1;
    getContext().getLog().info("resumed at round {} from the server's model", request.round());
    return prepare(new PrepareRound(request.round(), request.token(), request.session(), request.held(), request.replyTo()));
  }

  /**
   * Why a prepare or resume naming {@code replyTo} is not the server's, or null. Without the
   * session key, the key is sent to {@code replyTo} if it is on the server's node.
   */
  private String senderRefusal(ActorRef<Reply> replyTo, long token, long claimed) {
    String refusal = ControlChecks.notOnMemberWithRole(getContext().getSystem(), replyTo, ControlChecks.SERVER_ROLE);
    if (refusal != null) {
      return "its reply address " + replyTo.path() + " is not the server's: " + refusal;
    }
    if (claimed != session) {
      replyTo.tell(new SessionKey(token, session, signature));
      return claimed == 0 ? NO_SESSION : "it carries a wrong session key (the key was sent to " + replyTo.path() + ")";
    }
    return null;
  }

  private Behavior<Command> onRefused(Refused refused) {
    if (refused.session() != session) {
      getContext().getLog().warn("ignored a refusal of this aggregator without its session key");
      return this;
    }
    getContext().getLog().error("the server refused this aggregator and will not use it: {}", ControlChecks.forLog(refused.reason()));
    publishStatus(ControlChecks.refusalForStatus(refused.reason()));
    return this;
  }

  /** Tells this node's readiness check whether a server refused this aggregator ({@code refusal}) or not (empty). */
  private void publishStatus(String refusal) {
    getContext().getSystem().eventStream().tell(new EventStream.Publish<>(new Status(getContext().getSelf(), refusal)));
  }

  private Behavior<Command> onPrepare(PrepareRound request) {
    String refusal = senderRefusal(request.replyTo(), request.token(), request.session());
    if (refusal == null) {
      refusal = ControlChecks.prepareRefusal(round, request.round(), request.held());
    }
    if (refusal == null && request.round() > 1 && request.round() <= committed) {
      // Prepared again on top of its own result, the round would be applied twice: the server
      // resumes this aggregator from its model of the round before (Resume) instead.
      refusal = "round " + request.round() + " was committed here already; a retry of it resumes from the server's model";
    }
    if (refusal != null) {
      logRefusal("prepare", request.round(), refusal);
      return this;
    }
    if (request.round() == 1 && committed >= 1) {
      // A server that starts the run over, or retries round 1 whose result it did not receive:
      // round 1 starts from the initial model, not from what this aggregator made of it.
      algorithm.restore(0, initial, TensorFile.EMPTY);
      committed = 0;
      getContext().getLog().info("round 1 prepared again: starting over from the initial model");
    }
    return prepare(request);
  }

  private Behavior<Command> prepare(PrepareRound request) {
    timers.cancel(StragglingUpdates.class);
    // A server (a new one, after a failover) uses this aggregator, whatever an earlier one made of it.
    publishStatus("");
    // An earlier attempt at the round may have folded updates (the server gave it up before its close): they go.
    algorithm.abandon(request.round());
    round = request.round();
    token = request.token();
    key = ControlChecks.nonZeroSecret(keys);
    closing = false;
    pendingClose = null;
    accepted = 0;
    received = 0;
    rejections = new Refusals();
    serverNanos = 0;
    Map<Integer, Payload> fromHeld = new HashMap<>();
    for (int held : request.held()) {
      algorithm.downlinkFrom(round, held).ifPresent(p -> fromHeld.put(held, p));
    }
    transfers.tell(request.replyTo(), new RoundPrepared(round, token, key, algorithm.downlink(round), fromHeld), transferFailures);
    return this;
  }

  private Behavior<Command> onFold(Fold fold) {
    if (fold.round() != round || closing) {
      reject(fold.clientId(), "update for round " + fold.round() + " arrived after that round closed (current round " + round + ")");
      return this;
    }
    if (fold.token() != key || key == 0) {
      reject(fold.clientId(), "update not passed on by the collector of round " + round + "'s current attempt (wrong token)");
      return this;
    }
    long t0 = System.nanoTime();
    try {
      algorithm.accumulate(fold.round(), fold.update(), fold.examples());
      accepted++;
    } catch (InvalidUpdateException e) {
      reject(fold.clientId(), e.getMessage());
    }
    serverNanos += System.nanoTime() - t0;
    received++;
    if (pendingClose != null) {
      return received >= pendingClose.updates() ? close(pendingClose) : waitForUpdates();
    }
    return this;
  }

  /** Records a refused update for the round's result and logs it, both cut for a log line; past {@link Refusals#NAMED}, only counted. */
  private void reject(String clientId, String reason) {
    rejections.addAndLog("client " + clientId + ": " + reason, "the update of client " + clientId + ": " + reason,
        getContext().getLog(), round, "updates");
  }

  private Behavior<Command> onClose(CloseRound request) {
    if (request.round() != round || closing) {
      getContext().getLog().warn("ignoring close of round {} (current round {})", request.round(), round);
      return this;
    }
    if (request.token() != key || key == 0) {
      getContext().getLog().warn("refused a close of round {} without the current attempt's token", round);
      return this;
    }
    if (received < request.updates()) {
      pendingClose = request;
      return waitForUpdates();
    }
    return close(request);
  }

  /** (Re)arms the wait for updates in transit: as long as one arrives per transfer timeout, keep waiting. */
  private Behavior<Command> waitForUpdates() {
    timers.startSingleTimer(StragglingUpdates.class, new StragglingUpdates(round), transfers.settings().ackTimeout());
    return this;
  }

  private Behavior<Command> onStragglingUpdates(StragglingUpdates late) {
    if (late.round() == round && pendingClose != null && !closing) {
      getContext().getLog().warn("round {}: closing with {} of the {} updates the collector passed on; the others did not arrive",
          round, received, pendingClose.updates());
      return close(pendingClose);
    }
    return this;
  }

  private Behavior<Command> close(CloseRound request) {
    timers.cancel(StragglingUpdates.class);
    pendingClose = null;
    closing = true;
    closeReplyTo = request.replyTo();
    int needed = Math.max(1, request.minimum());
    if (accepted < needed) {
      // Too many updates were refused (they are listed): a round fewer clients contributed to than
      // it needs is not committed. The attempt is discarded, and the server, told so, retries it.
      algorithm.abandon(round);
      getContext().getLog().warn("round {}: {} updates accepted, {} refused, the round needs {}; the attempt is discarded",
          round, accepted, rejections.count(), needed);
      discard(accepted + " updates accepted, the round needs " + needed);
      return this;
    }
    long t0 = System.nanoTime();
    Optional<PruneRequest> prune;
    try {
      prune = algorithm.close(round);
    } catch (io.csfl.tensor.NonFiniteValueException e) {
      // Updates that are each finite can still add up to a model that is not (values near the
      // float range, scaled by the server's rate): the round's sums are thrown away and the
      // aggregator stays as it was, so the server's retry of the attempt finds it working (a
      // restart would rebuild it around the same algorithm, and fail the same way).
      algorithm.abandon(round);
      getContext().getLog().error("round {}: the folded updates do not make a valid model ({}); the round's {} updates are "
          + "discarded and the server will retry the attempt", round, e.getMessage(), accepted);
      discard("the folded updates do not make a valid model (" + e.getMessage() + ")");
      return this;
    }
    serverNanos += System.nanoTime() - t0;
    if (prune.isEmpty()) {
      finish(Optional.empty());
      return this;
    }
    int closingRound = round;
    long closingKey = key;
    getContext().ask(PruningStrategy.MasksComputed.class, pruner, PRUNING_TIMEOUT,
        replyTo -> new PruningStrategy.ComputeMasks(closingRound, prune.get().candidate(), prune.get().sparsity(), replyTo),
        (result, failure) -> result != null
            ? new MasksReady(closingRound, closingKey, result.masks(), result.millis(), result.failure())
            : new MasksReady(closingRound, closingKey, Optional.empty(), 0, String.valueOf(failure)));
    return this;
  }

  /** Tells the closer the attempt is discarded, naming its first rejections, each cut for a log line. */
  private void discard(String reason) {
    List<String> named = rejections.first(AttemptDiscarded.NAMED_REFUSALS);
    closeReplyTo.tell(new AttemptDiscarded(round, token, accepted, rejections.count(), named, reason));
  }

  private Behavior<Command> onMasksReady(MasksReady ready) {
    // Of this attempt's close only: a pruning of an attempt given up must not finish its retry.
    if (ready.round() != round || ready.key() != key || !closing) {
      return this;
    }
    if (ready.failure() != null) {
      // The candidate is still a valid model; shipping it unpruned for one round loses nothing.
      getContext().getLog().error("pruning failed in round {}, keeping the candidate unpruned: {}", round, ready.failure());
    }
    serverNanos += ready.millis() * 1_000_000;
    finish(ready.masks());
    return this;
  }

  private void finish(Optional<MaskSet> masks) {
    long t0 = System.nanoTime();
    algorithm.commit(round, masks);
    committed = round;
    serverNanos += System.nanoTime() - t0;
    transfers.tell(closeReplyTo, new RoundAggregated(round, token, accepted, rejections.list(), algorithm.globalModel(),
        serverNanos / 1_000_000, algorithm.exportNewState(round)), transferFailures);
  }

  private Behavior<Command> onAbandon(AbandonRound request) {
    if (request.round() == round && (request.token() != key || key == 0)) {
      getContext().getLog().warn("refused an abandon of round {} without the current attempt's token", round);
    } else if (request.round() == round && !closing) {
      algorithm.abandon(round);
      closing = true;
      getContext().getLog().info("round {} abandoned; its {} folded updates are discarded", round, accepted);
    }
    return this;
  }
}
