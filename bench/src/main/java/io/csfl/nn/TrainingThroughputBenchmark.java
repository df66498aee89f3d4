package io.csfl.nn;

import io.csfl.data.Dataset;
import io.csfl.data.FashionMnist;
import io.csfl.internal.data.Shuffle;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Local training throughput on real Fashion-MNIST, one thread: each invocation is one optimiser
 * step (Adam unless {@code -p optimizer=sgd}) on the next batch of 64 of a shuffled epoch, so the
 * score (ops/s with 64 operations per invocation) is samples per second. The SIMD kernel and the scalar fallback run side by side in
 * one run, in separate forks (the fallback's fork lacks the incubator module).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Threads(1)
@State(Scope.Thread)
public class TrainingThroughputBenchmark {
  private static final int BATCH = 64;

  @Param({"mlp", "cnn"})
  public String model;

  /**
   * The kernels skip zeros, so speed depends on how many units are active. At the paper's Adam
   * 0.01 many ReLUs of the mlp go quiet after a few hundred steps (their gradients are mostly 0);
   * at 0.001 most stay active. Both are shown so neither regime is hidden.
   */
  @Param({"0.01", "0.001"})
  public double lr;

  /**
   * {@code adam} (Keras' defaults) or {@code sgd} (plain, no momentum): SGD's step is far cheaper
   * than Adam's, so it shows how much of a step the optimiser takes. Only Adam runs by default.
   */
  @Param({"adam"})
  public String optimizer;

  private Dataset train;
  private Network network;
  private Optimizer optimiser;
  private int[] order;
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    train = FashionMnist.load(Optional.empty()).train();
    Architecture architecture = Architecture.byName(model);
    network = architecture.newNetwork(BATCH);
    network.load(architecture.initialModel(1));
    optimiser = new OptimizerConfig(OptimizerConfig.parseKind(optimizer), lr, 0).create();
    order = java.util.stream.IntStream.range(0, train.size()).toArray();
    Shuffle.inPlace(order, new Random(1));
    System.out.println("\nkernel: " + NetworkTrainer.kernel());
  }

  private double step() {
    if (next + BATCH > order.length) {
      next = 0;
    }
    train.fill(order, next, BATCH, network.inputBuffer(), network.labelBuffer());
    next += BATCH;
    return network.trainBatch(BATCH, optimiser);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
  public double simd() {
    return step();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  @Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
  public double scalar() {
    return step();
  }
}
