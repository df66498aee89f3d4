package io.csfl.node;

import akka.actor.typed.ActorSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Server;
import io.csfl.data.DataFileException;
import io.csfl.data.FashionMnist;
import io.csfl.data.Partitioner;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.Strategies;
import io.csfl.strategy.StrategyParams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code csfl simulate}: a whole federation in one ActorSystem, every message through real
 * serialization ({@code serialize-messages = on}), each algorithm on the same data split, client
 * samples and initial model.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Run a federated simulation of one or more algorithms on Fashion-MNIST in one JVM.")
final class SimulateCommand implements java.util.concurrent.Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--algorithm", split = ",", defaultValue = "fedavg,cs",
      description = "Comma list of algorithms, run one after another: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
      completionCandidates = AlgorithmNames.class)
  List<String> algorithms;

  @Option(names = "--model", defaultValue = "mlp", description = "mlp (McMahan 2NN, 199,210 parameters) or cnn (McMahan CNN, 1,663,370). Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--data-dir", description = "Directory with the four Fashion-MNIST .gz files. Default: $CSFL_DATA, then data/fashion-mnist, then /usr/share/datasets/fashion-mnist.")
  Path dataDir;

  @Option(names = "--clients", defaultValue = "100", description = "Number of clients. Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(names = "--per-round", defaultValue = "10", description = "Clients sampled per round. Default: ${DEFAULT-VALUE}.")
  int perRound;

  @Option(names = "--rounds", defaultValue = "30", description = "Rounds per algorithm. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--partition", defaultValue = "dirichlet:0.5", description = "iid, shards:K or dirichlet:ALPHA. Default: ${DEFAULT-VALUE}.")
  String partition;

  @Option(names = "--local-epochs", defaultValue = "5", description = "Local epochs per round. Default: ${DEFAULT-VALUE}.")
  int localEpochs;

  @Option(names = "--batch-size", defaultValue = "64", description = "Local batch size. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--optimizer", defaultValue = "adam", description = "sgd or adam. Default: ${DEFAULT-VALUE}.")
  String optimizer;

  @Option(names = "--lr", defaultValue = "0.01", description = "Local learning rate. Default: ${DEFAULT-VALUE}.")
  double lr;

  @Option(names = "--momentum", defaultValue = "0", description = "SGD momentum. Default: ${DEFAULT-VALUE}.")
  double momentum;

  @Option(names = "--sparsity", defaultValue = "0.5", description = "CS server sparsity s (first mask). Default: ${DEFAULT-VALUE}.")
  double sparsity;

  @Option(names = "--sparsity-end", description = "CS sparsity of the last round; linear schedule from --sparsity. Default: same as --sparsity.")
  Double sparsityEnd;

  @Option(names = "--server-rate", defaultValue = "1.5", description = "CS aggregation ratio eta. Default: ${DEFAULT-VALUE}.")
  double serverRate;

  @Option(names = "--warmup-rounds", defaultValue = "0", description = "CS dense FedAvg rounds before the first pruning. Default: ${DEFAULT-VALUE}.")
  int warmupRounds;

  @Option(names = "--density", defaultValue = "0.1", description = "topk: fraction of each update a client sends. Default: ${DEFAULT-VALUE}.")
  double density;

  @Option(names = "--uplink-density", defaultValue = "0.1", description = "cs-topk: fraction of the complement a client sends. Default: ${DEFAULT-VALUE}.")
  double uplinkDensity;

  @Option(names = "--round-timeout", defaultValue = "10m", converter = DurationConverter.class,
      description = "Deadline of one attempt at a round, e.g. 60s or 2m. Default: ${DEFAULT-VALUE}.")
  Duration roundTimeout;

  @Option(names = "--min-completed", defaultValue = "1", description = "Updates needed to aggregate a round; fewer and the round is retried. Default: ${DEFAULT-VALUE}.")
  int minCompleted;

  @Option(names = "--threads", description = "Training threads. Default: the number of cores.")
  Integer threads;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the split, the initial model, sampling and shuffling. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--out", defaultValue = "out", description = "Output directory for metrics.csv, charts and summary.md. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Option(names = "--target", defaultValue = "0.70", description = "Accuracy target reported in summary.md. Default: ${DEFAULT-VALUE}.")
  double target;

  /** Lists the algorithm names in --help. */
  static final class AlgorithmNames extends ArrayList<String> {
    AlgorithmNames() {
      super(Strategies.NAMES);
    }
  }

  @Override
  public Integer call() {
    SimulationSetup setup;
    try {
      setup = buildSetup();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    } catch (DataFileException e) {
      spec.commandLine().getErr().println("csfl: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    return run(setup);
  }

  private SimulationSetup buildSetup() {
    require(clients > 0, "--clients must be positive");
    require(perRound > 0 && perRound <= clients, "--per-round must be between 1 and --clients (" + clients + ")");
    require(rounds > 0, "--rounds must be positive");
    require(minCompleted > 0 && minCompleted <= perRound, "--min-completed must be between 1 and --per-round");
    require(threads == null || threads > 0, "--threads must be positive");
    require(target > 0 && target <= 1, "--target must be in (0, 1]");
    require(!algorithms.isEmpty(), "--algorithm needs at least one name");
    require(algorithms.stream().distinct().count() == algorithms.size(), "--algorithm lists a name twice");
    Architecture architecture = Architecture.byName(model);
    Partitioner partitioner = Partitioner.parse(partition);
    OptimizerConfig.Kind kind = OptimizerConfig.parseKind(optimizer);
    OptimizerConfig opt = new OptimizerConfig(kind, lr, momentum);
    TrainingConfig training = new TrainingConfig(localEpochs, batchSize, opt);
    CsOptions cs = new CsOptions(sparsity, sparsityEnd == null ? sparsity : sparsityEnd, serverRate, warmupRounds);
    StrategyParams params = new StrategyParams(cs, density, uplinkDensity);
    List<FederatedStrategy> strategies = algorithms.stream().map(a -> Strategies.byName(a, params)).toList();
    Server.Settings settings = new Server.Settings("", rounds, perRound, roundTimeout, minCompleted, 3, seed);

    FashionMnist.Splits data = FashionMnist.load(Optional.ofNullable(dataDir));
    System.out.printf("data: %s and %s from %s%n", data.train(), data.test(), data.directory());
    List<int[]> parts = partitioner.split(data.train(), clients, new Random(seed));
    int[] sizes = parts.stream().mapToInt(p -> p.length).sorted().toArray();
    System.out.printf("partition %s: %d clients, examples per client min %d, median %d, max %d%n",
        partitioner.spec(), clients, sizes[0], sizes[sizes.length / 2], sizes[sizes.length - 1]);
    System.out.printf("model %s; local training: %d epochs, batch %d, %s lr %s; %d of %d clients per round, %d rounds%n",
        architecture, localEpochs, batchSize, kind.name().toLowerCase(), lr, perRound, clients, rounds);
    return new SimulationSetup(strategies, architecture, data.train(), data.test(), parts,
        architecture.initialModel(seed), new NetworkTrainer(architecture, training), settings);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private int run(SimulationSetup setup) {
    int trainingThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    Config config = ConfigFactory.parseMap(Map.of(
            "akka.actor.serialize-messages", "on",
            "akka.actor.provider", "local",
            "csfl.training-dispatcher.thread-pool-executor.fixed-pool-size", trainingThreads))
        .withFallback(ConfigFactory.load());
    Path csvPath = out.resolve("metrics.csv");
    Map<String, List<RoundMetrics>> results = new LinkedHashMap<>();
    List<String> failures = new ArrayList<>();
    long t0 = System.nanoTime();
    try (MetricsCsv csv = MetricsCsv.create(csvPath)) {
      ProgressPrinter progress = new ProgressPrinter(rounds);
      ActorSystem<Server.Event> system = ActorSystem.create(SimulationGuardian.create(setup, event -> {
        if (event instanceof Server.RoundCompleted r) {
          csv.append(r.metrics());
          results.computeIfAbsent(r.metrics().algorithm(), k -> new ArrayList<>()).add(r.metrics());
          progress.round(r.metrics(), results.get(r.metrics().algorithm()));
          r.rejections().forEach(reason -> System.out.println("    rejected: " + reason));
        } else if (event instanceof Server.Aborted a) {
          failures.add(a.algorithm() + ": " + a.reason());
        }
      }), "csfl", config);
      system.getWhenTerminated().toCompletableFuture().get(7, TimeUnit.DAYS);
    } catch (Exception e) {
      spec.commandLine().getErr().println("csfl: simulation failed: " + e);
      return 1;
    }
    System.out.println();
    System.out.print(SummaryTable.render(results));
    System.out.printf("%nmetrics: %s  (%.1f s in all)%n", csvPath, (System.nanoTime() - t0) / 1e9);
    if (!results.isEmpty()) {
      try {
        io.csfl.report.Report.render(out, target);
        System.out.printf("report: %s and three PNG charts in %s%n", out.resolve(io.csfl.report.Report.SUMMARY), out);
      } catch (java.io.IOException | RuntimeException e) {
        spec.commandLine().getErr().println("csfl: could not render the report: " + e);
      }
    }
    failures.forEach(f -> System.err.println("csfl: aborted " + f));
    return failures.isEmpty() ? 0 : 1;
  }
}
