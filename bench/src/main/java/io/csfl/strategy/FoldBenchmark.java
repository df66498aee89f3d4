package io.csfl.strategy;

import io.csfl.nn.Architecture;
import io.csfl.tensor.ModelSpec;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The aggregator's fold: ten client updates of the mlp or the cnn added, weighted, to the double sums, as
 * {@link WeightedSum} does every round. {@code dense} updates carry every parameter (FedAvg); {@code sparse} ones
 * 10% of the positions of each tensor, drawn at random (runs of one, mostly: top-k, a CS server mask's kept values);
 * {@code complement} ones the other 90% (a CS client's complement: long runs between gaps). One operation folds all
 * ten; the setup prints how many values that reads, so GB/s = 4 x values / (ms per operation x 1e6). {@code scalar}
 * is the element-by-element loop, {@code vector} the one the aggregator runs on a JVM with the Vector API. In
 * package io.csfl.strategy because the fold is package-private.
 *
 * <p>JMH runs one benchmark after the other, so on a shared machine whose speed drifts their scores are not
 * comparable; {@link #main} alternates the two instead, operation by operation (see there).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@State(Scope.Thread)
public class FoldBenchmark {
  private static final int CLIENTS = 10;

  @Param({"mlp", "cnn"})
  public String model;

  @Param({"dense", "sparse", "complement"})
  public String updates;

  private double[][] sums;
  /** Per client and tensor: the positions (null for all) and the values. */
  private int[][][] positions;
  private float[][][] values;
  private double[] weights;

  @Setup
  public void setUp() {
    ModelSpec spec = (model.equals("cnn") ? Architecture.cnn() : Architecture.mlp()).spec();
    Random rng = new Random(1);
    int tensors = spec.tensorCount();
    sums = new double[tensors][];
    positions = new int[CLIENTS][tensors][];
    values = new float[CLIENTS][tensors][];
    weights = new double[CLIENTS];
    long read = 0;
    for (int t = 0; t < tensors; t++) {
      sums[t] = new double[spec.tensor(t).size()];
    }
    for (int c = 0; c < CLIENTS; c++) {
      weights[c] = 300 + rng.nextInt(600);
      for (int t = 0; t < tensors; t++) {
        int size = spec.tensor(t).size();
        int[] at = switch (updates) {
          case "dense" -> null;
          case "sparse" -> IntStream.range(0, size).filter(i -> rng.nextDouble() < 0.1).toArray();
          case "complement" -> IntStream.range(0, size).filter(i -> rng.nextDouble() >= 0.1).toArray();
          default -> throw new IllegalArgumentException("updates: dense, sparse or complement, got " + updates);
        };
        float[] v = new float[at == null ? size : at.length];
        for (int j = 0; j < v.length; j++) {
          v[j] = (float) (rng.nextGaussian() * 0.05);
        }
        positions[c][t] = at;
        values[c][t] = v;
        read += v.length;
      }
    }
    System.out.printf("%s %s: %,d values (%.1f MB) per operation%n", model, updates, read, read * 4 / 1e6);
  }

  @Benchmark
  public double[][] scalar() {
    return foldAll(false);
  }

  @Benchmark
  public double[][] vector() {
    return foldAll(true);
  }

  /** Folds every client's update, tensor by tensor: one operation. */
  private double[][] foldAll(boolean vector) {
    for (int c = 0; c < CLIENTS; c++) {
      for (int t = 0; t < sums.length; t++) {
        if (vector) {
          VectorFold.into(sums[t], positions[c][t], values[c][t], weights[c]);
        } else {
          Fold.scalar(sums[t], positions[c][t], values[c][t], weights[c]);
        }
      }
    }
    return sums;
  }

  /**
   * Paired runs of one model ({@code args[0]}, mlp or cnn) and kind of update ({@code args[1]}, dense, sparse or
   * complement): {@code args[2]} pairs (default 41) of one scalar and one vector operation, in alternating order,
   * after 20 of each to compile them; prints the median GB/s of each and the median of the per-pair speed-ups. One
   * case per JVM: the JIT compiles the folds for the updates they see first, and a later case in the same JVM runs
   * partly on that code (a complement's vector fold, which runs the scalar loop, measured five times slower than the
   * scalar fold after the dense cases). Run it with {@code java --add-modules jdk.incubator.vector -cp
   * bench/target/benchmarks.jar io.csfl.strategy.FoldBenchmark cnn dense}.
   */
  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: FoldBenchmark mlp|cnn dense|sparse|complement [PAIRS]");
      System.exit(2);
    }
    int pairs = args.length > 2 ? Integer.parseInt(args[2]) : 41;
    FoldBenchmark b = new FoldBenchmark();
    b.model = args[0];
    b.updates = args[1];
    b.setUp();
    long read = Arrays.stream(b.values).flatMap(Arrays::stream).mapToLong(v -> v.length).sum() * 4L;
    for (int i = 0; i < 20; i++) {
      b.scalar();
      b.vector();
    }
    double[] scalar = new double[pairs];
    double[] vector = new double[pairs];
    double[] speedUp = new double[pairs];
    for (int p = 0; p < pairs; p++) {
      boolean scalarFirst = p % 2 == 0;
      long t0 = System.nanoTime();
      if (scalarFirst) {
        b.scalar();
      } else {
        b.vector();
      }
      long t1 = System.nanoTime();
      if (scalarFirst) {
        b.vector();
      } else {
        b.scalar();
      }
      long t2 = System.nanoTime();
      scalar[p] = scalarFirst ? t1 - t0 : t2 - t1;
      vector[p] = scalarFirst ? t2 - t1 : t1 - t0;
      speedUp[p] = scalar[p] / vector[p];
    }
    System.out.printf("%s %s: scalar %.1f GB/s, vector %.1f GB/s (medians of %d pairs), median speed-up %.2f%n",
        b.model, b.updates, read / median(scalar), read / median(vector), pairs, median(speedUp));
  }

  private static double median(double[] a) {
    double[] sorted = a.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
