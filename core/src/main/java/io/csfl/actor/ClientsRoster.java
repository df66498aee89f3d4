package io.csfl.actor;

import akka.actor.Address;
import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A clients host ({@link Client#host}): one receptionist entry for many clients of its node. A server's
 * {@link Client.DescribeHosted} is answered only when the server may hand out a client's handshake; the host then
 * introduces the server to each client (which takes it as its server, as at a {@link Client.Describe}), collects
 * their descriptions and hands them out in batches. A new server (a failover) is introduced anew.
 */
final class ClientsRoster extends AbstractBehavior<Client.HostCommand> {
  /** How long a client has to answer its introduction; a stopped or stuck one is left out of the answer. */
  static final Duration INTRODUCTION_TIMEOUT = Duration.ofSeconds(20);

  /** Client {@code position}'s answer to introduction {@code introduction}, or null when none came. */
  private record Introduced(int introduction, int position, Client.Description description)
      implements Client.HostCommand, NoSerializationVerificationNeeded {}

  private final List<ActorRef<Client.Command>> clients;
  /** The server of the current introduction, or null before the first. */
  private Address server;
  /** Counts introductions, so that answers to an abandoned one are ignored. */
  private int introduction;
  private Client.Description[] answers;
  private int unanswered;
  /** The clients' descriptions, once the current introduction is complete; null while it runs. */
  private List<Client.Description> described;
  /** Requests of the current server that wait for its introduction to complete. */
  private final List<Client.DescribeHosted> waiting = new ArrayList<>();

  private ClientsRoster(ActorContext<Client.HostCommand> context, List<ActorRef<Client.Command>> clients) {
    super(context);
    context.setLoggerName(ClientsRoster.class);
    this.clients = clients;
  }

  static Behavior<Client.HostCommand> create(List<ActorRef<Client.Command>> clients) {
    List<ActorRef<Client.Command>> copy = List.copyOf(clients);
    return Behaviors.setup(ctx -> new ClientsRoster(ctx, copy));
  }

  @Override
  public Receive<Client.HostCommand> createReceive() {
    return newReceiveBuilder()
        .onMessage(Client.DescribeHosted.class, this::onDescribe)
        .onMessage(Introduced.class, this::onIntroduced)
        .build();
  }

  private Behavior<Client.HostCommand> onDescribe(Client.DescribeHosted request) {
    String refusal = ControlChecks.notOnMemberWithRole(getContext().getSystem(), request.replyTo(), ControlChecks.SERVER_ROLE);
    if (refusal != null) {
      getContext().getLog().warn("the clients host refused a handshake: {}", refusal);
      return this;
    }
    Address asker = request.replyTo().path().address();
    if (server == null || !ControlChecks.sameNode(getContext().getSystem(), server, asker)) {
      introduce(asker);
    }
    if (described == null) {
      waiting.add(request);
    } else {
      answer(request);
    }
    return this;
  }

  private void introduce(Address asker) {
    server = asker;
    int current = ++introduction;
    described = null;
    waiting.clear();
    answers = new Client.Description[clients.size()];
    unanswered = clients.size();
    for (int i = 0; i < clients.size(); i++) {
      int position = i;
      getContext().ask(Client.Description.class, clients.get(i), INTRODUCTION_TIMEOUT, r -> new Client.Introduce(asker, r),
          (description, failure) -> new Introduced(current, position, description));
    }
    if (unanswered == 0) {
      described = List.of();
    }
  }

  private Behavior<Client.HostCommand> onIntroduced(Introduced introduced) {
    if (introduced.introduction() != introduction) {
      return this;
    }
    answers[introduced.position()] = introduced.description();
    if (--unanswered == 0) {
      described = Arrays.stream(answers).filter(Objects::nonNull).toList();
      answers = null;
      waiting.forEach(this::answer);
      waiting.clear();
    }
    return this;
  }

  private void answer(Client.DescribeHosted request) {
    if (request.from() > described.size()) {
      getContext().getLog().warn("the clients host was asked for position {} of {}", request.from(), described.size());
      return;
    }
    int to = Math.min(described.size(), request.from() + Client.MAX_BATCH);
    request.replyTo().tell(new Client.Descriptions(request.from(), described.size(), described.subList(request.from(), to)));
  }
}
