package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.data.Dataset;
import io.csfl.data.FashionMnist;
import io.csfl.internal.simd.SimdWarmUp;
import io.csfl.tensor.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A JVM without the Vector API runs the scalar kernels: its training must give the same losses
 * and weights, to the bit, as the SIMD kernels do on real Fashion-MNIST images.
 */
class ScalarKernelTest {
  private static Dataset train;

  @BeforeAll
  static void load() {
    assertTrue(Gemm.VECTORIZED, "surefire must start the JVM with --add-modules jdk.incubator.vector");
    Path data = Stream.iterate(Path.of("").toAbsolutePath(), p -> p != null, Path::getParent)
        .map(p -> p.resolve("data/fashion-mnist")).filter(Files::isDirectory).findFirst()
        .orElseThrow(() -> new IllegalStateException("data/fashion-mnist not found above " + Path.of("").toAbsolutePath()));
    train = FashionMnist.loadFrom(data).train();
  }

  @AfterEach
  void backToSimd() {
    Gemm.forceScalar(false);
  }

  private static TrainingResult train(Architecture architecture, TrainingConfig config, int examples, boolean scalar) {
    // The SIMD arm runs SIMD on every call: without this the kernels' warm-up would run scalar ones in it too.
    Gemm.forceScalar(scalar);
    SimdWarmUp.assumeAllWarm(!scalar);
    try {
      Model start = architecture.initialModel(7);
      return new NetworkTrainer(architecture, config).train(start, train, IntStream.range(100, 100 + examples).toArray(), 3);
    } finally {
      Gemm.forceScalar(false);
      SimdWarmUp.assumeAllWarm(false);
    }
  }

  private static void assertSameBits(Architecture architecture, TrainingConfig config, int examples) {
    TrainingResult simd = train(architecture, config, examples, false);
    TrainingResult scalar = train(architecture, config, examples, true);
    String what = architecture.name() + " " + config;
    assertEquals(Double.doubleToRawLongBits(simd.meanLoss()), Double.doubleToRawLongBits(scalar.meanLoss()),
        what + ": mean loss " + simd.meanLoss() + " (SIMD) vs " + scalar.meanLoss() + " (scalar)");
    float[][] expected = simd.model().toArrays();
    float[][] actual = scalar.model().toArrays();
    for (int t = 0; t < expected.length; t++) {
      for (int i = 0; i < expected[t].length; i++) {
        int e = Float.floatToRawIntBits(expected[t][i]);
        int a = Float.floatToRawIntBits(actual[t][i]);
        if (e != a) {
          throw new AssertionError(what + ": " + architecture.spec().tensor(t).name() + "[" + i + "] is "
              + expected[t][i] + " (SIMD) but " + actual[t][i] + " (scalar)");
        }
      }
    }
    assertNotEquals(architecture.initialModel(7), simd.model(), what + ": training must move the weights");
  }

  @Test
  void mlpTrainsToTheSameBitsWithAdamAndWithMomentum() {
    // Batches of 10 and 13: outputs of 10 and 200 columns leave tails that are not whole vectors.
    assertSameBits(Architecture.mlp(), new TrainingConfig(1, 10, OptimizerConfig.adam(0.001)), 40);
    assertSameBits(Architecture.mlp(), new TrainingConfig(2, 13, OptimizerConfig.sgd(0.05, 0.9)), 39);
  }

  @Test
  void cnnTrainsToTheSameBitsWithAdam() {
    assertSameBits(Architecture.cnn(), new TrainingConfig(1, 6, OptimizerConfig.adam(0.001)), 18);
  }

  @Test
  void theStartUpLineNamesTheKernelsInUse() {
    assertTrue(NetworkTrainer.kernel().startsWith("SIMD, " + VectorGemm.S.vectorBitSize() + "-bit float vectors"), NetworkTrainer.kernel());
    Gemm.forceScalar(true);
    assertEquals("scalar (start the JVM with --add-modules jdk.incubator.vector for SIMD)", NetworkTrainer.kernel());
  }
}
