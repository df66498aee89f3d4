package io.csfl.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import io.csfl.data.Dataset;
import io.csfl.data.FashionMnist;
import io.csfl.internal.data.Shuffle;
import io.csfl.nn.Architecture;
import io.csfl.nn.Optimizer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * This engine's training throughput on real Fashion-MNIST, for {@code bench/compare}'s
 * {@code pytorch (DJL)} column: the work CSFL's JMH benchmarks time on the Java engine
 * ({@code TrainingThroughputBenchmark} and {@code EpochThroughputBenchmark} in the bench module),
 * done with {@link PyTorchTrainer}'s own training step, on the thread PyTorch is given by
 * {@link PyTorchEngine} (one intra-op and one inter-op thread unless set otherwise).
 *
 * <pre>
 * java -cp CORE:csfl-trainer-djl.jar:lib/* io.csfl.djl.TrainingThroughput \
 *     --model mlp --optimizer adam --lr 0.01 --mode steady -wi 2 -w 4s -i 5 -r 4s
 * </pre>
 *
 * <ul>
 *   <li>{@code --mode steady}: from the model's initial weights (seed 1) and one optimiser, a step
 *       on each next batch of 64 of the training set shuffled with seed 1, starting over at its end,
 *       on and on through the warm-up and the measured iterations;
 *   <li>{@code --mode epoch}: each time one epoch (the 937 whole batches of 64) from the initial
 *       model and a fresh optimiser; putting them back is not timed.
 * </ul>
 *
 * <p>The run lengths take JMH's flags: {@code -wi}/{@code -w} warm-up iterations and their time,
 * {@code -i}/{@code -r} measured iterations and theirs; an iteration goes on until its time is up.
 * As in JMH, an iteration's score is the samples it trained over the time its steps or epochs
 * took, and the result is the mean of the measured iterations. SGD is plain (no momentum), as in
 * those benchmarks. Each iteration goes to stderr, the result as one JSON line to stdout.
 */
final class TrainingThroughput {
  private static final int BATCH = 64;
  private static final String USAGE = "usage: TrainingThroughput [--model mlp|cnn|...] [--optimizer adam|sgd] [--lr X] "
      + "[--mode steady|epoch] [-wi N] [-w TIME] [-i N] [-r TIME]   (TIME: 4s, 500ms)";

  private final String model;
  private final String optimizer;
  private final double lr;
  /** The benchmarks' optimiser: SGD is plain, without momentum. */
  private final OptimizerConfig config;
  private final boolean epochs;
  private final int warmups;
  private final long warmupNanos;
  private final int iterations;
  private final long iterationNanos;

  private Architecture architecture;
  private PyTorchTrainer trainer;
  private Dataset train;
  private int[] order;
  private float[][] params;
  /** No pruned weights: the trainer's step keeps none at zero. */
  private float[][] unmasked;
  private Optimizer optimiser;
  private int next;

  TrainingThroughput(List<String> args) {
    String model = "mlp";
    String optimizer = "adam";
    String lr = "0.01";
    String mode = "steady";
    String wi = "2";
    String w = "4s";
    String i = "5";
    String r = "4s";
    for (int a = 0; a < args.size(); a += 2) {
      if (a + 1 >= args.size()) {
        throw new IllegalArgumentException("no value after " + args.get(a));
      }
      String value = args.get(a + 1);
      switch (args.get(a)) {
        case "--model" -> model = value;
        case "--optimizer" -> optimizer = value;
        case "--lr" -> lr = value;
        case "--mode" -> mode = value;
        case "-wi" -> wi = value;
        case "-w" -> w = value;
        case "-i" -> i = value;
        case "-r" -> r = value;
        default -> throw new IllegalArgumentException("unknown option " + args.get(a));
      }
    }
    if (!mode.equals("steady") && !mode.equals("epoch")) {
      throw new IllegalArgumentException("--mode is steady or epoch, got " + mode);
    }
    // Checked here, so that a typo fails before PyTorch and the data load.
    Architecture.byName(model);
    this.model = model;
    this.optimizer = optimizer;
    this.lr = Double.parseDouble(lr);
    this.config = new OptimizerConfig(OptimizerConfig.parseKind(optimizer), this.lr, 0);
    this.epochs = mode.equals("epoch");
    this.warmups = count("-wi", wi, 0);
    this.warmupNanos = nanos(w);
    this.iterations = count("-i", i, 1);
    this.iterationNanos = nanos(r);
  }

  private static int count(String flag, String value, int least) {
    int n = Integer.parseInt(value);
    if (n < least) {
      throw new IllegalArgumentException(flag + " must be at least " + least + ", got " + n);
    }
    return n;
  }

  /** A JMH time value: a positive number of s or ms. */
  static long nanos(String time) {
    var m = java.util.regex.Pattern.compile("(\\d+)\\s*(s|ms)").matcher(time.trim());
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new IllegalArgumentException("a time is a positive whole number of s or ms, such as 4s, got " + time);
    }
    return Long.parseLong(m.group(1)) * (m.group(2).equals("s") ? 1_000_000_000L : 1_000_000L);
  }

  public static void main(String[] args) {
    TrainingThroughput run;
    try {
      run = new TrainingThroughput(List.of(args));
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    System.out.println(run.measure());
  }

  /** Runs the warm-up and the measured iterations; the result line. */
  String measure() {
    train = FashionMnist.load(Optional.empty()).train();
    architecture = Architecture.byName(model, train.shape(), train.classes());
    trainer = new PyTorchTrainer(architecture, train.shape(), train.classes(), new TrainingConfig(1, BATCH, config));
    unmasked = new float[trainer.spec().tensorCount()][];
    order = IntStream.range(0, train.size()).toArray();
    Shuffle.inPlace(order, new Random(1));
    Loss loss = new SoftmaxCrossEntropyLoss();
    float[] x = new float[BATCH * train.features()];
    int[] y = new int[BATCH];
    List<Double> scores = new ArrayList<>();
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), PyTorchEngine.DJL_ENGINE)) {
      startOver();
      for (int n = 1; n <= warmups + iterations; n++) {
        boolean warmup = n <= warmups;
        double score = epochs
            ? epochIteration(manager, loss, x, y, warmup ? warmupNanos : iterationNanos)
            : steadyIteration(manager, loss, x, y, warmup ? warmupNanos : iterationNanos);
        System.err.printf(Locale.ROOT, "%s iteration %d: %.1f samples/s%n", warmup ? "warm-up" : "measured",
            warmup ? n : n - warmups, score);
        if (!warmup) {
          scores.add(score);
        }
      }
    }
    double mean = scores.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    return String.format(Locale.ROOT, "{\"engine\": \"%s\", \"model\": \"%s\", \"optimizer\": \"%s\", \"lr\": %s, "
        + "\"batch\": %d, \"mode\": \"%s\", \"samples_per_s\": %.3f, \"iterations\": [%s], "
        + "\"pytorch\": \"%s\", \"intra_op_threads\": %d, \"inter_op_threads\": %d}", PyTorchEngine.NAME, model,
        optimizer, lr, BATCH,
        epochs ? "epoch" : "steady", mean,
        scores.stream().map(s -> String.format(Locale.ROOT, "%.3f", s)).collect(Collectors.joining(", ")),
        Engine.getEngine(PyTorchEngine.DJL_ENGINE).getVersion(), JniUtils.getNumThreads(),
        JniUtils.getNumInteropThreads());
  }

  /** The initial model (seed 1, as the JMH benchmarks) and a fresh optimiser. */
  private void startOver() {
    params = trainer.load(architecture.initialModel(1));
    optimiser = config.create();
  }

  private double step(NDManager manager, Loss loss, float[] x, int[] y) {
    train.fill(order, next, BATCH, x, y);
    next += BATCH;
    return trainer.step(manager, params, unmasked, optimiser, loss, x, y, BATCH);
  }

  /** Steps on and on for {@code nanos}; samples per second. */
  private double steadyIteration(NDManager manager, Loss loss, float[] x, int[] y, long nanos) {
    long samples = 0;
    long start = System.nanoTime();
    long elapsed;
    do {
      if (next + BATCH > order.length) {
        next = 0;
      }
      step(manager, loss, x, y);
      samples += BATCH;
      elapsed = System.nanoTime() - start;
    } while (elapsed < nanos);
    return samples * 1e9 / elapsed;
  }

  /** Whole epochs from the initial model until {@code nanos} have passed; samples per second of the epochs' time. */
  private double epochIteration(NDManager manager, Loss loss, float[] x, int[] y, long nanos) {
    long samples = 0;
    long timed = 0;
    long start = System.nanoTime();
    do {
      startOver();
      long epochStart = System.nanoTime();
      for (next = 0; next + BATCH <= order.length; ) {
        step(manager, loss, x, y);
        samples += BATCH;
      }
      timed += System.nanoTime() - epochStart;
    } while (System.nanoTime() - start < nanos);
    return samples * 1e9 / timed;
  }
}
