package io.csfl.actor;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.receptionist.ServiceKey;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.csfl.codec.Payload;
import io.csfl.data.Dataset;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.strategy.ClientAlgorithm;
import io.csfl.tensor.Model;
import io.csfl.transfer.TransferFailed;
import io.csfl.transfer.Transfers;

/**
 * One federated client: its examples (indices into a shared dataset), a trainer and its half of
 * the strategy. Training blocks the actor's thread, so spawn clients on {@link #DISPATCHER}.
 */
public final class Client extends AbstractBehavior<Client.Command> {
  /** The dispatcher clients should run on: {@code Props} for {@code spawn}. */
  public static final DispatcherSelector DISPATCHER = DispatcherSelector.fromConfig("csfl.training-dispatcher");

  /** Clients on cluster nodes register under this key; the server subscribes to it. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "csfl-client");

  public interface Command {}

  private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("client-(\\d{4,9})");

  /** The id of client {@code index} of a federation: {@code client-0007}. */
  public static String id(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("a client index must not be negative, got " + index);
    }
    return String.format("client-%04d", index);
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

  /** The server's handshake with a client it found through the receptionist. */
  public record Describe(ActorRef<Description> replyTo) implements Command, ControlMessage {}

  /**
   * Who the client is and how its data was derived ({@code dataSignature}: dataset, client count,
   * partition and seed), so a server can refuse a client whose partition does not match its own.
   */
  public record Description(String clientId, String dataSignature, int examples, ActorRef<Command> client) implements ControlMessage {}

  /** Train on {@code model} (the server's downlink for {@code round}) and reply to {@code replyTo}. */
  public record TrainRound(int round, Payload model, ActorRef<Reply> replyTo) implements Command, WireMessage {}

  public interface Reply {
    int round();

    String clientId();
  }

  /**
   * The update for {@code round}. Timings are the client's own: training, and the rest of its
   * handling (rebuilding the model from the downlink, building the uplink).
   */
  public record Trained(int round, String clientId, int examples, Payload update, double loss,
                        long trainMillis, long overheadMillis) implements Reply, WireMessage {}

  /** Local training failed, or the update could not be delivered; the round goes on without this client. */
  public record Failed(int round, String clientId, String reason) implements Reply, ControlMessage {}

  /** The chunked transfer of an update failed; told to the round's collector as a {@link Failed}. */
  private record UplinkLost(int round, ActorRef<Reply> replyTo, TransferFailed failure)
      implements Command, NoSerializationVerificationNeeded {}

  private final String clientId;
  private final String dataSignature;
  private final ClientAlgorithm algorithm;
  private final LocalTrainer trainer;
  private final Dataset data;
  private final int[] examples;
  private final long seed;
  private final Transfers transfers;

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
    if (examples.length == 0) {
      throw new IllegalArgumentException("client " + clientId + " has no examples");
    }
    return Behaviors.setup(ctx -> new Client(ctx, clientId, dataSignature, algorithm, trainer, data, examples, seed));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(TrainRound.class, this::onTrainRound)
        .onMessage(Describe.class, this::onDescribe)
        .onMessage(UplinkLost.class, this::onUplinkLost)
        .build();
  }

  private Behavior<Command> onDescribe(Describe request) {
    request.replyTo().tell(new Description(clientId, dataSignature, examples.length, getContext().getSelf()));
    return this;
  }

  private Behavior<Command> onTrainRound(TrainRound request) {
    long t0 = System.nanoTime();
    try {
      Model start = algorithm.startingModel(request.round(), request.model(), trainer.spec());
      long t1 = System.nanoTime();
      TrainingResult result = algorithm.train(trainer, start, data, examples, seed * 1_000_003L + request.round());
      long t2 = System.nanoTime();
      Payload update = algorithm.uplink(request.model(), start, result.model());
      long t3 = System.nanoTime();
      // The adapter outlives this round (it is replaced at the next), so it must not capture the
      // request: that would keep its downlink, a whole model, for as long as the client is idle.
      int round = request.round();
      ActorRef<Reply> replyTo = request.replyTo();
      ActorRef<TransferFailed> onFailure = getContext().messageAdapter(TransferFailed.class,
          f -> new UplinkLost(round, replyTo, f));
      transfers.tell(request.replyTo(), new Trained(request.round(), clientId, result.examples(), update, result.meanLoss(),
          millis(t2 - t1), millis((t1 - t0) + (t3 - t2))), onFailure);
    } catch (RuntimeException e) {
      getContext().getLog().warn("client {} failed to train round {}: {}", clientId, request.round(), e.toString());
      request.replyTo().tell(new Failed(request.round(), clientId, e.toString()));
    }
    return this;
  }

  private Behavior<Command> onUplinkLost(UplinkLost lost) {
    getContext().getLog().warn("client {}: the update of round {} did not arrive: {}", clientId, lost.round(), lost.failure().reason());
    lost.replyTo().tell(new Failed(lost.round(), clientId, "update did not arrive: " + lost.failure().reason()));
    return this;
  }

  private static long millis(long nanos) {
    return nanos / 1_000_000;
  }
}
