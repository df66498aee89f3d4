package io.csfl.examples;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Aggregator;
import io.csfl.actor.ExpectedModel;
import io.csfl.actor.Server;
import io.csfl.data.CsvDataset;
import io.csfl.data.Dataset;
import io.csfl.data.Partitioner;
import io.csfl.data.Splits;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.Strategies;
import io.csfl.strategy.StrategyParams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * A federation of the application's own table: a CSV file with a label column and a {@code user}
 * column, each user one client (the {@code natural} split), and a model given as a layer list such
 * as {@code dense:32,dense:3}. A fifth of each user's rows is held out as the test set.
 *
 * <p>Run: {@code mvn -q -pl examples -am install -DskipTests && java --add-modules
 * jdk.incubator.vector -cp "examples/target/classes:$(cat examples/target/classpath.txt)"
 * io.csfl.examples.CsvNaturalSplit data.csv dense:32,dense:3 [rounds]}; see docs/bring-your-own.md.
 */
public final class CsvNaturalSplit {
  /** The columns the file must have besides its features. */
  static final CsvDataset.Options COLUMNS = new CsvDataset.Options("label", "user", true);
  static final double TEST_FRACTION = 0.2;

  private CsvNaturalSplit() {}

  /** The file's rows, features standardised, a seeded fifth of each user's rows held out for testing. */
  static Splits load(Path csv) {
    return CsvDataset.loadWithHoldOut(csv, TEST_FRACTION, 1, COLUMNS);
  }

  /**
   * Trains CS for {@code rounds} rounds on {@code csv}, the model {@code layers} (a layer list),
   * every user a client and half of them a round, in an actor system of {@code config}; returns the
   * server's last event.
   */
  public static Server.Event run(Path csv, String layers, int rounds, Config config) throws Exception {
    Splits data = load(csv);
    Dataset train = data.train();
    Architecture model = Architecture.byName(layers, train.shape(), train.classes());
    FederatedStrategy cs = Strategies.byName("cs", StrategyParams.defaults());
    NetworkTrainer trainer = new NetworkTrainer(model, new TrainingConfig(5, 10, OptimizerConfig.adam(0.01)));
    List<int[]> users = Partitioner.parse(Partitioner.NATURAL).split(train, train.groupCount(), new Random(1));
    CompletableFuture<Server.Event> done = new CompletableFuture<>();

    Behavior<Void> app = Behaviors.setup(ctx -> {
      ExpectedModel.register(ctx.getSystem(), model.spec());
      ActorRef<Server.Event> dashboard = ctx.spawn(EmbeddedFederation.dashboard(done), "dashboard");
      ActorRef<Aggregator.Command> aggregator =
          ctx.spawn(Aggregator.create(cs.newServer(model.initialModel(1), rounds), cs.pruner()), "aggregator");
      Server.Settings settings = Server.Settings.builder(cs.name()).rounds(rounds)
          .clientsPerRound(Math.max(1, users.size() / 2)).roundTimeout(Duration.ofMinutes(2)).build();
      ActorRef<Server.Command> server = ctx.spawn(
          Server.create(settings, aggregator, Evaluator.of(model, data.test()), dashboard), "server", Server.DISPATCHER);
      EmbeddedFederation.startClients(ctx, server, "user-", cs, trainer, train, users);
      return Behaviors.empty();
    });
    return EmbeddedFederation.runUntilDone(app, "csv-natural", config, done);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: CsvNaturalSplit FILE.csv LAYERS [ROUNDS]   (columns: label, user and numeric features)");
      System.exit(2);
    }
    int rounds = 10;
    if (args.length > 2) {
      try {
        rounds = Integer.parseInt(args[2]);
      } catch (NumberFormatException e) {
        System.err.println("CsvNaturalSplit: ROUNDS must be a whole number, got '" + args[2] + "'");
        System.exit(2);
      }
    }
    Server.Event last;
    try {
      last = run(Path.of(args[0]), args[1], rounds, ConfigFactory.load());
    } catch (io.csfl.data.DataFileException | IllegalArgumentException e) {
      // A file or layer list that does not fit: its one line is all there is to say.
      System.err.println("CsvNaturalSplit: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.out.println("last event: " + last);
  }
}
