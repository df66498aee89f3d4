package io.csfl.actor;

import akka.actor.Address;
import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A clients host ({@link Client#host}): one receptionist entry for many clients of its node. A server's
 * {@link Client.DescribeHosted} is answered only when the server may hand out a client's handshake; the host then
 * introduces the server to each client (which takes it as its server, as at a {@link Client.Describe}), collects
 * their descriptions and hands them out in batches. A new server (a failover) is introduced anew. A client that has
 * not answered by {@link #INTRODUCTION_TIMEOUT} (it may be training through a queue of orders) is described after the
 * others once it answers; each batch says how many have not answered, and the server asks for them again.
 *
 * <p>The host draws a random verdict key when it starts and sends it with every batch. A server's
 * {@link Client.HostVerdict} counts only with it: only a server the host answered learns it, so no other member can
 * make the host (and its node's readiness) say that its clients were refused, or that they no longer are. The
 * refusals of the server whose verdict came last are the host's {@link Client.HostStatus}, published on the node's
 * event stream as they change; a verdict of another server (a failover, or a restarted server) starts them over.
 */
final class ClientsRoster extends AbstractBehavior<Client.HostCommand> {
  /**
   * How long the server waits for the clients' answers to an introduction before it is answered with those that
   * came; a later answer is described after them.
   */
  static final Duration INTRODUCTION_TIMEOUT = Duration.ofSeconds(20);
  /**
   * How many positions may wait for an introduction: a server asks for one batch at a time (the next only once the
   * previous one came), so a few is plenty, and a peer that asks for many more cannot grow the host's memory.
   */
  static final int MAX_WAITING = 16;

  /** A client's answer to an introduction. */
  private record Introduced(Client.Description description) implements Client.HostCommand, NoSerializationVerificationNeeded {}

  /**
   * Introduction {@code introduction} ran out of time: it is answered with the clients that answered.
   * Package-private so that a test can end an introduction itself, instead of racing its timer.
   */
  record IntroductionOver(int introduction) implements Client.HostCommand, NoSerializationVerificationNeeded {}

  private final List<ActorRef<Client.Command>> clients;
  private final Map<ActorRef<Client.Command>, Integer> positions = new HashMap<>();
  private final ActorRef<Client.Description> introduced;
  private final TimerScheduler<Client.HostCommand> timers;
  private final Duration introductionTimeout;
  /** The server of the current introduction, or null before the first. */
  private Address server;
  /** Counts introductions, so that the timeout of an earlier one is ignored. */
  private int introduction;
  /** Each position's answer to the current introduction, in time or late; null while it has not answered. */
  private Client.Description[] answers;
  private int unanswered;
  /**
   * The clients' descriptions, once the current introduction is complete (those that answered in time, then each
   * late one as it answers); null while it runs.
   */
  private List<Client.Description> described;
  /**
   * Requests of the current server that wait for its introduction to complete, by position: a server that asks again
   * for a position (after its earlier ask timed out) waits on the newer request, so it replaces the earlier one.
   */
  private final Map<Integer, Client.DescribeHosted> waiting = new LinkedHashMap<>();
  /** Whether a request was refused for want of room during the current introduction: logged once per introduction. */
  private boolean refusedWaiting;
  /** What a verdict must carry; sent only to a server that passed the host's check. */
  private final long verdictKey = ControlChecks.nonZeroSecret(new SecureRandom());
  /** The server whose verdicts the status counts, or null before the first. */
  private ActorRef<Server.Command> judge;
  /** How many clients that server refused, and the first reason; "" while none. */
  private int refused;
  private String refusedFor = "";

  private ClientsRoster(ActorContext<Client.HostCommand> context, TimerScheduler<Client.HostCommand> timers,
                        List<ActorRef<Client.Command>> clients, Duration introductionTimeout) {
    super(context);
    context.setLoggerName(ClientsRoster.class);
    this.timers = timers;
    this.introductionTimeout = introductionTimeout;
    this.clients = clients;
    for (int i = 0; i < clients.size(); i++) {
      positions.put(clients.get(i), i);
    }
    // One adapter for all answers: an ask per client would make a temporary actor and a timer for each.
    this.introduced = context.messageAdapter(Client.Description.class, Introduced::new);
  }

  static Behavior<Client.HostCommand> create(List<ActorRef<Client.Command>> clients) {
    return create(clients, INTRODUCTION_TIMEOUT);
  }

  /** As {@link #create(List)}, answering an introduction after {@code introductionTimeout} with the clients that answered. */
  static Behavior<Client.HostCommand> create(List<ActorRef<Client.Command>> clients, Duration introductionTimeout) {
    List<ActorRef<Client.Command>> copy = List.copyOf(clients);
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ClientsRoster(ctx, timers, copy, introductionTimeout)));
  }

  @Override
  public Receive<Client.HostCommand> createReceive() {
    return newReceiveBuilder()
        .onMessage(Client.DescribeHosted.class, this::onDescribe)
        .onMessage(Client.HostVerdict.class, this::onVerdict)
        .onMessage(Introduced.class, this::onIntroduced)
        .onMessage(IntroductionOver.class, over -> over.introduction() == introduction && described == null ? complete() : this)
        .build();
  }

  private Behavior<Client.HostCommand> onDescribe(Client.DescribeHosted request) {
    String refusal = ControlChecks.notOnMemberWithRole(getContext().getSystem(), request.replyTo(), ControlChecks.SERVER_ROLE);
    if (refusal == null) {
      refusal = ControlChecks.notTheNewServer(getContext().getSystem(), server, request.replyTo().path().address());
    }
    if (refusal != null) {
      getContext().getLog().warn("the clients host refused a handshake: {}", refusal);
      return this;
    }
    Address asker = request.replyTo().path().address();
    if (server == null || !ControlChecks.sameNode(getContext().getSystem(), server, asker)) {
      introduce(asker);
    }
    if (described == null) {
      keepWaiting(request);
    } else {
      answer(request);
    }
    return this;
  }

  private Behavior<Client.HostCommand> onVerdict(Client.HostVerdict verdict) {
    String refusal = ControlChecks.notOnMemberWithRole(getContext().getSystem(), verdict.server(), ControlChecks.SERVER_ROLE);
    if (refusal != null) {
      getContext().getLog().warn("the clients host ignored a verdict on its clients: {}", refusal);
      return this;
    }
    if (verdict.key() != verdictKey) {
      getContext().getLog().warn("the clients host ignored a verdict on its clients by {}: it does not carry the host's "
          + "verdict key, which only a server it answered learns", verdict.server().path());
      return this;
    }
    if (verdict.waiting() > 0) {
      getContext().getLog().warn("the server at {} takes {} of the {} clients hosted here on only once the actors of the same "
          + "ids it holds are gone (on another host: a pool node handing them over, or a node started with ids another "
          + "node hosts; or an earlier incarnation of this node)", verdict.server().path(), verdict.waiting(), clients.size());
    }
    boolean changed = false;
    if (!verdict.server().equals(judge)) {
      // Another server (a failover, or a restarted one): its verdicts replace the earlier server's.
      judge = verdict.server();
      changed = refused > 0;
      refused = 0;
      refusedFor = "";
    }
    if (verdict.refused() > 0) {
      getContext().getLog().error("the server at {} refused {} of the {} clients hosted here and will not train them: {}",
          verdict.server().path(), verdict.refused(), clients.size(), ControlChecks.forLog(verdict.reason()));
      if (refusedFor.isEmpty()) {
        refusedFor = ControlChecks.refusalForStatus(verdict.reason());
      }
      // Counted per batch; a server that refused more than the host has would count the same clients twice.
      refused = (int) Math.min(clients.size(), (long) refused + verdict.refused());
      changed = true;
    }
    if (changed) {
      getContext().getSystem().eventStream().tell(new EventStream.Publish<>(status()));
    }
    return this;
  }

  private Client.HostStatus status() {
    return new Client.HostStatus(getContext().getSelf(), clients.size(), refused, refusedFor);
  }

  /** Keeps {@code request} until the introduction completes, at most {@link #MAX_WAITING} positions of them. */
  private void keepWaiting(Client.DescribeHosted request) {
    if (waiting.size() < MAX_WAITING || waiting.containsKey(request.from())) {
      waiting.put(request.from(), request);
    } else if (!refusedWaiting) {
      refusedWaiting = true;
      getContext().getLog().warn("the clients host refused a request for position {} from {}: {} positions already wait for "
          + "the introduction; further refusals during it are not logged", request.from(), request.replyTo().path(), MAX_WAITING);
    }
  }

  private void introduce(Address asker) {
    server = asker;
    introduction++;
    described = null;
    waiting.clear();
    refusedWaiting = false;
    answers = new Client.Description[clients.size()];
    unanswered = clients.size();
    // An answer to an earlier introduction counts too: its client takes the new server before any order of it comes.
    clients.forEach(c -> c.tell(new Client.Introduce(asker, introduced)));
    timers.startSingleTimer(IntroductionOver.class, new IntroductionOver(introduction), introductionTimeout);
    if (unanswered == 0) {
      complete();
    }
  }

  private Behavior<Client.HostCommand> onIntroduced(Introduced introduced) {
    Integer position = positions.get(introduced.description().client());
    if (position == null || answers[position] != null) {
      return this;
    }
    answers[position] = introduced.description();
    unanswered--;
    if (described != null) {
      // Late: described after the others, at the next position the server asks for.
      described.add(introduced.description());
      return this;
    }
    return unanswered == 0 ? complete() : this;
  }

  /** Answers the waiting requests with the clients that answered the introduction. */
  private Behavior<Client.HostCommand> complete() {
    timers.cancel(IntroductionOver.class);
    described = Arrays.stream(answers).filter(Objects::nonNull).collect(java.util.stream.Collectors.toCollection(ArrayList::new));
    waiting.values().forEach(this::answer);
    waiting.clear();
    return this;
  }

  private void answer(Client.DescribeHosted request) {
    if (request.from() > described.size()) {
      getContext().getLog().warn("the clients host was asked for position {} of {}", request.from(), described.size());
      return;
    }
    int to = Math.min(described.size(), request.from() + Client.MAX_BATCH);
    request.replyTo().tell(new Client.Descriptions(request.from(), described.size(), described.subList(request.from(), to), unanswered,
        verdictKey));
  }
}
