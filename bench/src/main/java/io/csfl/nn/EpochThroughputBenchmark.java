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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One epoch of the mlp on the 60,000 Fashion-MNIST training images, batch 64, Adam 0.01, one
 * thread, each invocation from the same initial model and a fresh optimiser: the throughput a
 * client starting a round sees, early dense phase included (unlike {@link TrainingThroughputBenchmark},
 * which trains on and on). The score is samples/s.
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

  private Dataset train;
  private Architecture mlp;
  private Network network;
  private Optimizer optimizer;
  private int[] order;

  @Setup(Level.Trial)
  public void loadData() {
    train = FashionMnist.load(Optional.empty()).train();
    mlp = Architecture.mlp();
    network = mlp.newNetwork(BATCH);
    order = java.util.stream.IntStream.range(0, train.size()).toArray();
    Shuffle.inPlace(order, new Random(1));
  }

  @Setup(Level.Invocation)
  public void startOver() {
    network.load(mlp.initialModel(1));
    optimizer = OptimizerConfig.adam(0.01).create();
  }

  private double epoch() {
    double loss = 0;
    for (int from = 0; from + BATCH <= SAMPLES; from += BATCH) {
      train.fill(order, from, BATCH, network.inputBuffer(), network.labelBuffer());
      loss += network.trainBatch(BATCH, optimizer);
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
