package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.csfl.data.Dataset;
import io.csfl.data.RandomImages;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * When the kernels' warm-up stops: at the first real training, at stop(), at its time limit; and
 * a training beside it gives the same bits. The warm-ups here are given a patience as long as their
 * limit, so that nothing but the event under test can end them.
 */
class KernelWarmUpTest {
  private static final Duration LONG = Duration.ofMinutes(10);
  private static final Duration END = Duration.ofSeconds(60);
  private static final TrainingConfig SGD = new TrainingConfig(1, 8, OptimizerConfig.sgd(0.05, 0));

  @BeforeEach
  void needsTheVectorApi() {
    assumeTrue(Gemm.simd(), "the warm-up runs only where there are SIMD kernels to compile");
  }

  @Test
  void theFirstTrainingAfterItsStartStopsIt() throws InterruptedException {
    KernelWarmUp warmUp = KernelWarmUp.start(Architecture.mlp(), SGD, LONG, LONG);
    assertTrue(warmUp.started());
    Thread.sleep(200);
    assertTrue(warmUp.running(), "nothing has stopped it yet");
    Dataset data = RandomImages.of(8, 3);
    new NetworkTrainer(Architecture.mlp(), SGD).train(Architecture.mlp().initialModel(1), data, new int[] {0, 1, 2, 3}, 1);
    assertTrue(warmUp.awaitEnd(END), "a training started, so the warm-up stops after its current step");
  }

  @Test
  void stopEndsIt() throws InterruptedException {
    KernelWarmUp warmUp = KernelWarmUp.start(Architecture.logreg(784, 10), SGD, LONG, LONG);
    Thread.sleep(200);
    assertTrue(warmUp.running());
    warmUp.stop();
    assertTrue(warmUp.awaitEnd(END));
  }

  @Test
  void itEndsAtItsLimit() throws InterruptedException {
    KernelWarmUp warmUp = KernelWarmUp.start(Architecture.logreg(784, 10), SGD, Duration.ofMillis(300), LONG);
    assertTrue(warmUp.awaitEnd(END), "300 ms, then the step under way");
  }

  @Test
  void aZeroLimitStartsNothing() throws InterruptedException {
    KernelWarmUp warmUp = KernelWarmUp.start(Architecture.mlp(), SGD, Duration.ZERO);
    assertFalse(warmUp.started());
    assertTrue(warmUp.awaitEnd(Duration.ZERO));
  }

  @Test
  void aTrainingBesideAWarmUpGivesTheSameBits() throws InterruptedException {
    Architecture cnn = Architecture.cnn();
    TrainingConfig adam = new TrainingConfig(1, 4, OptimizerConfig.adam(0.01));
    Dataset data = RandomImages.of(8, 5);
    int[] examples = {0, 1, 2, 3, 4, 5, 6, 7};
    TrainingResult alone = new NetworkTrainer(cnn, adam).train(cnn.initialModel(3), data, examples, 4);
    // The warm-up runs its SIMD kernels on its own thread while this one trains on the same kernels.
    KernelWarmUp warmUp = KernelWarmUp.start(cnn, adam, LONG, LONG);
    TrainingResult beside = new NetworkTrainer(cnn, adam).train(cnn.initialModel(3), data, examples, 4);
    warmUp.stop();
    assertTrue(warmUp.awaitEnd(END));
    assertEquals(alone.model(), beside.model());
    assertEquals(alone.meanLoss(), beside.meanLoss());
  }
}
