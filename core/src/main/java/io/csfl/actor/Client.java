package io.csfl.actor;

import akka.actor.Address;
import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.receptionist.ServiceKey;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.csfl.codec.Payload;
import io.csfl.data.Dataset;
import io.csfl.internal.actor.ControlMessage;
import io.csfl.internal.actor.WireMessage;
import io.csfl.internal.transfer.TransferFailed;
import io.csfl.internal.transfer.Transfers;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.strategy.ClientAlgorithm;
import io.csfl.tensor.Model;
import java.util.Map;

/**
 * One federated client: its examples (indices into a shared dataset), a trainer and its half of
 * the strategy. Training blocks the actor's thread, so spawn clients on {@link #DISPATCHER}.
 *
 * <p>Who is obeyed: a client answers the handshake ({@link Describe}) of a server on its own node
 * or on a cluster member with the {@code server} role, and from then on trains only on orders
 * whose reply address is on that server's node; a client that has had no handshake yet (it was
 * restarted) takes orders from such a node too. A clients host on its own node ({@link #host}) may
 * answer the handshake for it, after the same check of the server. Other orders are refused and logged, so another
 * member cannot spend a client's time or feed it a model of its own.
 */
public final class Client extends AbstractBehavior<Client.Command> {
  /** The dispatcher clients should run on: {@code Props} for {@code spawn}. */
  public static final DispatcherSelector DISPATCHER = DispatcherSelector.fromConfig("csfl.training-dispatcher");

  /**
   * The cluster role of the members that may host clients: a server takes on a clients host ({@link #HOST_KEY}) only
   * on a node with it.
   */
  public static final String ROLE = "client";

  /** Single clients register under this key; the server subscribes to it. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "csfl-client");

  /**
   * A node that hosts many clients registers one clients host under this key instead of each
   * client under {@link #KEY} (see {@link #host}): the receptionist then gossips one entry per
   * node, not one per client, and the server learns the node's clients in a few batches.
   */
  public static final ServiceKey<HostCommand> HOST_KEY = ServiceKey.create(HostCommand.class, "csfl-client-host");

  /** The most clients one {@link Descriptions} batch names: a batch fits well within one Artery frame. */
  public static final int MAX_BATCH = 200;

  /**
   * The messages a client takes: the handshake {@link Describe}, the order {@link TrainRound} and
   * {@link ConfirmFailure}.
   */
  public interface Command {}

  /**
   * The messages a clients host ({@link #host}) takes: the server's handshake {@link DescribeHosted} and its
   * {@link HostVerdict}.
   */
  public interface HostCommand {}

  private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("client-(\\d{4,9})");

  /** The id of client {@code index} of a federation: {@code client-0007}. */
  public static String id(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("a client index must not be negative, got " + index);
    }
    // As String.format("client-%04d", index) would, at a fraction of its cost: a server whose
    // federation has clients missing looks each of its ids up once a round, all 100,000 of them if so.
    String digits = Integer.toString(index);
    return digits.length() >= 4 ? "client-" + digits : "client-" + "000".substring(digits.length() - 1) + digits;
  }

  /** The index of a client id written as {@link #id} writes it, or empty for any other string. */
  public static java.util.OptionalInt index(String id) {
    java.util.regex.Matcher m = ID.matcher(id);
    if (!m.matches()) {
      return java.util.OptionalInt.empty();
    }
    int index = Integer.parseInt(m.group(1));
    return id.equals(id(index)) ? java.util.OptionalInt.of(index) : java.util.OptionalInt.empty();
  }

  /**
   * The server's handshake with a client it found through the receptionist.
   *
   * @param replyTo where the {@link Description} goes: on this node or a member with the {@code server} role
   */
  public record Describe(ActorRef<Description> replyTo) implements Command, ControlMessage {}

  /**
   * Who the client is and how its data was derived ({@code dataSignature}: dataset, client count,
   * partition and seed), so a server can refuse a client whose partition does not match its own.
   *
   * @param clientId      the client's id, as {@link #id} writes it
   * @param dataSignature how the client's data was derived; must equal the server's
   * @param examples      how many examples the client holds; each of its updates must claim exactly this count
   * @param client        the client's actor, to send orders to
   */
  public record Description(String clientId, String dataSignature, int examples, ActorRef<Command> client) implements ControlMessage {}

  /**
   * The server's handshake with a clients host it found through the receptionist under {@link #HOST_KEY}: describe
   * the clients you host from position {@code from} on, at most {@link #MAX_BATCH} of them. The host answers only a
   * server on its own node or on a member with the {@code server} role, and its clients then obey that server as if
   * each had answered its {@link Describe}.
   *
   * @param from    the position of the first client to describe, counted from 0 in the host's order
   * @param replyTo where the {@link Descriptions} go
   */
  public record DescribeHosted(int from, ActorRef<Descriptions> replyTo) implements HostCommand, ControlMessage {
    public DescribeHosted {
      if (from < 0) {
        throw new IllegalArgumentException("a position must not be negative, got " + from);
      }
      java.util.Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * The server's verdict on one batch of a host's {@link Descriptions}: it refused {@code refused}
   * of them (0: it took them all on), the first for {@code reason}. The host believes it only from
   * a member with the {@code server} role and with the host's {@code key} ({@link
   * Descriptions#verdictKey}), which only a server that asked for the descriptions learns. It then
   * logs a refusal at error level, so that the node whose clients sit idle says why (another data
   * set, or other training flags than the server's), and publishes its {@link HostStatus}: its
   * node is not ready while the server refuses any of its clients. A verdict of another server (a
   * failover, or a restarted server) starts the count over.
   *
   * @param refused how many clients of the batch the server refused
   * @param reason  why the first was refused, in one line; empty when none was
   * @param server  the server whose verdict it is
   * @param key     the host's verdict key, from its {@link Descriptions}
   * @param waiting how many clients of the batch the server takes on only once another actor that holds their id
   *                (on another host, which a pool node may still be handing them over from) is gone; the host
   *                logs it, so that its node says why those clients are not trained yet
   */
  public record HostVerdict(int refused, String reason, ActorRef<Server.Command> server, long key, int waiting)
      implements HostCommand, ControlMessage {
    public HostVerdict {
      java.util.Objects.requireNonNull(reason, "reason");
      java.util.Objects.requireNonNull(server, "server");
    }

    /** A verdict with no client waiting for another of its id. */
    public HostVerdict(int refused, String reason, ActorRef<Server.Command> server, long key) {
      this(refused, reason, server, key, 0);
    }
  }

  /**
   * How a clients host's clients stand with the server whose verdicts it believed last
   * ({@link HostVerdict}), published on the host's node's event stream whenever that changes; a
   * node's readiness check follows it.
   *
   * @param host    the clients host
   * @param hosted  how many clients it hosts
   * @param refused how many of them that server refused; 0 when it refused none (or gave no verdict yet)
   * @param reason  the first refusal's reason, or empty
   */
  public record HostStatus(ActorRef<HostCommand> host, int hosted, int refused, String reason)
      implements NoSerializationVerificationNeeded {
    public HostStatus {
      java.util.Objects.requireNonNull(host, "host");
      java.util.Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * The server refused this client at its handshake, for {@code reason}, and will not train it:
   * the client logs it, so that the node where it sits idle says why. Sent to a client listed
   * under {@link #KEY} (a host's clients hear of it through their host, {@link HostVerdict}).
   * Logged only when the server it names is on the client's node or on a member with the
   * {@code server} role; a member that knows that server's address could still name it, which is
   * why it changes nothing but the log (and the reason is cut and kept to one line).
   *
   * @param reason why, in one line
   * @param server the server that refused it
   */
  public record Refused(String reason, ActorRef<Server.Command> server) implements Command, ControlMessage {
    public Refused {
      java.util.Objects.requireNonNull(reason, "reason");
      java.util.Objects.requireNonNull(server, "server");
    }
  }

  /**
   * One batch of a host's answer to {@link DescribeHosted}: the {@link Description}s of its clients at positions
   * {@code from .. from + clients.size() - 1} of {@code total}. The server checks each as it checks a single client's
   * answer, and that each client lives on the host's node.
   *
   * @param from       the position of the first client of this batch
   * @param total      how many clients the host describes in all
   * @param clients    at most {@link #MAX_BATCH} descriptions, none past {@code total}
   * @param unanswered how many of the host's clients have not answered the server's introduction yet
   *                   (busy training, say): the host describes each after the others, from position
   *                   {@code total} on, once it answers, and the server asks for them again
   * @param verdictKey a random number the host draws when it starts, which the server's {@link HostVerdict} on
   *                   these clients must carry: only a server the host answered learns it
   */
  public record Descriptions(int from, int total, java.util.List<Description> clients, int unanswered, long verdictKey)
      implements ControlMessage {
    public Descriptions {
      clients = java.util.List.copyOf(clients);
      if (from < 0 || clients.size() > MAX_BATCH || total < from + clients.size() || clients.isEmpty() && from < total
          || unanswered < 0) {
        throw new IllegalArgumentException("a batch of " + clients.size() + " descriptions from position " + from + " of "
            + total + ", " + unanswered + " unanswered (at most " + MAX_BATCH + ", none past the total, none empty before it, "
            + "none unanswered below 0)");
      }
    }

    /** A batch of a host whose clients have all answered, of verdict key 0. */
    public Descriptions(int from, int total, java.util.List<Description> clients) {
      this(from, total, clients, 0, 0);
    }
  }

  /**
   * From a clients host on the client's own node: {@code server}, a node that passed the host's check, asked for
   * this client's description. The client takes that node as its server, as at a {@link Describe}. No serializer is
   * bound to it, so it cannot come from another node.
   */
  record Introduce(Address server, ActorRef<Description> replyTo) implements Command, NoSerializationVerificationNeeded {}

  /**
   * Train on {@code model} (the server's downlink for {@code round}) and reply to {@code replyTo}.
   * The reply address is shared by all clients of the round, so the reply must carry {@code secret}:
   * the collector sends it to this client alone and believes a {@link Trained} or {@link Failed} in
   * this client's name only with it.
   *
   * @param round   the round to train, counted from 1
   * @param model   the server's downlink for this client
   * @param secret  the collector's random secret for this client in this attempt, echoed in the reply
   * @param replyTo the round's collector, shared by all clients of the round
   */
  public record TrainRound(int round, Payload model, long secret, ActorRef<Reply> replyTo) implements Command, WireMessage {}

  /**
   * What a client sends to the reply address of a {@link TrainRound} or {@link ConfirmFailure}; every reply names its
   * round and client, so one address can serve all clients of a round, and carries a secret only that client was sent
   * (the order's {@link TrainRound#secret}, or the question's {@link ConfirmFailure#nonce}), so the collector knows
   * the client it names sent it.
   */
  public interface Reply {
    /** The round this reply answers. */
    int round();

    /**
     * The id of the client that sent it, as {@link #id} writes it; the collector checks it against the round's
     * selection.
     */
    String clientId();
  }

  /**
   * The update for {@code round}. Timings are the client's own: training, and the rest of its
   * handling (rebuilding the model from the downlink, building the uplink).
   *
   * @param round          the round trained
   * @param clientId       the client's id
   * @param secret         the {@link TrainRound#secret} of the order it answers
   * @param examples       the examples trained on in each epoch
   * @param update         the uplink, as the client's strategy encoded it
   * @param loss           the mean per-example training loss over all the round's epochs
   * @param trainMillis    time spent training, in milliseconds
   * @param overheadMillis time spent rebuilding the model and building the uplink, in milliseconds
   */
  public record Trained(int round, String clientId, long secret, int examples, Payload update, double loss,
                        long trainMillis, long overheadMillis) implements Reply, WireMessage {}

  /**
   * Local training failed, or the update could not be delivered; the round goes on without this client.
   *
   * @param round    the round that failed
   * @param clientId the client's id, as claimed: believed only once confirmed
   * @param secret   the {@link TrainRound#secret} of the order it answers
   * @param reason   what went wrong, for logs
   */
  public record Failed(int round, String clientId, long secret, String reason) implements Reply, ControlMessage {}

  /**
   * Did this client report {@link Failed} for {@code round}? A failure report ends the client's
   * part in the round, so it is believed only once its client confirms it: the collector asks the
   * client's own actor, and only it learns {@code nonce}.
   *
   * @param round   the round the failure report named
   * @param nonce   the collector's secret for this question, echoed in the answer
   * @param replyTo where the {@link FailureConfirmed} goes
   */
  public record ConfirmFailure(int round, long nonce, ActorRef<Reply> replyTo) implements Command, ControlMessage {}

  /**
   * This client did fail {@code round}: the answer to {@link ConfirmFailure}, with its nonce.
   *
   * @param round    the round the client failed; only its latest failed round is confirmed
   * @param clientId the client's id
   * @param nonce    the nonce of the {@link ConfirmFailure} it answers
   * @param downlinkUnusable whether it failed before training because it could not use the model it
   *                 was sent: a difference from a model it does not hold (it lost its state, or got
   *                 a newer model from a server that was then lost). A collector that sent it a
   *                 difference sends it the round's whole model instead, in the same round
   */
  public record FailureConfirmed(int round, String clientId, long nonce, boolean downlinkUnusable) implements Reply, ControlMessage {}

  /** The chunked transfer of an update failed; told to its round's collector as a {@link Failed}. */
  private record UplinkLost(TransferFailed failure) implements Command, NoSerializationVerificationNeeded {}

  /** Train the order kept in {@link #pending}: sent to itself behind the orders already queued. */
  private enum TrainPending implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** An update sent: its round, the secret of its order and the collector it went to. */
  private record Uplink(int round, long secret, ActorRef<Reply> replyTo) {}

  /** Updates remembered for their transfer's failure: more than a few rounds back, none is still on its way. */
  private static final int UPLINKS_KEPT = 4;

  private final String clientId;
  private final String dataSignature;
  private final ClientAlgorithm algorithm;
  private final LocalTrainer trainer;
  private final Dataset data;
  private final int[] examples;
  private final long seed;
  private final Transfers transfers;
  /** The node of the server whose handshake this client answered; null before the first. */
  private Address server;
  /**
   * The newest order not begun yet, or null. A client trains one order at a time, and orders that
   * arrive meanwhile wait in its mailbox: of those, only the newest is trained. An older one
   * belongs to a round or attempt that is over (its collector gave up, or the server moved on, or
   * another server took over), and training it would only delay the one that counts.
   */
  private TrainRound pending;
  /** The last round this client reported as failed, 0 if none. */
  private int failedRound;
  /** Whether the failure of {@link #failedRound} came from a downlink this client could not use. */
  private boolean failedOnDownlink;
  /** Where a failed transfer of an update is reported; made with the first update. */
  private ActorRef<TransferFailed> uplinkFailures;
  /**
   * The last updates sent, by the address they went to (each attempt's collector has its own): a
   * transfer that fails late, once the next round's update is on its way, is reported as its own
   * round's. Made with the first update.
   */
  private Map<String, Uplink> uplinks;

  private Client(ActorContext<Command> context, String clientId, String dataSignature, ClientAlgorithm algorithm,
                 LocalTrainer trainer, Dataset data, int[] examples, long seed) {
    super(context);
    context.setLoggerName(Client.class);
    this.clientId = clientId;
    this.dataSignature = dataSignature;
    this.algorithm = algorithm;
    this.trainer = trainer;
    this.data = data;
    this.examples = examples.clone();
    this.seed = seed;
    this.transfers = Transfers.get(context.getSystem());
  }

  /**
   * A clients host for {@code clients}, actors on this node: register it under {@link #HOST_KEY} instead of
   * registering each client under {@link #KEY}, and a server learns all of them through one receptionist entry, in
   * batches of {@link #MAX_BATCH}. It answers a server's {@link DescribeHosted} only when the server passes the
   * check a client's {@link Describe} gets; the server still checks every client it describes.
   *
   * @param clients the hosted clients, in the order the host describes them; a stopped one is left out
   */
  public static Behavior<HostCommand> host(java.util.List<ActorRef<Command>> clients) {
    return ClientsRoster.create(clients);
  }

  /**
   * @param examples indices into {@code data} this client owns
   * @param seed     base seed of local shuffling; each round derives its own from it
   */
  public static Behavior<Command> create(String clientId, ClientAlgorithm algorithm, LocalTrainer trainer,
                                         Dataset data, int[] examples, long seed) {
    return create(clientId, "", algorithm, trainer, data, examples, seed);
  }

  /** As above, with the signature of how this client's data was derived, for the server's handshake. */
  public static Behavior<Command> create(String clientId, String dataSignature, ClientAlgorithm algorithm,
                                         LocalTrainer trainer, Dataset data, int[] examples, long seed) {
    java.util.Objects.requireNonNull(clientId, "clientId");
    java.util.Objects.requireNonNull(dataSignature, "dataSignature");
    java.util.Objects.requireNonNull(algorithm, "algorithm");
    java.util.Objects.requireNonNull(trainer, "trainer");
    java.util.Objects.requireNonNull(data, "data");
    java.util.Objects.requireNonNull(examples, "examples");
    if (examples.length == 0) {
      throw new IllegalArgumentException("client " + clientId + " has no examples");
    }
    for (int e : examples) {
      if (e < 0 || e >= data.size()) {
        // Caught here, not in the first round, where it would only fail every attempt.
        throw new IllegalArgumentException("client " + clientId + ": example index " + e + " is outside its data set of "
            + data.size() + " examples");
      }
    }
    return Behaviors.setup(ctx -> new Client(ctx, clientId, dataSignature, algorithm, trainer, data, examples, seed));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(TrainRound.class, this::onTrainRound)
        .onMessage(TrainPending.class, p -> trainPending())
        .onMessage(Describe.class, this::onDescribe)
        .onMessage(Introduce.class, this::onIntroduce)
        .onMessage(UplinkLost.class, this::onUplinkLost)
        .onMessage(ConfirmFailure.class, this::onConfirmFailure)
        .onMessage(Refused.class, this::onRefused)
        .build();
  }

  private Behavior<Command> onDescribe(Describe request) {
    String refusal = ControlChecks.notOnMemberWithRole(getContext().getSystem(), request.replyTo(), ControlChecks.SERVER_ROLE);
    if (refusal == null) {
      refusal = ControlChecks.notTheNewServer(getContext().getSystem(), server, request.replyTo().path().address());
    }
    if (refusal != null) {
      getContext().getLog().warn("client {} refused a handshake: {}", clientId, refusal);
      return this;
    }
    server = request.replyTo().path().address();
    request.replyTo().tell(new Description(clientId, dataSignature, examples.length, getContext().getSelf()));
    return this;
  }

  private Behavior<Command> onIntroduce(Introduce introduce) {
    if (!ControlChecks.sameNode(getContext().getSystem(), getContext().getSystem().address(), introduce.replyTo().path().address())) {
      getContext().getLog().warn("client {} refused an introduction from {}: not its own node", clientId, introduce.replyTo().path());
      return this;
    }
    server = introduce.server();
    introduce.replyTo().tell(new Description(clientId, dataSignature, examples.length, getContext().getSelf()));
    return this;
  }

  /** Why an order naming {@code replyTo} is not this client's server's, or null. */
  private String orderRefusal(ActorRef<?> replyTo) {
    if (server == null) {
      return ControlChecks.notOnMemberWithRole(getContext().getSystem(), replyTo, ControlChecks.SERVER_ROLE);
    }
    return ControlChecks.sameNode(getContext().getSystem(), server, replyTo.path().address()) ? null
        : "it is from " + replyTo.path().address() + ", the server of this client's handshake is at " + server;
  }

  private Behavior<Command> onConfirmFailure(ConfirmFailure request) {
    String refusal = orderRefusal(request.replyTo());
    if (refusal != null) {
      getContext().getLog().warn("client {} refused a question about round {}: {}", clientId, request.round(), refusal);
    } else if (request.round() == failedRound) {
      request.replyTo().tell(new FailureConfirmed(request.round(), clientId, request.nonce(), failedOnDownlink));
    }
    return this;
  }

  private Behavior<Command> onRefused(Refused refused) {
    String refusal = ControlChecks.notOnMemberWithRole(getContext().getSystem(), refused.server(), ControlChecks.SERVER_ROLE);
    if (refusal != null) {
      getContext().getLog().warn("client {} ignored a refusal of itself: {}", clientId, refusal);
    } else {
      getContext().getLog().error("client {}: the server at {} refused this client and will not train it: {}", clientId,
          refused.server().path(), ControlChecks.forLog(refused.reason()));
    }
    return this;
  }

  private Behavior<Command> onTrainRound(TrainRound request) {
    String refusal = orderRefusal(request.replyTo());
    if (refusal != null) {
      getContext().getLog().warn("client {} refused to train round {}: {}", clientId, request.round(), refusal);
      return this;
    }
    if (server == null) {
      server = request.replyTo().path().address();
    }
    if (pending != null) {
      getContext().getLog().info("client {} skips its order of round {}: a newer one, of round {}, came before it began",
          clientId, pending.round(), request.round());
    } else {
      getContext().getSelf().tell(TrainPending.INSTANCE);
    }
    pending = request;
    return this;
  }

  private Behavior<Command> trainPending() {
    TrainRound request = pending;
    pending = null;
    if (request == null) {
      return this;
    }
    // A new order supersedes a failure of the same round: a collector may resend a round with the whole model.
    failedRound = 0;
    long t0 = System.nanoTime();
    boolean downlinkUsed = false;
    try {
      Model start = algorithm.startingModel(request.round(), request.model(), trainer.spec());
      downlinkUsed = true;
      long t1 = System.nanoTime();
      TrainingResult result = trained(start, request.round());
      checkResult(result, start);
      long t2 = System.nanoTime();
      Payload update = algorithm.uplink(request.model(), start, result.model());
      long t3 = System.nanoTime();
      // What a failure of the transfer is reported with: not the request, which would keep its
      // downlink, a whole model, for as long as the client is idle.
      rememberUplink(new Uplink(request.round(), request.secret(), request.replyTo()));
      transfers.tell(request.replyTo(), new Trained(request.round(), clientId, request.secret(), result.examples(), update,
          result.meanLoss(), millis(t2 - t1), millis((t1 - t0) + (t3 - t2))), uplinkFailures);
    } catch (RuntimeException | AssertionError e) {
      // An application's trainer fails the round, not the client: its assert too (on under test runners).
      if (e instanceof TrainerFailed failed && TRACED.add(failed.kind())) {
        // Where the trainer failed, once per kind of failure in this JVM: the bug is most likely in an application's own code.
        getContext().getLog().warn("client {} failed to train round {}: {}", clientId, request.round(), e.toString(), e.getCause());
      } else {
        getContext().getLog().warn("client {} failed to train round {}: {}", clientId, request.round(), e.toString());
      }
      failedRound = request.round();
      failedOnDownlink = !downlinkUsed;
      request.replyTo().tell(new Failed(request.round(), clientId, request.secret(), e.toString()));
    }
    return this;
  }

  /**
   * What the trainer makes of {@code start}. Whatever it throws besides the round's time limit, an
   * exception or an error (a stack overflow, a class or native library it cannot load, its own),
   * comes out as {@link TrainerFailed}, which fails the round and not the client, nor the JVM, as
   * Akka's fatal-error handling would for an error no one caught. What leaves the JVM nothing to go
   * on with (running out of memory, an internal error) is not caught.
   */
  private TrainingResult trained(Model start, int round) {
    try {
      return algorithm.train(trainer, start, data, examples, seed * 1_000_003L + round);
    } catch (io.csfl.nn.TrainingTimeLimitException e) {
      throw e;
    } catch (RuntimeException | Error e) {
      if ((e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) || e instanceof ThreadDeath) {
        throw e;
      }
      throw new TrainerFailed(e);
    }
  }

  /** The kinds of trainer failure ({@link TrainerFailed#kind}) logged with their stack trace in this JVM: each once, however many clients fail so. */
  private static final java.util.Set<String> TRACED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A trainer's throwable, carried to the round's failure; it reads as the throwable itself. */
  private static final class TrainerFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TrainerFailed(Throwable cause) {
      super(cause.toString(), cause, false, false);
    }

    /** The throwable's class and where it was thrown: two unrelated failures of one class are two kinds. */
    String kind() {
      StackTraceElement[] where = getCause().getStackTrace();
      return getCause().getClass().getName() + (where.length == 0 ? "" : " at " + where[0]);
    }

    @Override
    public String toString() {
      return getMessage();
    }
  }

  /**
   * A trainer's result, checked here, where an application's own trainer is to blame for it, and
   * not only at the server, where a wrong model or count would be one more refused update: the
   * model of the tensors the trainer was given, and the example count the server expects (each of
   * the client's examples once, whatever the epochs).
   */
  private void checkResult(TrainingResult result, Model start) {
    if (result == null || result.model() == null) {
      throw new IllegalStateException("the trainer returned no model");
    }
    if (!result.model().spec().equals(start.spec())) {
      throw new IllegalStateException("the trainer returned a model of other tensors than it was given: "
          + result.model().spec() + " for " + start.spec());
    }
    if (result.examples() != examples.length) {
      throw new IllegalStateException("the trainer reports " + result.examples() + " examples per epoch, the client holds "
          + examples.length + " (a training result counts each of the client's examples once)");
    }
  }

  private void rememberUplink(Uplink uplink) {
    if (uplinks == null) {
      uplinkFailures = getContext().messageAdapter(TransferFailed.class, UplinkLost::new);
      uplinks = new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Uplink> eldest) {
          return size() > UPLINKS_KEPT;
        }
      };
    }
    uplinks.put(ActorRefResolver.get(getContext().getSystem()).toSerializationFormat(uplink.replyTo()), uplink);
  }

  private Behavior<Command> onUplinkLost(UplinkLost lost) {
    Uplink uplink = uplinks.remove(lost.failure().recipient());
    if (uplink == null) {
      getContext().getLog().warn("client {}: an update of a round long past did not arrive: {}", clientId, lost.failure().reason());
      return this;
    }
    getContext().getLog().warn("client {}: the update of round {} did not arrive: {}", clientId, uplink.round(), lost.failure().reason());
    failedRound = uplink.round();
    failedOnDownlink = false;
    uplink.replyTo().tell(new Failed(uplink.round(), clientId, uplink.secret(), "update did not arrive: " + lost.failure().reason()));
    return this;
  }

  private static long millis(long nanos) {
    return nanos / 1_000_000;
  }
}
