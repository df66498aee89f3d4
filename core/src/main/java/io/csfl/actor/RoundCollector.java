package io.csfl.actor;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import io.csfl.codec.Payload;
import io.csfl.internal.transfer.TransferFailed;
import io.csfl.internal.transfer.Transfers;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs one attempt at one round, in the shape of Akka's DeviceGroupQuery: it sends the round to
 * every selected client, watches each, and keeps a still-waiting set; it finishes when that set is
 * empty or at the deadline. Each accepted update goes to the aggregator at once; then the
 * collector closes (or, with too few updates, abandons) the round at the aggregator and reports to
 * the server. A reply for another round, from a client that was not selected, or a second one
 * from the same client is refused, counted and logged with its reason. The clients share one
 * reply address, so each client's order carries a random secret of its own, and a
 * {@link Client.Trained} or {@link Client.Failed} counts only if it echoes the secret of the client
 * it names: one client cannot answer in another's name. A failure report is not taken at its word
 * either: the collector asks the named client's own actor to confirm it
 * ({@link Client.ConfirmFailure}, with a nonce only that actor learns), and until it does, keeps
 * waiting for that client's update.
 */
final class RoundCollector extends AbstractBehavior<RoundCollector.Command> {
  interface Command {}

  private record ClientReply(Client.Reply reply) implements Command, NoSerializationVerificationNeeded {}

  private record ClientStopped(String clientId) implements Command, NoSerializationVerificationNeeded {}

  private enum Deadline implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** A chunked transfer from this collector (a downlink, or an update passed to the aggregator) failed. */
  private record TransferLost(TransferFailed failure) implements Command, NoSerializationVerificationNeeded {}

  /**
   * What one collector needs to know; immutable. With over-selection more clients are selected
   * than {@code wanted}: the round closes as soon as {@code wanted} updates are in.
   *
   * @param token    the attempt's fold key, from the aggregator: it folds only updates that carry it
   * @param examples the example count each selected client declared at the handshake: its update
   *                 must claim exactly that
   * @param whole    the round's downlink for a client that holds no model: what a client that
   *                 cannot use the difference it was sent gets instead
   */
  record Plan(int round, int attempt, long token, Map<String, ActorRef<Client.Command>> selected,
              Map<String, Integer> examples, Map<String, Payload> downlinks, Payload whole, Duration timeout, int minCompleted,
              int wanted) {
    Plan {
      selected = Map.copyOf(selected);
      examples = Map.copyOf(examples);
      downlinks = Map.copyOf(downlinks);
      java.util.Objects.requireNonNull(whole, "whole");
      if (!downlinks.keySet().equals(selected.keySet()) || !examples.keySet().equals(selected.keySet())) {
        throw new IllegalArgumentException("a downlink and an example count for each selected client, and only for them");
      }
    }
  }

  private final Plan plan;
  private final ActorRef<Aggregator.Command> aggregator;
  private final ActorRef<Aggregator.Reply> aggregateReplyTo;
  private final ActorRef<RoundReport> server;
  private final Set<String> stillWaiting;
  private final Set<String> answered = new HashSet<>();
  private final List<String> trained = new ArrayList<>();
  private final List<String> droppedIds = new ArrayList<>();
  private final Transfers transfers;
  private final ActorRef<TransferFailed> transferFailures;
  /** Which client each downlink went to, by recipient path, to name the client when its transfer fails. */
  private final Map<String, String> clientByPath = new HashMap<>();
  private final Refusals rejected = new Refusals();
  private final ActorRef<Client.Reply> replies;
  /** Draws the secrets of the clients' orders and the nonces of the questions about failures. */
  private final SecureRandom random = new SecureRandom();
  /** The secret sent in each selected client's order: a {@link Client.Trained} or {@link Client.Failed} in its name must carry it. */
  private final Map<String, Long> secrets = new HashMap<>();
  /** The nonce each client that reported a failure must confirm it with. */
  private final Map<String, Long> unconfirmedFailures = new HashMap<>();
  /** What each client that reported a failure said; a confirmed one goes into the report. */
  private final Map<String, String> failureReasons = new HashMap<>();
  private final List<String> failures = new ArrayList<>();
  /** The clients sent the whole downlink after they could not use the difference they were sent. */
  private final Set<String> sentWhole = new HashSet<>();
  private long bytesDown;
  private long bytesUp;
  private long trainMillis;
  private long overheadMillis;
  private int completed;
  private int dropped;
  private int failed;
  /** Whether the server was sent this attempt's report; one that stops before it is sent a cut-off report. */
  private boolean reported;

  private RoundCollector(ActorContext<Command> context, TimerScheduler<Command> timers, Plan plan,
                         ActorRef<Aggregator.Command> aggregator, ActorRef<Aggregator.Reply> aggregateReplyTo,
                         ActorRef<RoundReport> server) {
    super(context);
    context.setLoggerName(RoundCollector.class);
    this.plan = plan;
    this.aggregator = aggregator;
    this.aggregateReplyTo = aggregateReplyTo;
    this.server = server;
    this.stillWaiting = new HashSet<>(plan.selected().keySet());
    timers.startSingleTimer(Deadline.INSTANCE, plan.timeout());
    this.replies = context.messageAdapter(Client.Reply.class, ClientReply::new);
    this.transfers = Transfers.get(context.getSystem());
    this.transferFailures = context.messageAdapter(TransferFailed.class, TransferLost::new);
    // One order per client, each with a secret of its own: a reply address per client (an actor or
    // adapter each) would also make each order different, and costs an actor per client besides.
    // Orders that differ cost a serialization each: the serializer encodes a payload once for orders
    // told one after another (clients that share a downlink are sent theirs in a row) and copies it
    // into each. Serializing ten orders of the cnn's 6.6 MB dense downlink took 13.5 ms of CPU on
    // the serializing thread (median of 25; the whole process 60 ms, with the garbage collections
    // after), against 2.7 ms (30 ms) for the one order all clients shared before, and 96 ms (140 ms)
    // with the payload encoded anew for each order. The bytes counted are each order's own: the
    // secret adds 8 per client.
    Map<Payload, List<String>> byDownlink = new IdentityHashMap<>();
    List<Payload> downlinks = new ArrayList<>();
    largestFirst(plan).forEach(id -> byDownlink.computeIfAbsent(plan.downlinks().get(id), d -> {
      downlinks.add(d);
      return new ArrayList<>();
    }).add(id));
    downlinks.forEach(downlink -> byDownlink.get(downlink).forEach(id -> {
      ActorRef<Client.Command> client = plan.selected().get(id);
      context.watchWith(client, new ClientStopped(id));
      clientByPath.put(ActorRefResolver.get(context.getSystem()).toSerializationFormat(client), id);
      order(id, downlink);
    }));
  }

  /** Sends {@code clientId} its order to train on {@code downlink}, with a new secret its reply must echo, and counts its bytes. */
  private void order(String clientId, Payload downlink) {
    long secret = random.nextLong();
    secrets.put(clientId, secret);
    bytesDown += transfers.tell(plan.selected().get(clientId), new Client.TrainRound(plan.round(), downlink, secret, replies),
        transferFailures);
  }

  /**
   * The selected clients, those with the most examples first (ties by id). The orders go out in
   * this order (a group sharing a downlink keeps it, led by its largest client), and clients that
   * share a node's training threads start in the order their orders arrive: the longest trainings
   * start first and the round does not end with one large client training alone while the other
   * threads idle (longest-processing-time-first scheduling). What a round computes does not depend
   * on this order: updates are folded in arrival order in any case (see the aggregator's sum).
   */
  static List<String> largestFirst(Plan plan) {
    return plan.selected().keySet().stream()
        .sorted(java.util.Comparator.<String>comparingInt(id -> plan.examples().get(id)).reversed()
            .thenComparing(java.util.Comparator.naturalOrder()))
        .toList();
  }

  static Behavior<Command> create(Plan plan, ActorRef<Aggregator.Command> aggregator,
                                  ActorRef<Aggregator.Reply> aggregateReplyTo, ActorRef<RoundReport> server) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new RoundCollector(ctx, timers, plan, aggregator, aggregateReplyTo, server)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ClientReply.class, this::onReply)
        .onMessage(ClientStopped.class, this::onClientStopped)
        .onMessage(Deadline.class, d -> finish())
        .onMessage(TransferLost.class, this::onTransferLost)
        .onSignal(PostStop.class, stop -> {
          if (!reported) {
            // Stopped by the server, which gave the attempt up: what it spent still counts.
            server.tell(report(true));
          }
          return this;
        })
        .build();
  }

  private Behavior<Command> onReply(ClientReply wrapped) {
    Client.Reply reply = wrapped.reply();
    if (reply instanceof Client.Trained t) {
      // Measured as it crossed from the client's node (a reply from an unknown client: as a local one).
      ActorRef<?> from = plan.selected().get(t.clientId());
      bytesUp += transfers.wireBytes(from != null ? from : getContext().getSelf(), t);
    }
    String refusal = refusal(reply);
    if (refusal != null) {
      refuse("client " + reply.clientId() + ": " + refusal, "a reply of client " + reply.clientId() + ": " + refusal);
      return this;
    }
    if (reply instanceof Client.Failed f) {
      return askToConfirm(f);
    }
    if (reply instanceof Client.FailureConfirmed c && c.downlinkUnusable() && sendWhole(c.clientId())) {
      return this;
    }
    String untrue = reply instanceof Client.Trained t ? falseClaim(t) : null;
    if (untrue != null) {
      // The client's one answer, refused for what it claims: the round does not wait for another.
      refuse("client " + reply.clientId() + ": " + untrue, "the update of client " + reply.clientId() + ": " + untrue);
      answered.add(reply.clientId());
      stillWaiting.remove(reply.clientId());
      failed++;
      return stillWaiting.isEmpty() ? finish() : this;
    }
    answered.add(reply.clientId());
    stillWaiting.remove(reply.clientId());
    if (reply instanceof Client.Trained t) {
      if (unconfirmedFailures.remove(t.clientId()) != null) {
        // Forged in its name, or the client's own, about an update it thought lost that did arrive.
        String unconfirmed = "a failure report not confirmed before the client's update arrived; the update is taken";
        refuse("client " + t.clientId() + ": " + unconfirmed, "a failure report of client " + t.clientId() + ": " + unconfirmed);
      }
      completed++;
      trained.add(t.clientId());
      trainMillis += t.trainMillis();
      overheadMillis += t.overheadMillis();
      transfers.tell(aggregator, new Aggregator.Fold(t.round(), plan.token(), t.clientId(), t.examples(), t.update()), transferFailures);
      if (completed >= plan.wanted()) {
        // Over-selection: the first clients to finish are enough; the rest are not waited for.
        return finish();
      }
    } else if (reply instanceof Client.FailureConfirmed c) {
      failed++;
      failures.add("client " + c.clientId() + ": " + failureReasons.getOrDefault(c.clientId(), "no reason given"));
    }
    return stillWaiting.isEmpty() ? finish() : this;
  }

  /** A failure report only starts the question to the client it names; the client is still waited for. */
  private Behavior<Command> askToConfirm(Client.Failed f) {
    if (!unconfirmedFailures.containsKey(f.clientId())) {
      long nonce = random.nextLong();
      unconfirmedFailures.put(f.clientId(), nonce);
      // The client's own words, cut for a log line: they go into the report and the log.
      String reason = ControlChecks.forLog(f.reason());
      failureReasons.put(f.clientId(), reason);
      plan.selected().get(f.clientId()).tell(new Client.ConfirmFailure(plan.round(), nonce, replies));
      getContext().getLog().warn("round {}: client {} reports it failed: {}", plan.round(), f.clientId(), reason);
    }
    return this;
  }

  /**
   * Sends {@code clientId} the round's whole downlink, with a new secret, if what it could not use
   * was a difference and it has not been sent the whole one yet; it is then waited for again. Such
   * a client holds another model than the server believes: it lost its state, or, after a server
   * failover, it holds a newer model that the lost server sent it. Returns whether it was sent.
   */
  private boolean sendWhole(String clientId) {
    if (!plan.downlinks().get(clientId).isDelta() || !sentWhole.add(clientId)) {
      return false;
    }
    unconfirmedFailures.remove(clientId);
    order(clientId, plan.whole());
    getContext().getLog().info("round {}: client {} could not use the difference from its model; sent it the whole model",
        plan.round(), clientId);
    return true;
  }

  /** A client whose downlink did not arrive cannot answer: it counts as failed, with the reason. */
  private Behavior<Command> onTransferLost(TransferLost lost) {
    TransferFailed f = lost.failure();
    String clientId = clientByPath.get(f.recipient());
    if (clientId == null) {
      rejected.add("update passed to the aggregator was lost: " + f.reason());
      getContext().getLog().error("round {}: {} for the aggregator did not arrive: {}", plan.round(), f.message(), f.reason());
      return this;
    }
    if (stillWaiting.remove(clientId)) {
      failed++;
      getContext().getLog().warn("round {}: the model for client {} did not arrive: {}", plan.round(), clientId, f.reason());
    }
    return stillWaiting.isEmpty() ? finish() : this;
  }

  /**
   * Records a refused message ({@code entry}, for the report) and logs it ({@code what}), both cut
   * for a log line; past {@link Refusals#NAMED} in the attempt, refusals are only counted.
   */
  private void refuse(String entry, String what) {
    rejected.addAndLog(entry, what, getContext().getLog(), plan.round(), "messages");
  }

  private String refusal(Client.Reply reply) {
    if (reply.round() != plan.round()) {
      return "reply for round " + reply.round() + " during round " + plan.round();
    }
    if (!plan.selected().containsKey(reply.clientId())) {
      return "not selected for round " + plan.round();
    }
    if (!carriesSecret(reply)) {
      return "it does not carry the secret sent with the client's order, so it is not taken as the client's";
    }
    if (answered.contains(reply.clientId())) {
      return "second reply for round " + plan.round();
    }
    if (!stillWaiting.contains(reply.clientId())) {
      return "reply after the client was counted as dropped";
    }
    if (reply instanceof Client.FailureConfirmed c && !Long.valueOf(c.nonce()).equals(unconfirmedFailures.get(c.clientId()))) {
      return "a failure confirmed with a nonce the client was not sent";
    }
    return null;
  }

  /**
   * Whether {@code reply} is the named client's own: a {@link Client.Trained} or {@link Client.Failed} must echo the
   * secret only that client's order carried ({@link Client.FailureConfirmed} is checked by its nonce).
   */
  private boolean carriesSecret(Client.Reply reply) {
    long secret = secrets.get(reply.clientId());
    if (reply instanceof Client.Trained t) {
      return t.secret() == secret;
    }
    return !(reply instanceof Client.Failed f) || f.secret() == secret;
  }

  /** Why an update of a selected client is not believed, or null: its example count must be the one declared at the handshake. */
  private String falseClaim(Client.Trained t) {
    int declared = plan.examples().get(t.clientId());
    return t.examples() == declared ? null
        : "update claims " + t.examples() + " examples, the client declared " + declared + " at the handshake";
  }

  private Behavior<Command> onClientStopped(ClientStopped stopped) {
    if (stillWaiting.remove(stopped.clientId())) {
      dropped++;
      droppedIds.add(stopped.clientId());
      getContext().getLog().warn("round {}: client {} dropped out", plan.round(), stopped.clientId());
    }
    return stillWaiting.isEmpty() ? finish() : this;
  }

  private Behavior<Command> finish() {
    if (completed >= plan.minCompleted()) {
      aggregator.tell(new Aggregator.CloseRound(plan.round(), plan.token(), completed, plan.minCompleted(), aggregateReplyTo));
    } else {
      aggregator.tell(new Aggregator.AbandonRound(plan.round(), plan.token()));
    }
    server.tell(report(false));
    reported = true;
    return Behaviors.stopped();
  }

  private RoundReport report(boolean cutOff) {
    boolean enough = completed >= plan.wanted();
    return new RoundReport(plan.round(), plan.attempt(), plan.token(), plan.selected().size(), completed, dropped, failed,
        enough ? 0 : stillWaiting.size(), enough ? stillWaiting.size() : 0, rejected.list(), bytesDown, bytesUp, trainMillis,
        overheadMillis, List.copyOf(plan.selected().keySet()), trained, droppedIds, failures, cutOff);
  }
}
