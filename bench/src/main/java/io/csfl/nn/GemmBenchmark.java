package io.csfl.nn;

import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * The matrix kernel alone, at a fixed density of A, so that kernel changes can be compared without
 * the drift of a training run (whose ReLU activity, and so A's density, changes as it trains).
 * The shapes are products at batch 64, (64 x k) times (k x n), such as the mlp's first two forward
 * products. One operation is 2 * 64 * n * k floating-point operations of the dense product,
 * whatever the kernel skips. In package io.csfl.nn because the kernel is package-private.
 *
 * <p>{@code kernel} picks what runs: {@code chosen} is what training runs (the blocked kernel or
 * the zero-skipping one, by A's density), {@code sparse} and {@code blocked} force one of them, to
 * see where their costs cross. A transposed A (a weight gradient's x^T, {@code -p layout=transposed})
 * is read through strides, as Dense's backward pass does.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx1g"})
@State(Scope.Thread)
public class GemmBenchmark {
  private static final int M = 64;

  @Param({"784", "200"})
  public int k;

  /** 200: the mlp's hidden width; 32: the cnn's first convolution's channels. */
  @Param({"200", "32"})
  public int n;

  @Param({"0.5", "0.9"})
  public double density;

  @Param({"chosen", "sparse", "blocked"})
  public String kernel;

  @Param({"rowMajor"})
  public String layout;

  private float[] a;
  private int aRowStride;
  private int aColStride;
  private float[] b;
  private float[] c;

  @Setup
  public void setUp() {
    Random rng = new Random(3);
    a = new float[M * k];
    for (int i = 0; i < a.length; i++) {
      a[i] = rng.nextDouble() < density ? (float) rng.nextGaussian() : 0f;
    }
    b = new float[k * n];
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) rng.nextGaussian();
    }
    c = new float[M * n];
    boolean transposed = layout.equals("transposed");
    aRowStride = transposed ? 1 : k;
    aColStride = transposed ? M : 1;
  }

  @Benchmark
  public float[] mulAdd() {
    switch (kernel) {
      case "sparse" -> VectorGemm.sparseMulAdd(M, n, k, a, 0, aRowStride, aColStride, b, 0, c, 0);
      case "blocked" -> BlockedGemm.mulAdd(M, n, k, a, 0, aRowStride, aColStride, b, 0, c, 0);
      default -> Gemm.mulAdd(M, n, k, a, 0, aRowStride, aColStride, b, 0, c, 0);
    }
    return c;
  }
}
