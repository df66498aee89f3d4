package io.csfl.bench;

import io.csfl.internal.data.Shuffle;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Two builds of CSFL in one JVM, each in its own class loader, training a model on the same
 * batches in alternating steps. On a shared machine whose speed drifts by tens of percent from
 * minute to minute, separate benchmark runs cannot show a 10% change; paired steps can, because
 * both builds see the same drift. The order within a pair alternates too. Both builds must
 * compute the same thing, so the loss of every step is compared: a kernel change that alters
 * results is reported as such.
 */
@Command(name = "paired-steps", mixinStandardHelpOptions = true,
    description = "Compares the training step of two CSFL jars (e.g. csfl.jar of two commits), step by step.")
public final class PairedSteps implements Callable<Integer> {
  private static final int BATCH = 64;

  @Option(names = "--baseline", required = true, description = "jar of the build to compare against (a fat csfl.jar)")
  Path baseline;

  @Option(names = "--candidate", required = true, description = "jar of the build under test")
  Path candidate;

  @Option(names = "--model", defaultValue = "mlp", description = "mlp or cnn (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--lr", defaultValue = "0.01", description = "the optimiser's learning rate; 0.01 is the paper's for Adam (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--optimizer", defaultValue = "adam", description = "adam or sgd (plain, no momentum) (default: ${DEFAULT-VALUE})")
  String optimizer;

  @Option(names = "--warmup", defaultValue = "500", description = "steps per build before timing (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--steps", defaultValue = "3000", description = "timed steps per build (default: ${DEFAULT-VALUE})")
  int steps;

  /** One build: its own classes, network, optimiser and data, driven through the public API. */
  private static final class Build {
    private final Object train;
    private final Object network;
    private final Object optimizer;
    private final Method fill;
    private final Method trainBatch;
    private final float[] input;
    private final int[] labels;
    private final int trainingImages;

    Build(Path jar, String model, String optimizerName, double lr) throws Exception {
      ClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
      Object splits = loader.loadClass("io.csfl.data.FashionMnist").getMethod("load", Optional.class).invoke(null, Optional.empty());
      train = splits.getClass().getMethod("train").invoke(splits);
      Class<?> architectureClass = loader.loadClass("io.csfl.nn.Architecture");
      Object architecture = architectureClass.getMethod("byName", String.class).invoke(null, model);
      network = accessible(architectureClass.getDeclaredMethod("newNetwork", int.class)).invoke(architecture, BATCH);
      Object initial = architectureClass.getMethod("initialModel", long.class).invoke(architecture, 1L);
      Class<?> networkClass = network.getClass();
      accessible(networkClass.getMethod("load", loader.loadClass("io.csfl.tensor.Model"))).invoke(network, initial);
      Class<?> configClass = loader.loadClass("io.csfl.nn.OptimizerConfig");
      Object config = "sgd".equals(optimizerName)
          ? configClass.getMethod("sgd", double.class, double.class).invoke(null, lr, 0.0)
          : configClass.getMethod("adam", double.class).invoke(null, lr);
      optimizer = accessible(config.getClass().getDeclaredMethod("create")).invoke(config);
      fill = train.getClass().getMethod("fill", int[].class, int.class, int.class, float[].class, int[].class);
      trainBatch = accessible(networkClass.getMethod("trainBatch", int.class, loader.loadClass("io.csfl.nn.Optimizer")));
      input = (float[]) accessible(networkClass.getMethod("inputBuffer")).invoke(network);
      labels = (int[]) accessible(networkClass.getMethod("labelBuffer")).invoke(network);
      trainingImages = (int) train.getClass().getMethod("size").invoke(train);
    }

    /** The network and optimizer are internal to csfl-core's nn package: reach them as its own tests do. */
    private static Method accessible(Method m) {
      m.setAccessible(true);
      return m;
    }

    /** One step on {@code order[from..from+64)}: its loss, and its duration in ns in {@code took[at]}. */
    double step(int[] order, int from, long[] took, int at) throws Exception {
      long start = System.nanoTime();
      fill.invoke(train, order, from, BATCH, input, labels);
      double loss = (double) trainBatch.invoke(network, BATCH, optimizer);
      took[at] = System.nanoTime() - start;
      return loss;
    }
  }

  @Override
  public Integer call() throws Exception {
    for (Path jar : new Path[] {baseline, candidate}) {
      if (!Files.isRegularFile(jar)) {
        System.err.println("paired-steps: no such jar: " + jar);
        return 2;
      }
    }
    if (!"adam".equals(optimizer) && !"sgd".equals(optimizer)) {
      System.err.println("paired-steps: --optimizer must be adam or sgd, got " + optimizer);
      return 2;
    }
    Build base = new Build(baseline, model, optimizer, lr);
    Build cand = new Build(candidate, model, optimizer, lr);
    int[] order = java.util.stream.IntStream.range(0, base.trainingImages).toArray();
    Random shuffle = new Random(1);
    long[] baseNs = new long[steps];
    long[] candNs = new long[steps];
    int differing = 0;
    int firstDifference = -1;
    int total = warmup + steps;
    int from = order.length;
    for (int s = 0; s < total; s++) {
      if (from + BATCH > order.length) {
        Shuffle.inPlace(order, shuffle);
        from = 0;
      }
      int at = Math.max(0, s - warmup);
      double lossBase;
      double lossCand;
      if (s % 2 == 0) {
        lossBase = base.step(order, from, baseNs, at);
        lossCand = cand.step(order, from, candNs, at);
      } else {
        lossCand = cand.step(order, from, candNs, at);
        lossBase = base.step(order, from, baseNs, at);
      }
      from += BATCH;
      if (Double.doubleToLongBits(lossBase) != Double.doubleToLongBits(lossCand)) {
        differing++;
        firstDifference = firstDifference < 0 ? s : firstDifference;
      }
      if ((s + 1) % 100 == 0) {
        System.err.printf(Locale.ROOT, "step %d/%d%n", s + 1, total);
      }
    }
    double[] ratios = new double[steps];
    for (int i = 0; i < steps; i++) {
      ratios[i] = (double) candNs[i] / baseNs[i];
    }
    System.out.printf(Locale.ROOT, "%s, batch %d, %s %s, %d timed steps per build after %d warm-up steps; samples/s%n",
        model, BATCH, "sgd".equals(optimizer) ? "SGD" : "Adam", lr, steps, warmup);
    System.out.println("| build | median step | samples/s at the median | samples/s at the fastest 10% |");
    System.out.println("|---|---:|---:|---:|");
    row("baseline " + baseline.getFileName(), baseNs);
    row("candidate " + candidate.getFileName(), candNs);
    double[] interval = bootstrapMedian(ratios, new Random(7));
    System.out.printf(Locale.ROOT, "candidate/baseline step time, median of paired ratios: %.3f (95%% bootstrap interval %.3f-%.3f)%n",
        median(ratios), interval[0], interval[1]);
    System.out.println(differing == 0
        ? "losses identical to the bit in all " + total + " steps"
        : "losses differ in " + differing + " of " + total + " steps (first at step " + firstDifference + ")");
    return 0;
  }

  private static void row(String name, long[] ns) {
    long[] sorted = ns.clone();
    Arrays.sort(sorted);
    double med = sorted[sorted.length / 2];
    double fast = sorted[sorted.length / 10];
    System.out.printf(Locale.ROOT, "| %s | %.0f us | %,.0f | %,.0f |%n", name, med / 1e3, BATCH * 1e9 / med, BATCH * 1e9 / fast);
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static double[] bootstrapMedian(double[] values, Random rng) {
    double[] medians = new double[1000];
    double[] sample = new double[values.length];
    for (int b = 0; b < medians.length; b++) {
      for (int i = 0; i < sample.length; i++) {
        sample[i] = values[rng.nextInt(values.length)];
      }
      medians[b] = median(sample);
    }
    Arrays.sort(medians);
    return new double[] {medians[25], medians[974]};
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new PairedSteps()).execute(args));
  }
}
