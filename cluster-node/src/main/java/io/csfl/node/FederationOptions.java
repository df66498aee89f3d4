package io.csfl.node;

import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.data.Partitioner;
import io.csfl.data.Splits;
import io.csfl.nn.Architecture;
import io.csfl.nn.KernelWarmUp;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.nn.TrainingEngine;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.GlobalMagnitudePruner;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Pruner;
import io.csfl.strategy.RobustAggregation;
import io.csfl.strategy.Strategies;
import io.csfl.strategy.StrategyParams;
import io.csfl.tensor.Model;
import io.csfl.tensor.Values;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The flags that define a federation: data, split, model, local training, algorithm, rounds.
 * {@code simulate} and {@code node} share them, so every node of a cluster can be started with
 * the same flags and derive the same split, initial model and client samples.
 */
final class FederationOptions {
  /** The algorithms to run: each command declares {@code --algorithm} itself, since their defaults differ. */
  List<String> algorithms = List.of();

  /** Help text of {@code --algorithm} after its first sentence. */
  static final String ALGORITHM_NAMES = "${COMPLETION-CANDIDATES}, or cs:S for CS at sparsity S. Default: ${DEFAULT-VALUE}.";

  @Option(names = "--model", paramLabel = "SPEC", defaultValue = "mlp", description = "mlp (McMahan 2NN, 199,210 parameters on Fashion-MNIST), cnn (McMahan CNN, 1,663,370; images only), logreg (one dense layer), a comma list of layers conv:C:K, conv:C:K:valid, pool:K, dense:N (the last dense:CLASSES), or @FILE holding such a list. Inputs and outputs follow the dataset. Default: ${DEFAULT-VALUE}.")
  String model;

  /** The largest --model @FILE read: a layer list, comments included, is far smaller. */
  static final long MAX_MODEL_FILE_BYTES = 1 << 16;
  /** The longest the kernels' warm-up runs; it stops sooner at the first training or once warm. */
  private static final Duration KERNEL_WARM_UP_LIMIT = Duration.ofSeconds(5);

  @Option(names = "--engine", converter = NameConverter.class, paramLabel = "NAME", defaultValue = TrainingEngine.JAVA,
      description = "Where clients train: java (built in) or pytorch (PyTorch through DJL, when its module is on the class path; see docs/engines.md). Default: ${DEFAULT-VALUE}.")
  String engine;

  @Option(names = "--clients", paramLabel = "N", description = "Number of clients. Default: 100, or one per group with --partition natural.")
  Integer clientsOption;

  /** --clients, or its default for the data and partition; set by {@link #validate()}. */
  int clients;

  @Option(names = "--per-round", paramLabel = "N", defaultValue = "10", description = "Clients sampled per round. Default: ${DEFAULT-VALUE}.")
  int perRound;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "30", description = "Rounds per algorithm. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--partition", converter = NameConverter.class, paramLabel = "SPEC", description = "iid, shards:K, dirichlet:ALPHA, dirichlet-capped:ALPHA or natural (one client per group). Default: natural for data with groups, else dirichlet:0.5.")
  String partitionOption;

  /** --partition, or its default for the data; set by {@link #validate()}. */
  String partition;

  @Option(names = "--local-epochs", paramLabel = "N", defaultValue = "5", description = "Local epochs per round. Default: ${DEFAULT-VALUE}.")
  int localEpochs;

  @Option(names = "--batch-size", paramLabel = "N", defaultValue = "64", description = "Local batch size. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--optimizer", converter = NameConverter.class, paramLabel = "NAME", defaultValue = "adam", description = "sgd or adam. Default: ${DEFAULT-VALUE}.")
  String optimizer;

  @Option(names = "--lr", paramLabel = "RATE", defaultValue = "0.01", description = "Local learning rate. Default: ${DEFAULT-VALUE}.")
  double lr;

  @Option(names = "--momentum", paramLabel = "M", defaultValue = "0", description = "SGD momentum. Default: ${DEFAULT-VALUE}.")
  double momentum;

  @Option(names = "--sparsity", paramLabel = "S", defaultValue = "0.5", description = "CS server sparsity s (first mask). Default: ${DEFAULT-VALUE}.")
  double sparsity;

  @Option(names = "--sparsity-end", paramLabel = "S", description = "CS sparsity of the last round; linear schedule from --sparsity. Default: same as --sparsity.")
  Double sparsityEnd;

  @Option(names = "--server-rate", paramLabel = "ETA", defaultValue = "1.5", description = "CS aggregation ratio eta. Default: ${DEFAULT-VALUE}.")
  double serverRate;

  @Option(names = "--warmup-rounds", paramLabel = "N", defaultValue = "0", description = "CS dense FedAvg rounds before the first pruning. Default: ${DEFAULT-VALUE}.")
  int warmupRounds;

  @Option(names = "--downlink-history", paramLabel = "N", defaultValue = "" + CsOptions.DEFAULT_DOWNLINK_HISTORY,
      description = "CS: recent global models the server keeps, so a returning client gets only what changed since the one it holds; 0 sends every client the whole sparse model. Default: ${DEFAULT-VALUE}.")
  int downlinkHistory;

  @Option(names = "--pruner", converter = NameConverter.class, paramLabel = "NAME", defaultValue = "per-tensor",
      description = "CS: how the server's masks are computed: per-tensor (each weight tensor pruned to the sparsity, as in the CS paper) or global (one magnitude threshold across all weight tensors). Default: ${DEFAULT-VALUE}.")
  String pruner;

  @Option(names = "--density", paramLabel = "D", defaultValue = "0.1", description = "topk and stc: fraction of each update sent (stc: both ways). Default: ${DEFAULT-VALUE}.")
  double density;

  @Option(names = "--uplink-density", paramLabel = "D", defaultValue = "0.1", description = "cs-topk and cs-1bit-topk: fraction of the complement a client sends. Default: ${DEFAULT-VALUE}.")
  double uplinkDensity;

  @Option(names = "--round-timeout", paramLabel = "TIME", defaultValue = "10m", converter = DurationConverter.class,
      description = "Deadline of one attempt at a round, e.g. 60s or 2m. Default: ${DEFAULT-VALUE}.")
  Duration roundTimeout;

  @Option(names = "--aggregator-grace", paramLabel = "TIME", defaultValue = "2m", converter = DurationConverter.class,
      description = "How long a round waits for an aggregator to register when none is left (its node was lost) before training is aborted. Default: ${DEFAULT-VALUE}.")
  Duration aggregatorGrace;

  @Option(names = "--client-grace", paramLabel = "TIME", defaultValue = "2m", converter = DurationConverter.class,
      description = "How long a round waits for clients to come back when fewer than --min-completed are registered before training is aborted. Default: ${DEFAULT-VALUE}.")
  Duration clientGrace;

  @Option(names = "--min-completed", paramLabel = "N", defaultValue = "1", description = "Updates needed to aggregate a round; fewer and the round is retried with a new sample. Default: ${DEFAULT-VALUE}.")
  int minCompleted;

  @Option(names = "--over-select", paramLabel = "F", defaultValue = "1", description = "Select this factor (1 to 10) more clients than --per-round and aggregate the first --per-round to finish. Default: ${DEFAULT-VALUE}.")
  double overSelect;

  @Option(names = "--eval-examples", paramLabel = "N", defaultValue = "10000", description = "Evaluate each round on the first N test examples (all 10,000 of Fashion-MNIST by default; the cnn evaluates slowly). Default: ${DEFAULT-VALUE}.")
  int evalExamples;

  @Option(names = "--aggregation", converter = NameConverter.class, paramLabel = "SPEC", defaultValue = "mean",
      description = "How the server combines updates: mean (example-weighted, streaming), trimmed-mean:F (drop the fraction F at each end of each coordinate) or median (coordinate-wise); the last two hold every update of a round in memory. Default: ${DEFAULT-VALUE}.")
  String aggregation;

  @Option(names = "--clip-norm", paramLabel = "NORM", description = "Scale each client update down to this L2 norm before it is combined (measured from the model the client was sent). Default: no clipping.")
  Double clipNorm;

  @Option(names = "--initial-model", paramLabel = "FILE", description = "A safetensors model (e.g. the model.safetensors of an earlier run, or one of its checkpoints) to start from instead of a seeded random one; it must be of the --model architecture.")
  Path initialModel;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of the split, the initial model, sampling and shuffling. Default: ${DEFAULT-VALUE}.")
  long seed;

  /** --dataset and the flags of how to read it, shared with {@code evaluate}. */
  @Mixin
  DataOptions dataOptions = new DataOptions();

  /**
   * Whether each client node trains on data of its own (its --dataset) instead of its share of
   * data every node loads alike: set by {@code node --private-data} before {@link #validate()}.
   */
  boolean privateData;

  private Splits data;
  /** The kernels' warm-up {@link #startKernelWarmUp()} started, if it did. */
  private KernelWarmUp kernelWarmUp;
  /** The load {@link #startLoadingData()} started, if it did. */
  private CompletableFuture<Splits> loading;
  private Thread reader;

  /** Lists the algorithm names in --help. */
  static final class AlgorithmNames extends ArrayList<String> {
    AlgorithmNames() {
      super(Strategies.NAMES);
    }
  }

  /** Checks that {@code --algorithm} names at least one algorithm and no empty one (a stray comma). */
  void requireAlgorithmNames() {
    require(!algorithms.isEmpty(), "--algorithm needs at least one name");
    require(algorithms.stream().noneMatch(String::isBlank), "--algorithm has an empty name in '" + String.join(",", algorithms) + "'");
  }

  /** Checks every flag that can be checked without the data; throws IllegalArgumentException naming it. */
  void validate() {
    require(clientsOption == null || clientsOption > 0, "--clients must be positive");
    require(rounds > 0, "--rounds must be positive");
    require(rounds <= Server.Settings.MAX_LISTED, "--rounds must be at most " + Server.Settings.MAX_LISTED + ", got " + rounds);
    require(evalExamples > 0, "--eval-examples must be positive");
    require(overSelect >= 1 && overSelect <= 10, "--over-select must be between 1 and 10");
    require(sparsity >= 0 && sparsity < 1, "--sparsity must be in [0, 1), got " + sparsity);
    require(sparsityEnd == null || sparsityEnd >= 0 && sparsityEnd < 1, "--sparsity-end must be in [0, 1), got " + sparsityEnd);
    require(density > 0 && density <= 1, "--density must be in (0, 1], got " + density);
    require(uplinkDensity > 0 && uplinkDensity <= 1, "--uplink-density must be in (0, 1], got " + uplinkDensity);
    requireAlgorithmNames();
    if (partitionOption != null) {
      Partitioner.parse(partitionOption);
    }
    dataOptions.checkFlags();
    require(clipNorm == null || (clipNorm > 0 && Double.isFinite(clipNorm)), "--clip-norm must be a positive number");
    aggregation();
    // Names as the strategies read them: CS and cs, or ' cs', are one algorithm run twice.
    Set<String> names = new HashSet<>();
    List<FederatedStrategy> strategies = strategies();
    strategies.forEach(st -> require(names.add(st.name()), "--algorithm lists " + st.name() + " twice"));
    // cs runs at --sparsity: cs:S at the same sparsity, without a schedule, is the same algorithm.
    String same = Strategies.csAt(sparsity);
    require(!(names.contains(ComplementSparsification.NAME) && names.contains(same) && (sparsityEnd == null || sparsityEnd == sparsity)),
        "--algorithm lists cs and " + same + ", one algorithm at --sparsity " + sparsity + " run twice");
    // CS prunes only after its warm-up: a warm-up as long as the run makes every cs row a dense FedAvg's.
    strategies.stream().map(FederatedStrategy::name).filter(FederationOptions::prunesAfterWarmUp).findFirst()
        .ifPresent(cs -> require(warmupRounds < rounds, "--warmup-rounds " + warmupRounds + " leaves " + cs
            + " no round to prune in (--rounds " + rounds + "); the warm-up must be shorter than the run"));
    training();
    trainingEngine();
    if (privateData) {
      requirePrivateDataFlags();
    }
    // Until the data say otherwise (a natural split has one client per group).
    clients = clientsOption != null ? clientsOption : 100;
  }

  /**
   * Prints which kernels train (and the engine, when it is not the Java one): the first line of a
   * run, once its flags and data are accepted, so that a refused run prints its refusal alone.
   */
  void announceKernels() {
    System.out.println("kernels: " + NetworkTrainer.kernel());
    TrainingEngine engine = trainingEngine();
    if (!engine.name().equals(TrainingEngine.JAVA)) {
      System.out.println("engine: " + engine.name() + " trains the clients");
    }
  }

  /**
   * Loads the data and checks the flags that depend on it: the partition and client count it
   * implies, the clients per round, the model's fit to its shape. After {@link #validate()}.
   */
  void validateWithData() {
    resolveForData(data());
    require(perRound > 0 && perRound <= clients, "--per-round must be between 1 and --clients (" + clients + ")");
    require(Math.ceil(perRound * overSelect - 1e-9) <= Server.Settings.MAX_LISTED,
        "--per-round times --over-select must be at most " + Server.Settings.MAX_LISTED + ", got " + perRound + " times " + overSelect);
    require(minCompleted > 0 && minCompleted <= perRound, "--min-completed must be between 1 and --per-round");
    architecture();
  }

  /** Whether the algorithm {@code name} (as the strategies spell it) is CS or a variant, which warm up for --warmup-rounds. */
  private static boolean prunesAfterWarmUp(String name) {
    return name.equals(ComplementSparsification.NAME) || name.startsWith(ComplementSparsification.NAME + "-")
        || name.startsWith(ComplementSparsification.NAME + ":");
  }

  /** Refuses a path for a directory ({@code flag}) that names something else, say a file. */
  static void requireDirectory(java.nio.file.Path path, String flag) {
    require(path == null || !path.toString().isBlank(), flag + " must name a directory, got an empty path");
    require(path == null || !java.nio.file.Files.exists(path) || java.nio.file.Files.isDirectory(path),
        flag + " " + path + " is not a directory");
  }

  static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The --model preset or layer list for the data's shape and classes; a refusal names --model, and so where its value came from. */
  Architecture architecture() {
    Dataset train = data().train();
    String text = modelText("--model", model);
    try {
      return Architecture.byName(text, train.shape(), train.classes());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model: " + e.getMessage(), e);
    }
  }

  /**
   * {@code spec}, or the text of the file that {@code @FILE} names (picocli leaves @FILE alone
   * here); {@code flag} is the option that gave it, for the message when the file cannot be read.
   */
  static String modelText(String flag, String spec) {
    if (!spec.startsWith("@")) {
      return spec;
    }
    require(spec.length() > 1, flag + " @: name the file of a layer list after '@', e.g. " + flag + " @layers.txt");
    Path file = Path.of(spec.substring(1));
    try {
      long size = java.nio.file.Files.size(file);
      require(size <= MAX_MODEL_FILE_BYTES, flag + " " + spec + ": the file has " + size + " bytes, more than a layer list needs ("
          + MAX_MODEL_FILE_BYTES + ")");
      String text = new String(io.csfl.internal.files.RegularFiles.read(file, MAX_MODEL_FILE_BYTES), java.nio.charset.StandardCharsets.UTF_8);
      // An editor's byte-order mark would otherwise be part of the first layer's name.
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalArgumentException(flag + " " + spec + ": no such file");
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(flag + " " + spec + ": cannot read it: " + io.csfl.internal.files.FileProblems.reading(file, e));
    }
  }

  TrainingConfig training() {
    try {
      // Training past the round timeout is work no round takes: it stops there (see TrainingConfig#timeLimit).
      return new TrainingConfig(localEpochs, batchSize, new OptimizerConfig(OptimizerConfig.parseKind(optimizer), lr, momentum),
          roundTimeout);
    } catch (IllegalArgumentException e) {
      throw namingTheFlag(e);
    }
  }

  /**
   * The words csfl-core's checks use for the values these flags give: a refusal then names the
   * flag, and so where its value came from (a {@code CSFL_*} variable or the config file), instead
   * of leaving the user to guess which flag "batch size" is.
   */
  private static final Map<String, String> FLAGS_BY_CORE_WORDS = Map.of("local epochs", "--local-epochs", "batch size", "--batch-size",
      "learning rate", "--lr", "momentum", "--momentum", "server rate (eta)", "--server-rate", "warm-up rounds", "--warmup-rounds",
      "downlink history", "--downlink-history", "drop and straggler rates", "--drop-rate and --straggler-rate");

  /** {@code refusal} from csfl-core with the flag named in place of core's words for it; itself if it names no such value. */
  static IllegalArgumentException namingTheFlag(IllegalArgumentException refusal) {
    String message = String.valueOf(refusal.getMessage());
    return FLAGS_BY_CORE_WORDS.entrySet().stream().filter(e -> message.startsWith(e.getKey() + " ")).findFirst()
        .map(e -> new IllegalArgumentException(e.getValue() + message.substring(e.getKey().length()), refusal)).orElse(refusal);
  }

  List<FederatedStrategy> strategies() {
    CsOptions cs;
    try {
      cs = new CsOptions(sparsity, sparsityEnd == null ? sparsity : sparsityEnd, serverRate, warmupRounds, downlinkHistory);
    } catch (IllegalArgumentException e) {
      throw namingTheFlag(e);
    }
    StrategyParams params = new StrategyParams(cs, density, uplinkDensity);
    RobustAggregation robust = aggregation();
    Pruner masks = pruner();
    return algorithms.stream().map(a -> Strategies.byName(a, params).withAggregation(robust).withPruner(masks)).toList();
  }

  Pruner pruner() {
    return switch (pruner) {
      case "per-tensor" -> new MagnitudePruner();
      case "global" -> new GlobalMagnitudePruner();
      default -> throw new IllegalArgumentException("--pruner must be per-tensor or global, got '" + pruner + "'");
    };
  }

  RobustAggregation aggregation() {
    return RobustAggregation.parse(aggregation, clipNorm == null ? Double.POSITIVE_INFINITY : clipNorm);
  }

  /** The evaluator of the server, on the first --eval-examples test images. */
  io.csfl.nn.Evaluator evaluator(Dataset test) {
    return io.csfl.nn.Evaluator.of(architecture(), test.size() > evalExamples ? test.head(evalExamples) : test);
  }

  /**
   * The model every algorithm starts from: --initial-model if given, else He-initialised from
   * --seed. A file of another architecture, or not a safetensors file, is an
   * IllegalArgumentException naming the file and the fault.
   */
  Model initialModel() {
    if (initialModel == null) {
      return architecture().initialModel(seed);
    }
    io.csfl.tensor.ModelSpec spec = architecture().spec();
    try {
      // A model file, or a checkpoint (its model, as csfl evaluate reads it), checked against its digest.
      io.csfl.checkpoint.TensorFile file = io.csfl.checkpoint.SafeTensors.read(initialModel,
          Math.max(io.csfl.checkpoint.SafeTensors.maxModelFileBytes(spec), io.csfl.checkpoint.Checkpoints.maxFileBytes(spec)));
      io.csfl.checkpoint.Checkpoints.requireIntact(file, initialModel.toString());
      // Trained on CSV columns in another order or scaled otherwise, its weights would read other inputs than they learned from.
      String trainedOn = dataOptions.trainedOnRefusal(file);
      require(trainedOn == null, trainedOn);
      Model loaded = io.csfl.checkpoint.SafeTensors.toModel(io.csfl.checkpoint.Checkpoint.modelTensors(file), spec, initialModel.toString());
      zeroHiddenKernel(loaded).ifPresent(kernel -> System.err.println("csfl: WARNING: --initial-model " + initialModel + ": " + kernel
          + " is all zeros, and a hidden layer that starts at zero may never learn (with a zero bias its ReLU outputs 0 and passes"
          + " no gradient); start from a trained model or leave --initial-model out for a seeded one"));
      return loaded;
    } catch (io.csfl.checkpoint.TensorFileException e) {
      throw new IllegalArgumentException("--initial-model: " + e.getMessage() + " (--model is " + model + ")");
    } catch (IllegalArgumentException e) {
      // The values themselves (a NaN, say): the file's tensors fit, so name the file.
      throw new IllegalArgumentException("--initial-model " + initialModel + ": " + e.getMessage(), e);
    }
  }

  /**
   * The first kernel of {@code model} before its last one whose values are all zero: such a layer
   * with a zero bias outputs zeros, where ReLU passes no gradient, so neither it nor the layers
   * after it learn from the data, and a run from it trains silently for nothing. A zero last layer
   * learns (its input is not zero), as does a one-layer model.
   */
  static Optional<String> zeroHiddenKernel(Model model) {
    List<Integer> kernels = new ArrayList<>();
    for (int t = 0; t < model.spec().tensors().size(); t++) {
      if (model.spec().tensors().get(t).prunable()) {
        kernels.add(t);
      }
    }
    for (int k = 0; k < kernels.size() - 1; k++) {
      Values values = model.tensor(kernels.get(k));
      boolean zero = true;
      for (int i = 0; i < values.length() && zero; i++) {
        zero = values.get(i) == 0f;
      }
      if (zero) {
        return Optional.of(model.spec().tensors().get(kernels.get(k)).name());
      }
    }
    return Optional.empty();
  }

  /** The --engine; an IllegalArgumentException in one line when it is not on the class path. */
  TrainingEngine trainingEngine() {
    return TrainingEngine.named(engine);
  }

  /** The clients' trainer: the --model trained on the --engine. */
  LocalTrainer trainer() {
    Dataset train = data().train();
    return trainingEngine().trainer(architecture(), train.shape(), train.classes(), training());
  }

  /**
   * @param dataSignature       what a client's handshake must carry ({@link #clientSignature})
   * @param aggregatorSignature what an aggregator must describe itself as ({@link #aggregatorSignature})
   * @param parts               the partition of the training data ({@link #split}): a client must declare its share's size
   */
  Server.Settings serverSettings(int minClients, String dataSignature, String aggregatorSignature, List<int[]> parts) {
    return Server.Settings.builder(strategies().get(0).name()).rounds(rounds).clientsPerRound(perRound)
        .roundTimeout(roundTimeout).minCompleted(minCompleted).maxAttempts(3).seed(seed).minClients(minClients)
        .dataSignature(dataSignature).aggregatorSignature(aggregatorSignature).overSelect(overSelect).clients(clients)
        .examplesPerClient(parts.stream().mapToInt(p -> p.length).toArray()).aggregatorGrace(aggregatorGrace)
        .clientGrace(clientGrace).build();
  }

  /**
   * The flags that a federation whose sites keep their own data cannot take: the data and the
   * clients' count must be named, and nothing may make one site's features mean other things
   * than another's.
   */
  private void requirePrivateDataFlags() {
    require(clientsOption != null, "--private-data needs --clients N, the clients of all sites together, which no site's data tell");
    require(!dataOptions.generated(), "--private-data: --dataset " + dataOptions.dataset.trim()
        + " is generated alike on every node; give each site its own file (csv:FILE or idx:DIR)");
    require(!dataOptions.dataset.trim().equals("fashion-mnist"), "--private-data: --dataset fashion-mnist (the default) is the"
        + " same public data on every node; give each site its own file (csv:FILE or idx:DIR)");
    require(!dataOptions.standardize, "--private-data: --standardize would scale each site's features by its own statistics,"
        + " so that one value meant different things at different sites; standardize the files alike before");
    require(!dataOptions.csv() || dataOptions.classes != null, "--private-data with --dataset csv:FILE needs --classes N:"
        + " a site's file may lack a class, and every site's model needs one output per class (idx:DIR takes it too)");
    require(partitionOption == null || !Partitioner.parse(partitionOption).spec().equals(Partitioner.NATURAL),
        "--private-data: --partition natural cannot be used; a site's clients share its file by iid, shards:K or dirichlet:ALPHA");
  }

  /** The partition and client count the data imply when the flags leave them out. */
  private void resolveForData(Splits d) {
    Dataset train = d.train();
    if (privateData) {
      // A site's clients share its file alike, unless told otherwise: the sites differ already.
      partition = partitionOption != null ? partitionOption : "iid";
      clients = clientsOption;
      return;
    }
    partition = partitionOption != null ? partitionOption : train.hasGroups() ? Partitioner.NATURAL : "dirichlet:0.5";
    boolean natural = Partitioner.parse(partition).spec().equals(Partitioner.NATURAL);
    require(!natural || train.hasGroups(), "--partition natural needs data with groups: " + train.name()
        + " has none (give a CSV file a --group-column)");
    clients = clientsOption != null ? clientsOption : natural ? train.groupCount() : 100;
    require(!natural || clients == train.groupCount(), "--partition natural makes one client per group, and " + train.name()
        + " has " + train.groupCount() + ": leave out --clients or give --clients " + train.groupCount());
  }

  /**
   * Starts the kernels' warm-up ({@link KernelWarmUp}) for the --model and the training flags, once
   * in all: as soon as the flags are checked when the data are Fashion-MNIST, whose shape the
   * presets assume, else once the data are read; a later call does nothing. Not for the PyTorch
   * engine, whose kernels are native. {@link #stopKernelWarmUp()} ends it with the run, and the JVM
   * property {@code csfl.kernel-warm-up=false} turns it off, for measuring what it saves.
   */
  void startKernelWarmUp() {
    if (kernelWarmUp != null || !trainingEngine().name().equals(TrainingEngine.JAVA)
        || !Boolean.parseBoolean(System.getProperty("csfl.kernel-warm-up", "true"))) {
      return;
    }
    Architecture architecture;
    if (data != null) {
      architecture = architecture();
    } else if (dataOptions.dataset.trim().equals("fashion-mnist")) {
      try {
        architecture = Architecture.byName(modelText("--model", model));
      } catch (IllegalArgumentException e) {
        return; // the run's own check says what is wrong with the model
      }
    } else {
      return;
    }
    kernelWarmUp = KernelWarmUp.start(architecture, training(), KERNEL_WARM_UP_LIMIT);
  }

  /** Stops the warm-up {@link #startKernelWarmUp()} started, for a run that ends: it stops by itself when training starts. */
  void stopKernelWarmUp() {
    if (kernelWarmUp != null) {
      kernelWarmUp.stop();
    }
  }

  /** The training and test sets --dataset names, loaded once. */
  Splits data() {
    if (data == null) {
      data = loading == null ? dataOptions.load(seed) : loaded(loading);
    }
    return data;
  }

  /**
   * Starts reading the data on a thread of its own, when they are an IDX file set (Fashion-MNIST,
   * idx:DIR: reading files, nothing the flags could make costly); {@link #data()} takes the result.
   * Decompressing Fashion-MNIST is a CPU's work for about a second, which then overlaps the flag
   * checks and the start of the kernels on another core. Bad flags are still reported first: the
   * load's error, if any, comes out of {@link #data()}.
   */
  void startLoadingData() {
    if (loading == null && data == null && (dataOptions.kind().equals("fashion-mnist") || dataOptions.idx())) {
      // A daemon thread of its own, kept to be interrupted: the load must not hold the JVM open after a bad flag.
      loading = CompletableFuture.supplyAsync(() -> dataOptions.load(seed), task -> {
        reader = new Thread(task, "csfl-data-load");
        reader.setDaemon(true);
        reader.start();
      });
    }
  }

  /**
   * Stops the load {@link #startLoadingData()} started, when the run will not start (a flag is
   * wrong): the files are read through interruptible channels, so the reader stops soon.
   */
  void stopLoadingData() {
    if (reader != null) {
      reader.interrupt();
    }
  }

  /** What the load started by {@link #startLoadingData()} read, or the error it threw, as it threw it. */
  private static Splits loaded(CompletableFuture<Splits> loading) {
    try {
      return loading.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  List<int[]> split(Dataset train) {
    return Partitioner.parse(partition).split(train, clients, new Random(seed));
  }

  /**
   * With {@link #privateData}, the shares of this site's {@code train} of the clients {@code from}
   * to {@code to} that it hosts, in that order, by --partition; an IllegalArgumentException when
   * a client would get no example.
   */
  List<int[]> siteShares(Dataset train, int from, int to) {
    int hosted = to - from + 1;
    String tooFew = "--private-data: " + dataOptions.dataset.trim() + " has " + train.size() + " training examples, too few for"
        + " --partition " + partition + " to share among the " + hosted + " clients this node hosts (--client-ids);"
        + " host fewer clients here or give the site more data";
    List<int[]> shares;
    try {
      shares = Partitioner.parse(partition).split(train, hosted, new Random(seed + from));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(tooFew + " (" + e.getMessage() + ")", e);
    }
    require(shares.stream().allMatch(s -> s.length > 0), tooFew);
    return shares;
  }

  /**
   * What two nodes must agree on to derive the same clients' data; with {@link #privateData},
   * what every site's data must have in common (their schema) instead of the data themselves.
   */
  String dataSignature(Dataset train) {
    if (privateData) {
      // How a site shares its data among its clients is its own affair.
      return "private-data " + dataOptions.schema(train) + " clients=" + clients + " seed=" + seed;
    }
    return io.csfl.internal.data.DataIdentity.of(train) + " clients=" + clients + " partition="
        + Partitioner.parse(partition).spec() + " seed=" + seed;
  }

  /** Layer lists longer than this are named in a client's signature by their start and a hash. */
  private static final int MODEL_NAME_IN_SIGNATURE = 64;

  /**
   * What a client node must agree on with the server for its clients to be taken on: the data
   * signature, and the flags that decide how a client trains and what it sends back (model,
   * algorithm and its client-side parameters, local training). A client node given another
   * {@code --lr} or {@code --local-epochs} would otherwise train its clients its own way, and
   * nothing would show it. Space-separated words, so that a refusal can name the ones that differ.
   */
  String clientSignature(Dataset train) {
    return dataSignature(train) + " model=" + modelInSignature() + " algorithm=" + algorithmsInSignature()
        + " sparsity=" + sparsity + " density=" + density + " uplink-density=" + uplinkDensity + " optimizer=" + optimizer
        + " lr=" + lr + " momentum=" + momentum + " local-epochs=" + localEpochs + " batch-size=" + batchSize;
  }

  /** The --algorithm as one word of a signature, by the strategies' own names (CS and cs are one). */
  private String algorithmsInSignature() {
    return strategies().stream().map(FederatedStrategy::name).collect(java.util.stream.Collectors.joining(","));
  }

  /** The --model as one word of a signature: a long layer list by its start and a hash. */
  private String modelInSignature() {
    String model = architecture().name();
    if (model.length() > MODEL_NAME_IN_SIGNATURE) {
      model = model.substring(0, MODEL_NAME_IN_SIGNATURE - 16) + "...#" + Integer.toHexString(model.hashCode());
    }
    return model.replace(' ', ',');
  }

  /**
   * What an aggregator node must agree on with the server for the server to use its aggregator:
   * the model and the model it starts from ({@code initial}, by a checksum of its values: --seed or
   * --initial-model), the rounds (a sparsity schedule spans them), and the flags that decide how
   * updates are combined and the model pruned. An aggregator node given another --server-rate or
   * --aggregation would otherwise aggregate its own way, and nothing would show it.
   */
  String aggregatorSignature(Model initial) {
    // As parsed, so that spellings of one rule (trimmed-mean:0.1 and :0.10) agree.
    RobustAggregation robust = aggregation();
    String rule = new RobustAggregation(robust.rule(), robust.trim(), Double.POSITIVE_INFINITY).toString();
    return "model=" + modelInSignature() + " initial=" + checksum(initial) + " rounds=" + rounds
        + " algorithm=" + algorithmsInSignature() + " sparsity=" + sparsity
        + " sparsity-end=" + (sparsityEnd == null ? sparsity : sparsityEnd) + " server-rate=" + serverRate
        + " warmup-rounds=" + warmupRounds + " downlink-history=" + downlinkHistory + " pruner=" + pruner
        + " density=" + density + " uplink-density=" + uplinkDensity + " aggregation=" + rule
        + " clip-norm=" + (robust.clips() ? String.valueOf(robust.clipNorm()) : "none");
  }

  /** A CRC-32 of {@code model}'s values, in hex: two nodes' initial models compared in eight characters. */
  static String checksum(Model model) {
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    for (float[] values : model.toArrays()) {
      java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(values.length * Float.BYTES);
      bytes.asFloatBuffer().put(values);
      crc.update(bytes.array());
    }
    return String.format("%08x", crc.getValue());
  }

  static String clientId(int index) {
    return io.csfl.cluster.ClientsHost.clientId(index);
  }
}
