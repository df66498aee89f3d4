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
 * One epoch of the mlp on the 60,000 Fashion-MNIST training images, batch 64, Adam 0.01 (or
 * {@code -p lr=...}, {@code -p optimizer=sgd}), one thread, each invocation from the same initial
 * model and a fresh optimiser: the throughput a client starting a round sees, early dense phase
 * included (unlike {@link TrainingThroughputBenchmark}, which trains on and on). The score is
 * samples/s.
 */
@State(Scope.Thread)
@Threads(1)
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 5, time = 10)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EpochThroughputBenchmark {
  private static final int BATCH = 64;
  private static final int SAMPLES = 60_000;

  /**
   * The paper's 0.01 by default; at 0.001 more units stay active, so fewer zeros are skipped and
   * an epoch is slower.
   */
  @Param({"0.01"})
  public double lr;

  /** {@code adam} (Keras' defaults) or {@code sgd} (plain, no momentum). */
  @Param({"adam"})
  public String optimizer;

  private Dataset train;
  private Architecture mlp;
  private Network network;
  private OptimizerConfig config;
  private Optimizer optimiser;
  private int[] order;

  @Setup(Level.Trial)
  public void loadData() {
    train = FashionMnist.load(Optional.empty()).train();
    mlp = Architecture.mlp();
    network = mlp.newNetwork(BATCH);
    order = java.util.stream.IntStream.range(0, train.size()).toArray();
    Shuffle.inPlace(order, new Random(1));
    config = new OptimizerConfig(OptimizerConfig.parseKind(optimizer), lr, 0);
  }

  @Setup(Level.Invocation)
  public void startOver() {
    network.load(mlp.initialModel(1));
    optimiser = config.create();
  }

  private double epoch() {
    double loss = 0;
    for (int from = 0; from + BATCH <= SAMPLES; from += BATCH) {
      train.fill(order, from, BATCH, network.inputBuffer(), network.labelBuffer());
      loss += network.trainBatch(BATCH, optimiser);
    }
    return loss;
  }

  @Benchmark
  @OperationsPerInvocation(SAMPLES / BATCH * BATCH)
  @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
  public double simd() {
    return epoch();
  }

  @Benchmark
  @OperationsPerInvocation(SAMPLES / BATCH * BATCH)
  @Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
  public double scalar() {
    return epoch();
  }
}
