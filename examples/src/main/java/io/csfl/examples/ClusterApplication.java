package io.csfl.examples;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Client;
import io.csfl.actor.ExpectedModel;
import io.csfl.actor.Server;
import io.csfl.data.Partitioner;
import io.csfl.data.Splits;
import io.csfl.data.SyntheticFederated;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.Strategies;
import io.csfl.strategy.StrategyParams;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An Akka Cluster application of its own, a tiny shop, to which CSFL is added. Its node with role
 * {@code backend} runs the shop's {@link Inventory}; its nodes with role {@code frontend} run a
 * {@link Storefront} that answers stock queries by asking the inventory across the cluster. Adding
 * CSFL takes a few lines in each guardian: the backend also hosts the CSFL server and aggregator,
 * each frontend hosts CSFL clients, and they find each other through the receptionist, as the
 * shop's own actors do. Nothing of the shop changes, and it keeps answering while the clients train.
 *
 * <p>Federation: Complement Sparsification, multinomial logistic regression on the Synthetic(1, 1)
 * benchmark, its 30 devices shared by the frontends. Run: {@code mvn -q -pl examples -am install
 * -DskipTests && java --add-modules jdk.incubator.vector -cp
 * "examples/target/classes:$(cat examples/target/classpath.txt)" io.csfl.examples.ClusterApplication
 * [rounds]}; see docs/embedding.md.
 */
public final class ClusterApplication {
  static final String BACKEND = "backend";
  static final String FRONTEND = "frontend";
  static final long DATA_SEED = OwnTrainerFederation.DEFAULT_SEED;
  /** How long a round waits for its clients, and so how long a client's training may run. */
  static final Duration ROUND_TIMEOUT = Duration.ofMinutes(2);

  private ClusterApplication() {}

  /** The shop's messages between nodes: bound to Akka's Jackson CBOR serializer in {@link #nodeConfig}. */
  public interface CborSerializable {}

  /** The shop's stock, one actor on the backend node, found by the frontends through the receptionist. */
  public static final class Inventory {
    public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "inventory");

    private Inventory() {}

    public interface Command extends CborSerializable {}

    /** Asks for the stock of {@code item}; unknown items have none. */
    public record GetStock(String item, ActorRef<Stock> replyTo) implements Command {
      public GetStock {
        Objects.requireNonNull(item, "item");
        Objects.requireNonNull(replyTo, "replyTo");
      }
    }

    public record Stock(String item, int count) implements CborSerializable {
      public Stock {
        Objects.requireNonNull(item, "item");
        if (count < 0) {
          throw new IllegalArgumentException("stock must not be negative, got " + count);
        }
      }
    }

    static Behavior<Command> create(Map<String, Integer> stock) {
      return Behaviors.receive(Command.class)
          .onMessage(GetStock.class, get -> {
            get.replyTo().tell(new Stock(get.item(), stock.getOrDefault(get.item(), 0)));
            return Behaviors.same();
          })
          .build();
    }
  }

  /**
   * The guardian of a frontend node: answers stock queries by asking the inventory the receptionist
   * lists, and holds queries back while none is listed.
   */
  public static final class Storefront {
    private static final int WAITING_QUERIES = 100;

    private Storefront() {}

    public interface Command extends CborSerializable {}

    public record Query(String item, ActorRef<Inventory.Stock> replyTo) implements Command {
      public Query {
        Objects.requireNonNull(item, "item");
        Objects.requireNonNull(replyTo, "replyTo");
      }
    }

    private record InventoriesListed(Set<ActorRef<Inventory.Command>> inventories)
        implements Command, NoSerializationVerificationNeeded {}

    static Behavior<Command> create(ActorContext<Command> ctx) {
      ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class,
          l -> new InventoriesListed(l.getServiceInstances(Inventory.KEY)));
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(Inventory.KEY, listings));
      return Behaviors.withStash(WAITING_QUERIES, stash -> waiting(ctx, stash));
    }

    private static Behavior<Command> waiting(ActorContext<Command> ctx, StashBuffer<Command> stash) {
      return Behaviors.receive(Command.class)
          .onMessage(InventoriesListed.class, l -> l.inventories().isEmpty() ? Behaviors.same()
              : stash.unstashAll(serving(ctx, stash, l.inventories().iterator().next())))
          .onMessage(Query.class, q -> {
            if (stash.isFull()) {
              ctx.getLog().warn("no inventory listed and {} queries waiting: dropped the query for {}", WAITING_QUERIES, q.item());
            } else {
              stash.stash(q);
            }
            return Behaviors.same();
          })
          .build();
    }

    private static Behavior<Command> serving(ActorContext<Command> ctx, StashBuffer<Command> stash,
                                             ActorRef<Inventory.Command> inventory) {
      return Behaviors.receive(Command.class)
          .onMessage(InventoriesListed.class, l -> l.inventories().isEmpty() ? waiting(ctx, stash)
              : serving(ctx, stash, l.inventories().iterator().next()))
          .onMessage(Query.class, q -> {
            inventory.tell(new Inventory.GetStock(q.item(), q.replyTo()));
            return Behaviors.same();
          })
          .build();
    }
  }

  /** What every node of the federation agrees on: data, model, strategy and training. */
  record Federation(Splits data, Architecture model, FederatedStrategy strategy, NetworkTrainer trainer, List<int[]> devices) {
    static Federation create() {
      Splits data = SyntheticFederated.generate(1, 1, DATA_SEED);
      Architecture logreg = Architecture.logreg(SyntheticFederated.FEATURES, SyntheticFederated.CLASSES);
      return new Federation(data, logreg, Strategies.byName("cs", StrategyParams.defaults()),
          new NetworkTrainer(logreg, new TrainingConfig(2, 10, OptimizerConfig.adam(0.01)).withTimeLimit(ROUND_TIMEOUT)),
          Partitioner.parse(Partitioner.NATURAL).split(data.train(), SyntheticFederated.DEVICES, new Random(1)));
    }
  }

  /**
   * The backend's guardian: the shop's inventory and, added for CSFL, the aggregator and the
   * server, which starts once all the frontends' clients are listed.
   *
   * @param done          completed with the server's last event
   * @param betweenRounds called with each committed round, before the round's metrics are published
   */
  static Behavior<Void> backend(Federation f, int rounds, CompletableFuture<Server.Event> done, Server.Checkpointer betweenRounds) {
    return Behaviors.setup(ctx -> {
      ActorRef<Inventory.Command> inventory = ctx.spawn(Inventory.create(Map.of("apples", 12, "pears", 3)), "inventory");
      ctx.getSystem().receptionist().tell(Receptionist.register(Inventory.KEY, inventory));

      // CSFL: decode nothing larger than this model, then the aggregator and the server.
      ExpectedModel.register(ctx.getSystem(), f.model().spec());
      ActorRef<Server.Event> dashboard = ctx.spawn(EmbeddedFederation.dashboard(done), "dashboard");
      // Logistic regression starts from zeros: random initial weights on these unscaled features
      // saturate the softmax, and the first rounds learn little.
      ActorRef<Aggregator.Command> aggregator = ctx.spawn(
          Aggregator.create(f.strategy().newServer(Model.zeros(f.model().spec()), rounds), f.strategy().pruner()), "aggregator");
      ctx.getSystem().receptionist().tell(Receptionist.register(Aggregator.KEY, aggregator));
      Server.Settings settings = Server.Settings.builder(f.strategy().name()).rounds(rounds).clientsPerRound(10)
          .minClients(f.devices().size()).roundTimeout(ROUND_TIMEOUT).build();
      ctx.spawn(Server.createDiscovering(settings, Evaluator.of(f.model(), f.data().test()), dashboard, betweenRounds),
          "server", Server.DISPATCHER);
      return Behaviors.empty();
    });
  }

  /**
   * A frontend's guardian: the shop's storefront and, added for CSFL, the clients of the devices
   * {@code index}, {@code index + frontends}, ..., each registered with the receptionist.
   */
  static Behavior<Storefront.Command> frontend(Federation f, int index, int frontends) {
    return Behaviors.setup(ctx -> {
      ExpectedModel.register(ctx.getSystem(), f.model().spec());
      for (int d = index; d < f.devices().size(); d += frontends) {
        String id = Client.id(d);
        ActorRef<Client.Command> client = ctx.spawn(
            Client.create(id, f.strategy().newClient(), f.trainer(), f.data().train(), f.devices().get(d), d), id, Client.DISPATCHER);
        ctx.getSystem().receptionist().tell(Receptionist.register(Client.KEY, client));
      }
      return Storefront.create(ctx);
    });
  }

  /**
   * A node on 127.0.0.1 with {@code role}, its port chosen by the OS, over plain TCP. CSFL's actors
   * take their control messages only from the members whose roles say they may send them: the
   * server's node also has the role {@code server}, the aggregator's the role {@code aggregator}.
   */
  static Config nodeConfig(String role, Config overrides) {
    String roles = role.equals(BACKEND) ? String.join(", ", BACKEND, Server.ROLE, Aggregator.ROLE) : role;
    return overrides.withFallback(ConfigFactory.parseString(String.join("\n",
        "akka.actor.provider = cluster",
        "akka.cluster.roles = [" + roles + "]",
        "akka.remote.artery.transport = tcp",
        "akka.remote.artery.canonical.hostname = \"127.0.0.1\"",
        "akka.remote.artery.canonical.port = 0",
        // Several nodes in one JVM (this example and its test); a node per JVM does not need it.
        "akka.cluster.jmx.multi-mbeans-in-same-jvm = on",
        "akka.actor.serialization-bindings {",
        "  \"io.csfl.examples.ClusterApplication$CborSerializable\" = jackson-cbor",
        "}"))).withFallback(ConfigFactory.load());
  }

  /** The running nodes; {@link #stop} shuts them all down. */
  record Nodes(ActorSystem<Void> backend, List<ActorSystem<Storefront.Command>> frontends, CompletableFuture<Server.Event> done) {
    /** The frontends leave first, then the backend, the seed node they joined through. */
    void stop() throws Exception {
      frontends.forEach(ActorSystem::terminate);
      for (ActorSystem<?> s : frontends) {
        s.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
      }
      backend.terminate();
      backend.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }

  /**
   * Starts a backend and {@code frontends} frontend nodes, joined in one cluster whose seed node
   * is the backend, training {@code rounds} rounds; {@link Nodes#done} completes with the server's
   * last event.
   */
  static Nodes start(int rounds, int frontends, Config overrides, Server.Checkpointer betweenRounds) {
    Federation f = Federation.create();
    CompletableFuture<Server.Event> done = new CompletableFuture<>();
    ActorSystem<Void> backend = ActorSystem.create(backend(f, rounds, done, betweenRounds), "shop", nodeConfig(BACKEND, overrides));
    Cluster.get(backend).manager().tell(Join.create(backend.address()));
    List<ActorSystem<Storefront.Command>> nodes = new ArrayList<>();
    for (int i = 0; i < frontends; i++) {
      ActorSystem<Storefront.Command> node = ActorSystem.create(frontend(f, i, frontends), "shop", nodeConfig(FRONTEND, overrides));
      Cluster.get(node).manager().tell(Join.create(backend.address()));
      nodes.add(node);
    }
    return new Nodes(backend, List.copyOf(nodes), done);
  }

  /** Asks the shop, through {@code frontend}'s storefront, for the stock of {@code item}. */
  static CompletableFuture<Inventory.Stock> stock(ActorSystem<Storefront.Command> frontend, String item) {
    return AskPattern.<Storefront.Command, Inventory.Stock>ask(frontend, replyTo -> new Storefront.Query(item, replyTo),
        Duration.ofSeconds(30), frontend.scheduler()).toCompletableFuture();
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    CompletableFuture<Nodes> started = new CompletableFuture<>();
    // After each committed round the shop is asked for apples: its answer arrives while the federation runs.
    Nodes nodes = start(rounds, 2, ConfigFactory.empty(), c -> System.out.println("after round " + c.round() + ": "
        + stock(started.orTimeout(1, TimeUnit.MINUTES).join().frontends().get(0), "apples").join()));
    started.complete(nodes);
    try {
      System.out.println("last event: " + nodes.done().get(10, TimeUnit.MINUTES));
    } finally {
      nodes.stop();
    }
  }
}
