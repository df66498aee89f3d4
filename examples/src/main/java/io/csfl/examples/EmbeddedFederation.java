package io.csfl.examples;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Client;
import io.csfl.actor.ExpectedModel;
import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.data.FashionMnist;
import io.csfl.data.Partitioner;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.MagnitudePruner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An application of its own that embeds CSFL: its guardian spawns CSFL's aggregator, server and
 * clients through their public {@code create} factories, next to an actor of the application
 * (the {@code dashboard}) that receives the server's events.
 *
 * <p>Run: {@code mvn -q -pl examples -am install -DskipTests && java --add-modules
 * jdk.incubator.vector -cp "examples/target/classes:$(cat examples/target/classpath.txt)"
 * io.csfl.examples.EmbeddedFederation [data-dir]}; see docs/architecture.md.
 */
public final class EmbeddedFederation {
  private EmbeddedFederation() {}

  /** The application's own actor: prints progress and completes a future at the end. */
  static Behavior<Server.Event> dashboard(CompletableFuture<Server.Event> done) {
    return Behaviors.receive(Server.Event.class)
        .onMessage(Server.RoundCompleted.class, r -> {
          System.out.printf("dashboard: round %d accuracy %.4f, %d bytes this round%n",
              r.metrics().round(), r.metrics().accuracy(), r.metrics().bytesDown() + r.metrics().bytesUp());
          return Behaviors.same();
        })
        .onMessage(Server.Finished.class, f -> {
          done.complete(f);
          return Behaviors.stopped();
        })
        .onMessage(Server.Aborted.class, a -> {
          done.complete(a);
          return Behaviors.stopped();
        })
        .build();
  }

  /** Trains CS for {@code rounds} rounds on Fashion-MNIST with 10 clients; returns the server's last event. */
  public static Server.Event run(Optional<Path> dataDir, int rounds) throws Exception {
    FashionMnist.Splits data = FashionMnist.load(dataDir);
    Architecture mlp = Architecture.mlp();
    FederatedStrategy cs = new ComplementSparsification(CsOptions.defaults());
    NetworkTrainer trainer = new NetworkTrainer(mlp, new TrainingConfig(1, 64, OptimizerConfig.adam(0.01)));
    List<int[]> parts = Partitioner.parse("iid").split(data.train(), 10, new Random(1));
    CompletableFuture<Server.Event> done = new CompletableFuture<>();

    Behavior<Void> app = Behaviors.setup(ctx -> {
      // Messages from other nodes are decoded only as far as this model allows.
      ExpectedModel.register(ctx.getSystem(), mlp.spec());
      ActorRef<Server.Event> dashboard = ctx.spawn(dashboard(done), "dashboard");
      ActorRef<Aggregator.Command> aggregator =
          ctx.spawn(Aggregator.create(cs.newServer(mlp.initialModel(1), rounds), new MagnitudePruner()), "aggregator");
      Server.Settings settings = Server.Settings.builder("cs").rounds(rounds).clientsPerRound(4)
          .roundTimeout(Duration.ofMinutes(2)).build();
      ActorRef<Server.Command> server = ctx.spawn(
          Server.create(settings, aggregator, Evaluator.of(mlp, data.test()), dashboard), "server", Server.DISPATCHER);
      startClients(ctx, server, "phone-", cs, trainer, data.train(), parts);
      return Behaviors.empty();
    });
    return runUntilDone(app, "my-app", ConfigFactory.load(), done);
  }

  /**
   * Spawns one client per part of {@code train}, named {@code prefix} and its number (also its
   * seed), registers each with {@code server} and starts training.
   */
  static void startClients(ActorContext<?> ctx, ActorRef<Server.Command> server, String prefix, FederatedStrategy strategy,
                           LocalTrainer trainer, Dataset train, List<int[]> parts) {
    for (int i = 0; i < parts.size(); i++) {
      String id = prefix + i;
      ActorRef<Client.Command> client =
          ctx.spawn(Client.create(id, strategy.newClient(), trainer, train, parts.get(i), i), id, Client.DISPATCHER);
      server.tell(new Server.RegisterClient(id, client));
    }
    server.tell(new Server.Start());
  }

  /** Runs {@code app} in an actor system of {@code config} until {@code done}, then terminates it. */
  static Server.Event runUntilDone(Behavior<Void> app, String name, Config config, CompletableFuture<Server.Event> done)
      throws Exception {
    ActorSystem<Void> system = ActorSystem.create(app, name, config);
    try {
      return done.get(10, TimeUnit.MINUTES);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }

  public static void main(String[] args) throws Exception {
    Server.Event last = run(args.length > 0 ? Optional.of(Path.of(args[0])) : Optional.empty(), 3);
    System.out.println("last event: " + last);
  }
}
