package io.csfl.node;

import akka.actor.typed.ActorSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Server;
import io.csfl.data.DataFileException;
import io.csfl.data.FashionMnist;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import io.csfl.report.Report;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Mixin
  FederationOptions federation;

  @Option(names = "--threads", description = "Training threads. Default: the number of cores.")
  Integer threads;

  @Option(names = "--out", defaultValue = "out", description = "Output directory for metrics.csv, charts and summary.md. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Option(names = "--drop-rate", defaultValue = "0", description = "Churn: probability that a selected client disappears mid-round (it comes back later). Default: ${DEFAULT-VALUE}.")
  double dropRate;

  @Option(names = "--straggler-rate", defaultValue = "0", description = "Churn: probability that a selected client is slowed past the round deadline (use a short --round-timeout). Default: ${DEFAULT-VALUE}.")
  double stragglerRate;

  @Option(names = "--target", defaultValue = "0.70", description = "Accuracy target reported in summary.md. Default: ${DEFAULT-VALUE}.")
  double target;

  @Option(names = "--attack", hidden = true, defaultValue = "scale:1",
      description = "Experiments: the attack of the --attackers clients, scale:S (send a training step S times as long).")
  String attack;

  @Option(names = "--attackers", hidden = true, defaultValue = "0", description = "Experiments: how many clients (client-0000 on) attack.")
  int attackers;

  @Override
  public Integer call() {
    SimulationSetup setup;
    try {
      FederationOptions.require(threads == null || threads > 0, "--threads must be positive");
      FederationOptions.require(target > 0 && target <= 1, "--target must be in (0, 1]");
      new io.csfl.actor.ChurnModel(dropRate, stragglerRate, 0);
      federation.validate();
      Attack.parse(attack, attackers, federation.clients);
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
    FederationOptions f = federation;
    FashionMnist.Splits data = f.loadData();
    System.out.printf("data: %s and %s from %s%n", data.train(), data.test(), data.directory());
    List<int[]> parts = f.split(data.train());
    int[] sizes = parts.stream().mapToInt(p -> p.length).sorted().toArray();
    System.out.printf("partition %s: %d clients, examples per client min %d, median %d, max %d%n",
        f.partition, f.clients, sizes[0], sizes[sizes.length / 2], sizes[sizes.length - 1]);
    if (f.evalExamples < data.test().size()) {
      System.out.printf("evaluation on the first %d of %d test images%n", f.evalExamples, data.test().size());
    }
    System.out.printf("model %s; local training: %d epochs, batch %d, %s lr %s; %d of %d clients per round, %d rounds%n",
        f.architecture(), f.localEpochs, f.batchSize, f.optimizer, f.lr, f.perRound, f.clients, f.rounds);
    System.out.printf("aggregation: %s%n", f.aggregation());
    Attack threat = Attack.parse(attack, attackers, f.clients);
    if (threat.attackers() > 0) {
      System.out.printf("attack: clients 0 to %d send their training step scaled by %s%n", threat.attackers() - 1, threat.scale());
    }
    return new SimulationSetup(f.strategies(), f.architecture(), data.train(), () -> f.evaluator(data.test()), parts,
        f.architecture().initialModel(f.seed), f.trainer(), f.serverSettings(0, ""),
        new io.csfl.actor.ChurnModel(dropRate, stragglerRate, f.seed), threat);
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
      ProgressPrinter progress = new ProgressPrinter(federation.rounds);
      ActorSystem<SimulationGuardian.Command> system = ActorSystem.create(SimulationGuardian.create(setup, event -> {
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
        Report.render(out, target);
        System.out.printf("report: %s and three PNG charts in %s%n", out.resolve(Report.SUMMARY), out);
      } catch (java.io.IOException | RuntimeException e) {
        spec.commandLine().getErr().println("csfl: could not render the report: " + e);
      }
    }
    failures.forEach(f -> System.err.println("csfl: aborted " + f));
    return failures.isEmpty() ? 0 : 1;
  }
}
