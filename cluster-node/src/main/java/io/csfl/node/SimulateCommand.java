package io.csfl.node;

import akka.actor.typed.ActorSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Server;
import io.csfl.cluster.MetricsLog;
import io.csfl.data.DataFileException;
import io.csfl.internal.files.AtomicFiles;
import io.csfl.internal.files.FileProblems;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import io.csfl.report.Report;
import io.csfl.strategy.FederatedStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
    description = "Run a federated simulation of one or more algorithms in one JVM (Fashion-MNIST unless --dataset says otherwise).")
final class SimulateCommand implements java.util.concurrent.Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  FederationOptions federation;

  @Option(names = "--algorithm", defaultValue = "fedavg,cs", paramLabel = "NAME",
      completionCandidates = FederationOptions.AlgorithmNames.class,
      description = "Comma list of algorithms, run in turn on the same split, initial model and client samples: "
          + FederationOptions.ALGORITHM_NAMES)
  void algorithms(List<String> names) {
    // Split here, keeping empty items, so that a stray comma is refused rather than dropped.
    federation.algorithms = names.stream().flatMap(n -> Arrays.stream(n.split(",", -1))).toList();
  }

  @Option(names = "--threads", paramLabel = "N", description = "Training threads. Default: the number of cores.")
  Integer threads;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "out", description = "Output directory for metrics.csv, charts and summary.md. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Option(names = "--drop-rate", paramLabel = "P", defaultValue = "0", description = "Churn: probability that a selected client disappears mid-round (it comes back later). Default: ${DEFAULT-VALUE}.")
  double dropRate;

  @Option(names = "--straggler-rate", paramLabel = "P", defaultValue = "0", description = "Churn: probability that a selected client is slowed past the round deadline (use a short --round-timeout). Default: ${DEFAULT-VALUE}.")
  double stragglerRate;

  @Option(names = "--target", paramLabel = "ACC", defaultValue = "0.70", description = "Accuracy target reported in summary.md. Default: ${DEFAULT-VALUE}.")
  double target;

  @Option(names = "--attack", hidden = true, defaultValue = "scale:1",
      description = "Experiments: the attack of the --attackers clients, scale:S (send a training step S times as long).")
  String attack;

  @Option(names = "--attackers", hidden = true, defaultValue = "0", description = "Experiments: how many clients (client-0000 on) attack.")
  int attackers;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Where a checkpoint is written after every round. Default: OUT/checkpoints.")
  Path checkpointDir;

  @Option(names = "--keep-checkpoints", paramLabel = "N", defaultValue = "3", description = "Checkpoints kept per algorithm (the newest). Default: ${DEFAULT-VALUE}.")
  int keepCheckpoints;

  @Option(names = "--resume", paramLabel = "OUT", description = "Continue the interrupted run in OUT from its last checkpoints, with the flags it was started with (only --threads, -v and -q may be given too); metrics.csv is appended to.")
  Path resume;

  /** The exit code of a run that stopped before its last round. */
  static final int ABORTED = 3;
  /** The flags a run was started with, in its output directory, for --resume. */
  static final String RUN_FLAGS = "run-flags.json";
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
  private boolean resuming;

  /** The locks on the run's directories, held from before its files are first written until it ends. */
  private final List<RunLock> locks = new ArrayList<>();

  @Override
  public Integer call() {
    if (resume != null) {
      return resumeRun();
    }
    // Not there at all, not even as a link: a refusal may remove what this process makes of it.
    boolean made = out != null && !out.toString().isBlank() && java.nio.file.Files.notExists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    boolean started = false;
    try {
      int code = start();
      started = code != CommandLine.ExitCode.USAGE;
      return code;
    } finally {
      // A run that ended before it trained (wrong flags, nothing left to resume) stops the kernels' warm-up.
      federation.stopKernelWarmUp();
      // Under the lock: another run that locked the directory meanwhile would have refused this one
      // before it made anything, and is never undone.
      if (made && !started && !locks.isEmpty() && locks.get(0).isHeld()) {
        removeUnstarted(out);
      }
      locks.forEach(RunLock::close);
      locks.clear();
    }
  }

  /**
   * Removes what a refused run made of the --out directory it created and locked (its lock file
   * and an empty checkpoints directory, then the directory if that left it empty), so that a
   * refusal leaves nothing behind. A run that wrote its flags started, and keeps its files;
   * anything else found there stays, and so does the directory.
   */
  private static void removeUnstarted(Path out) {
    if (java.nio.file.Files.exists(out.resolve(RUN_FLAGS))) {
      return;
    }
    java.nio.file.LinkOption noLinks = java.nio.file.LinkOption.NOFOLLOW_LINKS;
    try {
      Path lock = out.resolve(RunLock.FILE);
      if (java.nio.file.Files.isRegularFile(lock, noLinks)) {
        java.nio.file.Files.delete(lock);
      }
      for (Path dir : List.of(out.resolve("checkpoints"), out)) {
        if (java.nio.file.Files.isDirectory(dir, noLinks) && isEmpty(dir)) {
          java.nio.file.Files.delete(dir);
        }
      }
    } catch (java.io.IOException e) {
      // Something else is there, or came meanwhile: left as it is.
    }
  }

  private static boolean isEmpty(Path directory) throws java.io.IOException {
    try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(directory)) {
      return entries.findAny().isEmpty();
    }
  }

  private int start() {
    SimulationSetup setup;
    try {
      // The data files are read on another core while the flags are checked and the kernels start.
      federation.startLoadingData();
      FederationOptions.require(threads == null || threads > 0, "--threads must be positive");
      FederationOptions.require(target > 0 && target <= 1, "--target must be in (0, 1]");
      FederationOptions.require(keepCheckpoints >= 1, "--keep-checkpoints must be at least 1");
      try {
        new io.csfl.actor.ChurnModel(dropRate, stragglerRate, 0);
      } catch (IllegalArgumentException e) {
        throw FederationOptions.namingTheFlag(e);
      }
      federation.validate();
      federation.startKernelWarmUp();
      FederationOptions.requireDirectory(out, "--out");
      FederationOptions.requireDirectory(checkpointDir, "--checkpoint-dir");
      Attack.parse(attack, attackers, federation.clients);
      federation.validateWithData();
      requireNoRunUnlessResuming();
      // Before the setup reads the checkpoints and says where each algorithm resumes: a run refused
      // the directories must not first announce that it continues.
      if (!lockedRunDirectories()) {
        return CommandLine.ExitCode.USAGE;
      }
      setup = buildSetup();
    } catch (IllegalArgumentException e) {
      federation.stopLoadingData();
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    } catch (DataFileException | CheckpointsRefused e) {
      federation.stopLoadingData();
      spec.commandLine().getErr().println("csfl: " + CsflCommand.oneLine(e.getMessage()));
      return CommandLine.ExitCode.USAGE;
    }
    if (!resuming) {
      try {
        java.nio.file.Files.createDirectories(out);
        java.nio.file.Files.createDirectories(checkpoints().directory());
        // Atomically: a run whose checkpoints outlive a half-written flags file could not be resumed.
        io.csfl.internal.files.AtomicFiles.write(out.resolve(RUN_FLAGS), JSON.writeValueAsBytes(effectiveFlags()), false);
      } catch (java.io.IOException e) {
        spec.commandLine().getErr().println("csfl: cannot write the run's files: " + FileProblems.writing(out, e));
        return CommandLine.ExitCode.USAGE;
      }
    }
    return run(setup);
  }

  /** {@link #lockRunDirectories()}, or false once its refusal is said. */
  private boolean lockedRunDirectories() {
    try {
      lockRunDirectories();
      return true;
    } catch (IllegalArgumentException e) {
      // Said here, not thrown: a resume would blame these on the saved flags, and waiting or a
      // writable directory lets it go on.
      spec.commandLine().getErr().println("csfl: " + CsflCommand.oneLine(e.getMessage()));
      return false;
    }
  }

  /**
   * From here on this process alone writes the run's directories: --out, and --checkpoint-dir
   * when it lies elsewhere (links resolved). A fresh run checks again, under the lock, that they
   * hold no run.
   */
  private void lockRunDirectories() {
    locks.addAll(RunLock.acquireRun(out, resuming ? "--resume" : "--out", checkpoints().directory()));
    Path checkpointDirectory = RunLock.realDirectory(checkpoints().directory(), "--checkpoint-dir");
    requireNoRunUnlessResuming();
    requireWritable(checkpointDirectory);
    // No other process writes here now: what a killed run's writes left half-done goes at once.
    io.csfl.internal.files.AtomicFiles.removeTemporaries(out,
        name -> runFile(name) || name.equals("metrics.csv") || name.equals(RUN_FLAGS), java.time.Duration.ZERO);
    io.csfl.checkpoint.Checkpoints store = checkpoints();
    federation.strategies().forEach(s -> store.removeTemporaries(s.name(), java.time.Duration.ZERO));
  }

  private void requireNoRunUnlessResuming() {
    if (!resuming) {
      // The checkpoints are the run's own when they are in OUT/checkpoints, another run's in a --checkpoint-dir.
      io.csfl.checkpoint.Checkpoints store = checkpoints();
      boolean checkpointed = !store.isEmpty();
      // A run writes its flags first: without them there is no run to continue, only files a run would overwrite.
      FederationOptions.require(!java.nio.file.Files.exists(out.resolve(RUN_FLAGS)) && !(checkpointed && checkpointDir == null),
          out + " already holds a run: continue it with --resume " + out + ", or choose a new --out directory");
      FederationOptions.require(!java.nio.file.Files.exists(out.resolve("metrics.csv")),
          "--out " + out + " holds metrics.csv, which a run writes: choose a new --out directory");
      FederationOptions.require(!checkpointed, "--checkpoint-dir " + store.directory()
          + " holds another run's checkpoints: choose a new --checkpoint-dir, or continue that run with --resume");
      String written = runFileIn(out);
      FederationOptions.require(written == null, "--out " + out + " holds " + written + ", which a run writes: choose a new --out directory");
    }
  }

  /** Whether a run writes a file of this name into its --out besides its metrics and flags: its summary, charts or models. */
  static boolean runFile(String name) {
    return Report.FILES.contains(name) || name.matches("model(-.+)?\\.safetensors");
  }

  /** The name of a file in {@code dir} that a run would overwrite (its summary, charts or models), or null. */
  static String runFileIn(Path dir) {
    if (!java.nio.file.Files.isDirectory(dir)) {
      return null;
    }
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
      return files.filter(java.nio.file.Files::isRegularFile).map(f -> f.getFileName().toString())
          .filter(SimulateCommand::runFile).sorted().findFirst().orElse(null);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("--out " + dir + ": cannot list it: " + FileProblems.reading(dir, e));
    }
  }

  /** The file that shows the checkpoint directory takes files; one name, so a probe a kill left is replaced by the next. */
  static final String WRITE_CHECK = ".csfl-write-check.tmp";

  /** The checkpoint directory can take files: found before the first round, not after each. Under the run's lock. */
  static void requireWritable(Path directory) {
    try {
      java.nio.file.Files.createDirectories(directory);
      java.nio.file.Files.write(directory.resolve(WRITE_CHECK), new byte[0]);
      java.nio.file.Files.delete(directory.resolve(WRITE_CHECK));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("--checkpoint-dir " + directory + ": a checkpoint cannot be written there: "
          + FileProblems.writing(directory, e));
    }
  }

  /** The run's checkpoints, which this process alone writes while it holds the run's lock. */
  private io.csfl.checkpoint.Checkpoints checkpoints() {
    return new io.csfl.checkpoint.Checkpoints(checkpointDir != null ? checkpointDir : out.resolve("checkpoints"), keepCheckpoints).soleWriter();
  }

  /** Parses the flags saved in the run's directory into a fresh command, which then runs as a resumed one. */
  private int resumeRun() {
    CommandLine.ParseResult given = spec.commandLine().getParseResult();
    boolean onlyThreads = given.matchedOptions().stream()
        .allMatch(o -> List.of("--resume", "--threads", "--verbose", "--quiet").contains(o.longestName()));
    if (!onlyThreads) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--resume takes the run's flags from " + resume.resolve(RUN_FLAGS) + "; only --threads, -v and -q may be given with it");
    }
    List<String> flags;
    try {
      FederationOptions.requireDirectory(resume, "--resume");
      // The command line's own, checked here: refused later, it would be blamed on the saved flags.
      FederationOptions.require(threads == null || threads > 0, "--threads must be positive");
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Path flagsFile = resume.resolve(RUN_FLAGS);
    if (!Files.isRegularFile(flagsFile)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--resume " + resume + ": no run to continue there (no " + RUN_FLAGS + ", which every run writes as it starts)");
    }
    try {
      flags = JSON.readValue(flagsFile.toFile(), new com.fasterxml.jackson.core.type.TypeReference<List<String>>() {});
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--resume " + resume + ": " + flagsFile
          + " is not the run's flags (a JSON list of words): " + e.getOriginalMessage().lines().findFirst().orElse(""));
    } catch (java.io.IOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--resume " + resume + ": cannot read " + FileProblems.reading(flagsFile, e));
    }
    if (flags.contains(null)) {
      // An empty list is a run's: one started with every flag at its default.
      throw new CommandLine.ParameterException(spec.commandLine(), "--resume " + resume + ": " + resume.resolve(RUN_FLAGS)
          + " holds no run's flags (a list with a null among its " + flags.size() + " words)");
    }
    flags = ownFlags(flags);
    SimulateCommand resumed = new SimulateCommand();
    CommandLine cl = new CommandLine(resumed);
    cl.setExpandAtFiles(false);
    cl.setErr(spec.commandLine().getErr());
    cl.setOut(spec.commandLine().getOut());
    // No CSFL_* variables or config file: the saved flags are the run's, whatever they say now.
    try {
      cl.parseArgs(flags.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw savedFlagsRefused(e);
    }
    if (resumed.resume != null) {
      // A run's flags never hold --resume (a resumed run keeps the flags it started with): followed,
      // it would continue another directory than the one named, or itself for ever.
      throw new CommandLine.ParameterException(spec.commandLine(), "--resume " + resume + ": " + flagsFile
          + " holds --resume, which no run's flags do; the saved run cannot be resumed");
    }
    resumed.out = resume;
    if (threads != null) {
      resumed.threads = threads;
    }
    resumed.resuming = true;
    try {
      return resumed.call();
    } catch (CommandLine.ParameterException e) {
      throw savedFlagsRefused(e);
    }
  }

  /**
   * The checkpoints of a resumed run refused (none usable, or of another model): the run's state,
   * not its saved flags, which is why it is no ParameterException (those the resume blames on the flags).
   */
  private static final class CheckpointsRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CheckpointsRefused(String message) {
      super(message);
    }
  }

  /** A saved flag {@code refusal} refused: the saved run cannot go on, whatever the command line says now. */
  private BadInput savedFlagsRefused(CommandLine.ParameterException refusal) {
    return new BadInput(spec.commandLine(), resume.resolve(RUN_FLAGS) + ": " + refusal.getMessage() + "; the saved run cannot be resumed");
  }

  /** Options a resumed run does not take from the saved flags: it chooses them itself, or they were read into the others. */
  private static final java.util.Set<String> NOT_SAVED =
      java.util.Set.of("--resume", "--threads", "--verbose", "--quiet", "--help", "--version");

  /**
   * The run's flags as its resume must see them, since the resume starts from them alone: every
   * option the command line, a {@code CSFL_*} variable or the config file ({@code CSFL_CONFIG})
   * set (the last two may be gone, or say something else, when the run is resumed), each as
   * {@code --name=value}; paths made absolute, because a resume may start in another directory.
   */
  private List<String> effectiveFlags() {
    CommandLine.ParseResult given = spec.commandLine().getParseResult();
    CommandLine.IDefaultValueProvider defaults = spec.commandLine().getDefaultValueProvider();
    List<String> flags = new ArrayList<>();
    for (CommandLine.Model.OptionSpec option : spec.options()) {
      String name = option.longestName();
      if (NOT_SAVED.contains(name)) {
        continue;
      }
      if (option.type() == boolean.class || option.type() == Boolean.class) {
        if (Boolean.TRUE.equals(option.getValue())) {
          flags.add(name);
        }
        continue;
      }
      CommandLine.Model.OptionSpec matched = given.matchedOption(name);
      List<String> values = matched != null ? matched.originalStringValues() : fromDefaults(defaults, option);
      for (String value : values) {
        flags.add(name + "=" + absolute(option, value));
      }
    }
    return flags;
  }

  /** What a {@code CSFL_*} variable or the config file gave {@code option}, if either did. */
  private static List<String> fromDefaults(CommandLine.IDefaultValueProvider defaults, CommandLine.Model.OptionSpec option) {
    try {
      String value = defaults == null ? null : defaults.defaultValue(option);
      return value == null ? List.of() : List.of(value);
    } catch (Exception e) {
      // The same provider gave the parse its values a moment ago.
      throw new IllegalStateException(e);
    }
  }

  /** {@code value} of {@code option} with the path it names made absolute: a path option, a layer list's @FILE, a data set's DIR or FILE. */
  private static String absolute(CommandLine.Model.OptionSpec option, String value) {
    if (option.type() == Path.class) {
      return Path.of(value).toAbsolutePath().normalize().toString();
    }
    if (option.longestName().equals("--model")) {
      return value.startsWith("@") ? "@" + Path.of(value.substring(1)).toAbsolutePath().normalize() : value;
    }
    if (option.longestName().equals("--dataset")) {
      for (String kind : List.of("idx:", "csv:")) {
        if (value.startsWith(kind)) {
          return kind + Path.of(value.substring(kind.length())).toAbsolutePath().normalize();
        }
      }
    }
    return value;
  }

  /**
   * The flags after the command's name: what a fresh {@code simulate} command parses. The log
   * level flags are left out: they belong to the csfl command, and a resumed run chooses its own.
   */
  static List<String> ownFlags(List<String> args) {
    int at = args.indexOf("simulate");
    return (at >= 0 ? args.subList(at + 1, args.size()) : args).stream()
        .filter(a -> !a.matches("-v+|--verbose|-q|--quiet")).toList();
  }

  private SimulationSetup buildSetup() {
    FederationOptions f = federation;
    // Before the data are read, so a wrong file fails fast.
    io.csfl.tensor.Model initial = f.initialModel();
    io.csfl.data.Splits data = f.data();
    f.startKernelWarmUp();
    f.announceKernels();
    System.out.printf("data: %s and %s from %s%n", data.train(), data.test(), data.source());
    List<int[]> parts = f.split(data.train());
    int[] sizes = parts.stream().mapToInt(p -> p.length).sorted().toArray();
    System.out.printf("partition %s: %d clients, examples per client min %d, median %d, max %d%n",
        f.partition, f.clients, sizes[0], sizes[sizes.length / 2], sizes[sizes.length - 1]);
    if (f.evalExamples < data.test().size()) {
      System.out.printf("evaluation on the first %d of %d test examples%n", f.evalExamples, data.test().size());
    }
    System.out.printf("model %s; local training: %d epochs, batch %d, %s lr %s; %d of %d clients per round, %d rounds%n",
        f.architecture(), f.localEpochs, f.batchSize, f.optimizer, f.lr, f.perRound, f.clients, f.rounds);
    System.out.printf("aggregation: %s%n", f.aggregation());
    Attack threat = Attack.parse(attack, attackers, f.clients);
    if (threat.attackers() > 0) {
      System.out.printf("attack: clients 0 to %d send their training step scaled by %s%n", threat.attackers() - 1, threat.scale());
    }
    io.csfl.checkpoint.Checkpoints store = checkpoints();
    Map<String, io.csfl.checkpoint.Checkpoint> from = new LinkedHashMap<>();
    if (resuming) {
      for (var strategy : f.strategies()) {
        Optional<io.csfl.checkpoint.Checkpoint> latest;
        try {
          latest = store.latest(strategy.name(), initial.spec(), w -> System.err.println("csfl: " + w));
        } catch (IllegalArgumentException e) {
          throw new CheckpointsRefused(e.getMessage());
        }
        latest.ifPresent(c -> {
          System.out.printf(c.round() >= f.rounds ? "%s: complete, all %d rounds are in %s%n" : "%s: resuming after round %d from %s%n",
              c.algorithm(), c.round(), store.directory());
          ModelFiles.pruneIfComplete(store, c, f.rounds);
          ModelFiles.restoreModel(c, f.rounds, f.architecture(), f.dataOptions.modelMetadata(), modelFile(c.algorithm(), f.strategies().size()));
          // The clients get back the models they held, where the strategy can rebuild them (ResumedClients).
          from.put(c.algorithm(), c);
        });
      }
    }
    int strategies = f.strategies().size();
    Server.Checkpointer checkpointer = ModelFiles.checkpointer(store, f.rounds, f.architecture(), f.dataOptions.modelMetadata(), a -> modelFile(a, strategies));
    return new SimulationSetup(f.strategies(), f.architecture(), data.train(), () -> f.evaluator(data.test()), parts,
        initial, f.trainer(), f.serverSettings(0, "", "", parts), new io.csfl.actor.ChurnModel(dropRate, stragglerRate, f.seed),
        threat, from, checkpointer);
  }

  /** model.safetensors for a run of one algorithm; model-ALGORITHM.safetensors each when several run. */
  private Path modelFile(String algorithm, int strategies) {
    return out.resolve(strategies == 1 ? "model.safetensors" : "model-" + algorithm + ".safetensors");
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
    Set<String> ended = java.util.concurrent.ConcurrentHashMap.newKeySet();
    long t0 = System.nanoTime();
    if (resuming) {
      // The file is made to hold each algorithm's checkpointed rows, no more and no less (the
      // checkpoint is saved before its round's row, so it is the record), before rows are added.
      Map<String, List<RoundMetrics>> committed = new LinkedHashMap<>();
      setup.strategies().forEach(s -> committed.put(s.name(),
          setup.resume().containsKey(s.name()) ? setup.resume().get(s.name()).metrics() : List.of()));
      try {
        MetricsCsv.reconcile(csvPath, committed).forEach(note -> spec.commandLine().getErr().println("csfl: " + note));
      } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
        spec.commandLine().getErr().println("csfl: --resume " + out + ": " + e.getMessage());
        return CommandLine.ExitCode.USAGE;
      }
    }
    setup.resume().values().forEach(c -> c.metrics().forEach(m ->
        results.computeIfAbsent(m.algorithm(), k -> new ArrayList<>()).add(m)));
    // A row that cannot be written (a full disk) is kept and written later; the run goes on.
    MetricsLog csv = new MetricsLog(csvPath, line -> spec.commandLine().getErr().println("csfl: " + line));
    try {
      csv.open(results);
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      spec.commandLine().getErr().println("csfl: " + CsflCommand.oneLine(e.getMessage()));
      return CommandLine.ExitCode.USAGE;
    }
    String incomplete;
    try {
      ProgressPrinter progress = new ProgressPrinter(federation.rounds);
      ActorSystem<SimulationGuardian.Command> system = ActorSystem.create(SimulationGuardian.create(setup, event -> {
        if (event instanceof Server.RoundCompleted r) {
          csv.append(r.metrics());
          results.computeIfAbsent(r.metrics().algorithm(), k -> new ArrayList<>()).add(r.metrics());
          progress.round(r.metrics(), results.get(r.metrics().algorithm()));
          r.rejections().forEach(reason -> System.out.println("    rejected: " + reason));
        } else if (event instanceof Server.Aborted a) {
          ended.add(a.algorithm());
          failures.add(a.algorithm() + ": " + a.reason());
        } else if (event instanceof Server.Finished f) {
          ended.add(f.algorithm());
        }
      }), "csfl", config);
      awaitEnd(system, () -> ended.size() == setup.strategies().size(), STOP_GRACE);
      // An algorithm whose server neither finished nor aborted was stopped by a failure the log above shows.
      setup.strategies().stream().map(FederatedStrategy::name).filter(name -> !ended.contains(name))
          .forEach(name -> failures.add(name + ": the simulation stopped before it ended (see the error above)"));
    } catch (Exception e) {
      spec.commandLine().getErr().println("csfl: simulation failed: " + e);
      return 1;
    } finally {
      incomplete = csv.finish();
    }
    // The table and the report list the algorithms in --algorithm's order, not in the order their
    // first rows arrived, which resumed checkpoints and the servers' pace decide.
    Map<String, List<RoundMetrics>> inOrder = new LinkedHashMap<>();
    setup.strategies().stream().map(FederatedStrategy::name).filter(results::containsKey).forEach(name -> inOrder.put(name, results.get(name)));
    System.out.println();
    System.out.print(SummaryTable.render(inOrder));
    System.out.printf("%nmetrics: %s  (%.1f s in all)%n", csvPath, (System.nanoTime() - t0) / 1e9);
    if (!inOrder.isEmpty()) {
      try {
        Report.render(out, inOrder.values().stream().flatMap(List::stream).toList(), target);
        System.out.printf("report: %s and three PNG charts in %s%n", out.resolve(Report.SUMMARY), out);
      } catch (java.io.IOException | RuntimeException e) {
        spec.commandLine().getErr().println("csfl: could not render the report: " + ReportCommand.failure(out, e));
      }
    }
    if (incomplete != null) {
      spec.commandLine().getErr().println("csfl: " + incomplete + "; --resume " + out + " writes them from the last checkpoints");
    }
    if (failures.isEmpty() && incomplete == null) {
      return 0;
    }
    failures.forEach(f -> spec.commandLine().getErr().println("csfl: aborted " + f));
    spec.commandLine().getErr().flush();
    noteInSummary(failures, incomplete);
    return ABORTED;
  }

  /** How long the system may take to stop once every algorithm has ended, before the run ends without it. */
  static final java.time.Duration STOP_GRACE = java.time.Duration.ofSeconds(10);

  /**
   * Waits until {@code system} has terminated, or until every algorithm has ended ({@code allEnded})
   * and {@code grace} has passed: a client whose training outlasts its round (a timed-out
   * straggler, or training far longer than the round timeout) holds its thread, and so its actor
   * and the system, until that training ends, which would keep a finished run waiting for work
   * whose result nobody takes. The process's exit then stops it.
   */
  static void awaitEnd(ActorSystem<?> system, java.util.function.BooleanSupplier allEnded, java.time.Duration grace) throws Exception {
    java.util.concurrent.CompletableFuture<?> terminated = system.getWhenTerminated().toCompletableFuture();
    long endedAt = 0;
    while (!terminated.isDone()) {
      try {
        terminated.get(200, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException stillRunning) {
        if (!allEnded.getAsBoolean()) {
          continue;
        }
        endedAt = endedAt == 0 ? System.nanoTime() : endedAt;
        if (System.nanoTime() - endedAt > grace.toNanos()) {
          System.err.println("csfl: WARNING: clients were still training when the run ended; their work is dropped with the process");
          return;
        }
      }
    }
    terminated.get();
  }

  /**
   * Adds to summary.md why the run is not whole, in place of such a note an earlier try of the
   * run left (a report that could not be rendered leaves the old summary); written atomically, as
   * the report writes it.
   */
  private void noteInSummary(List<String> failures, String incomplete) {
    Path summary = out.resolve(Report.SUMMARY);
    StringBuilder note = new StringBuilder();
    if (!failures.isEmpty()) {
      note.append(Report.NOTES.get(0)).append("\nTraining stopped before its last round:\n\n");
      failures.forEach(f -> note.append("- ").append(f).append('\n'));
    }
    if (incomplete != null) {
      note.append(Report.NOTES.get(1)).append('\n').append(incomplete).append("; `csfl simulate --resume` writes them from the last checkpoints.\n");
    }
    try {
      String text = Files.exists(summary) ? Files.readString(summary) : "";
      int earlier = Report.notesStart(text);
      AtomicFiles.write(summary, (text.substring(0, earlier) + note).getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      spec.commandLine().getErr().println("csfl: could not note the abort: " + (e instanceof java.io.IOException io
          ? FileProblems.writing(summary, io) : e.getMessage()));
    }
  }
}
