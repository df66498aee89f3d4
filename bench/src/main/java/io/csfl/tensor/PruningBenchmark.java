package io.csfl.tensor;

import io.csfl.nn.Architecture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Magnitude pruning of every weight kernel of the cnn (1,662,752 of its 1,663,370 parameters) at
 * sparsity 0.9, as CS prunes its model each round: by the radix select in use, and by the sort
 * it replaced (the two give the same masks; MagnitudePruningTest checks it). One operation prunes
 * the whole model. In package io.csfl.tensor because the sort-based baseline is package-private.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx1g"})
@State(Scope.Thread)
public class PruningBenchmark {
  private static final double SPARSITY = 0.9;
  private float[][] kernels;

  @Setup
  public void setUp() {
    Model model = Architecture.cnn().initialModel(1);
    ModelSpec spec = model.spec();
    kernels = java.util.stream.IntStream.range(0, spec.tensorCount()).filter(t -> spec.tensor(t).prunable())
        .mapToObj(t -> model.tensor(t).toArray()).toArray(float[][]::new);
  }

  @Benchmark
  public void radixSelect(Blackhole out) {
    for (float[] k : kernels) {
      out.consume(MagnitudePruning.topMagnitude(k, MagnitudePruning.keptCount(k.length, SPARSITY)));
    }
  }

  @Benchmark
  public void sort(Blackhole out) {
    for (float[] k : kernels) {
      out.consume(SortedMagnitudePruning.topMagnitude(k, MagnitudePruning.keptCount(k.length, SPARSITY)));
    }
  }
}
