package io.csfl.bench;

import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import io.csfl.node.CsflCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs {@code csfl simulate} over partitions x local-training settings x seeds (all algorithms of
 * a cell in one run, so they share the split, the client samples and the initial model), then
 * writes a results page with mean +- std over seeds, the commands, and the charts of the first seed.
 *
 * <p>Every option the grid does not know is a {@code simulate} option, passed to each run as it is
 * and checked by the CLI's own parser before anything runs: the grid has no copies of the CLI's
 * options or defaults that could drift from it.
 */
@Command(name = "experiment-grid", mixinStandardHelpOptions = true,
    description = "Run the CS experiment grid and write a markdown results page. Options the grid does not define "
        + "(--model, --rounds, --clients, ...) are csfl simulate options, given to every run.")
public final class ExperimentGrid implements Callable<Integer> {
  /** A named local-training setting: the simulate flags that define it. */
  record Setting(String name, List<String> flags) {}

  static final Map<String, Setting> SETTINGS = Map.of(
      "adam-5ep", new Setting("adam-5ep", List.of("--optimizer", "adam", "--lr", "0.01", "--local-epochs", "5")),
      "sgd-1ep", new Setting("sgd-1ep", List.of("--optimizer", "sgd", "--lr", "0.05", "--local-epochs", "1")));

  @Option(names = "--algorithms", split = ",", defaultValue = "fedavg,cs,cs:0.7,cs:0.9,cs-1bit,cs-fp16,cs-topk,cs-1bit-topk,topk,stc,pqsu")
  List<String> algorithms;

  @Option(names = "--partitions", split = ",", defaultValue = "iid,shards:2,dirichlet:0.5")
  List<String> partitions;

  @Option(names = "--settings", split = ",", defaultValue = "adam-5ep,sgd-1ep")
  List<String> settings;

  @Option(names = "--seeds", split = ",", defaultValue = "1,2,3")
  List<Long> seeds;

  /** The grid's axes: simulate flags that only the grid itself may set. */
  static final List<String> AXES = List.of("--algorithm", "--partition", "--seed", "--out", "--resume");

  @CommandLine.Unmatched
  List<String> simulateFlags = new ArrayList<>();

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** The model and rounds every run uses, as the CLI's parser read them (its defaults included). */
  private String model;
  private int rounds;

  @Option(names = "--out", defaultValue = "out/grid", description = "Where each run writes its metrics.")
  Path out;

  @Option(names = "--results", defaultValue = "docs/results.md", description = "The results page to write.")
  Path results;

  @Option(names = "--render-only", description = "Do not run; rebuild the page from the runs already in --out.")
  boolean renderOnly;

  @Option(names = "--add", split = ",", description = "Run only these algorithms, each cell and seed as one more run "
      + "beside the existing one in --out, and merge their rows into it (same split, client samples and initial model).")
  List<String> added = List.of();

  public static void main(String[] args) {
    System.exit(new CommandLine(new ExperimentGrid()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    readSimulateFlags();
    Map<String, List<String>> commands = new LinkedHashMap<>();
    Map<String, Map<String, List<List<RoundMetrics>>>> byCell = new LinkedHashMap<>();
    for (String setting : settings) {
      Setting s = SETTINGS.get(setting);
      for (String partition : partitions) {
        String cell = partition + " / " + setting;
        for (long seed : seeds) {
          Path dir = out.resolve(slug(model) + "_" + partition.replace(':', '-') + "_" + setting + "_seed" + seed);
          List<String> args = simulateArgs(algorithms, partition, seed, dir, s);
          commands.computeIfAbsent(cell, k -> new ArrayList<>()).add("bin/csfl " + String.join(" ", args));
          Path extra = dir.resolve("added-" + slug(String.join("-", added)));
          if (!added.isEmpty()) {
            args = simulateArgs(added, partition, seed, extra, s);
          }
          System.out.printf("%n=== %s, seed %d ===%n", cell, seed);
          if (!renderOnly) {
            forgetRun(added.isEmpty() ? dir : extra);
          }
          int code = renderOnly ? 0 : CsflCommand.commandLine().execute(args.toArray(String[]::new));
          if (code != 0) {
            System.err.println("experiment-grid: a run failed with exit code " + code + ": " + String.join(" ", args));
            return code;
          }
          if (!added.isEmpty() && !renderOnly) {
            mergeInto(dir, extra);
          }
          // Every run merged into this one so far, this session's or an earlier one's.
          for (Path addedRun : addedRuns(dir)) {
            List<String> addedAlgorithms = MetricsCsv.read(addedRun.resolve("metrics.csv")).stream()
                .map(RoundMetrics::algorithm).distinct().toList();
            commands.get(cell).add("bin/csfl " + String.join(" ", simulateArgs(addedAlgorithms, partition, seed, addedRun, s)));
          }
          Map<String, List<RoundMetrics>> byAlgorithm = new LinkedHashMap<>();
          for (RoundMetrics m : MetricsCsv.read(dir.resolve("metrics.csv"))) {
            byAlgorithm.computeIfAbsent(m.algorithm(), k -> new ArrayList<>()).add(m);
          }
          byAlgorithm.forEach((a, rows) -> byCell.computeIfAbsent(cell, k -> new LinkedHashMap<>())
              .computeIfAbsent(a, k -> new ArrayList<>()).add(rows));
          if (seed == seeds.get(0)) {
            copyCharts(dir, cell);
          }
        }
      }
    }
    Files.createDirectories(results.toAbsolutePath().getParent());
    String current = Files.exists(results) ? Files.readString(results, StandardCharsets.UTF_8) : "";
    String generated = ResultsPage.render(model, rounds, seeds, byCell, commands, this::chartPath);
    Files.writeString(results, ResultsPage.keepIntroduction(current, generated), StandardCharsets.UTF_8);
    System.out.println("experiment-grid: wrote " + results);
    return 0;
  }

  /**
   * A grid run replaces the run in its directory: {@code simulate} refuses to start afresh over
   * one (it would be resumed with --resume), so its metrics, flags, checkpoints and models go first.
   */
  private static void forgetRun(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (var entries = Files.list(dir)) {
      for (Path p : entries.toList()) {
        String name = p.getFileName().toString();
        if (name.equals("metrics.csv") || name.equals("run-flags.json") || io.csfl.report.Report.FILES.contains(name)
            || name.startsWith("model") && name.endsWith(".safetensors")) {
          Files.delete(p);
        } else if (name.equals("checkpoints") && Files.isDirectory(p)) {
          try (var checkpoints = Files.list(p)) {
            for (Path c : checkpoints.toList()) {
              Files.delete(c);
            }
          }
        }
      }
    }
  }

  private static List<Path> addedRuns(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (var entries = Files.list(dir)) {
      return entries.filter(p -> p.getFileName().toString().startsWith("added-") && Files.isRegularFile(p.resolve("metrics.csv")))
          .sorted().toList();
    }
  }

  private List<String> simulateArgs(List<String> algos, String partition, long seed, Path dir, Setting s) {
    List<String> args = new ArrayList<>(List.of("simulate", "--algorithm", String.join(",", algos),
        "--partition", partition, "--seed", String.valueOf(seed), "--out", dir.toString()));
    args.addAll(simulateFlags);
    args.addAll(s.flags());
    return args;
  }

  /**
   * Parses the passed-through flags with each setting's, as {@code simulate} itself will, so a
   * misspelt or conflicting flag fails before hours of runs; reads the model and rounds from it.
   */
  private void readSimulateFlags() {
    CommandLine grid = spec.commandLine();
    for (String flag : simulateFlags) {
      String name = flag.split("=", 2)[0];
      if (AXES.contains(name)) {
        throw new CommandLine.ParameterException(grid, name + " is set by the grid for each run; use --algorithms, "
            + "--partitions, --seeds and --out instead");
      }
    }
    for (String setting : settings) {
      Setting s = SETTINGS.get(setting);
      if (s == null) {
        throw new CommandLine.ParameterException(grid, "unknown setting " + setting + " (known: " + SETTINGS.keySet() + ")");
      }
      List<String> args = simulateArgs(algorithms, partitions.get(0), seeds.get(0), out, s);
      CommandLine.ParseResult parsed;
      try {
        parsed = CsflCommand.commandLine().parseArgs(args.toArray(String[]::new));
      } catch (CommandLine.ParameterException e) {
        throw new CommandLine.ParameterException(grid, "simulate would refuse the grid's runs: " + e.getMessage());
      }
      CommandLine.Model.CommandSpec simulate = parsed.subcommand().commandSpec();
      model = simulate.findOption("--model").getValue().toString();
      rounds = Integer.parseInt(simulate.findOption("--rounds").getValue().toString());
    }
  }

  /** Replaces the rows of the added run's algorithms in {@code dir}'s metrics.csv by that run's, and redraws its charts. */
  private void mergeInto(Path dir, Path extra) throws IOException {
    List<RoundMetrics> addedRows = MetricsCsv.read(extra.resolve("metrics.csv"));
    java.util.Set<String> replaced = new java.util.HashSet<>();
    addedRows.forEach(m -> replaced.add(m.algorithm()));
    try (MetricsCsv merged = MetricsCsv.create(dir.resolve("metrics.csv.merging"))) {
      MetricsCsv.read(dir.resolve("metrics.csv")).stream().filter(m -> !replaced.contains(m.algorithm())).forEach(merged::append);
      addedRows.forEach(merged::append);
    }
    Files.move(dir.resolve("metrics.csv.merging"), dir.resolve("metrics.csv"), StandardCopyOption.REPLACE_EXISTING);
    if (CsflCommand.commandLine().execute("report", dir.toString()) != 0) {
      throw new IOException("could not redraw the report of " + dir);
    }
  }

  private String chartPath(String cell, String chart) {
    return "results/" + slug(cell) + "-" + chart;
  }

  private void copyCharts(Path dir, String cell) throws IOException {
    Path target = results.toAbsolutePath().getParent().resolve("results");
    Files.createDirectories(target);
    for (String chart : List.of("accuracy-by-round.png", "accuracy-by-mb.png", "accuracy-by-uplink-mb.png")) {
      Path png = dir.resolve(chart);
      if (Files.exists(png)) {
        Files.copy(png, target.resolve(slug(cell) + "-" + chart), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  static String slug(String cell) {
    return cell.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.]+", "-").replaceAll("^-+|-+$", "");
  }
}
