package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.data.Dataset;
import io.csfl.data.RandomImages;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A training call stops between steps once it has run past its time limit, and a limit it stays
 * within changes nothing: the same model and loss as without one.
 */
class TrainingTimeLimitTest {
  private static final Architecture MLP = Architecture.mlp();
  private static final Dataset DATA = RandomImages.of(40, 5);
  private static final int[] EXAMPLES = java.util.stream.IntStream.range(0, 40).toArray();

  @Test
  @org.junit.jupiter.api.Timeout(120) // without the limit it would not end
  void trainingPastItsLimitStopsBetweenSteps() {
    // Ten steps per epoch and a million epochs: without the limit this call would run for hours.
    NetworkTrainer limited = new NetworkTrainer(MLP, new TrainingConfig(1_000_000, 4, OptimizerConfig.adam(0.01))
        .withTimeLimit(Duration.ofNanos(1)));
    TrainingTimeLimitException e = assertThrows(TrainingTimeLimitException.class,
        () -> limited.train(MLP.initialModel(2), DATA, EXAMPLES, 9));
    assertTrue(e.getMessage().startsWith("local training ran past its time limit of 0.000000001s in epoch 1 of 1000000"), e.getMessage());
    // Pruned training too.
    io.csfl.tensor.ModelSpec spec = MLP.spec();
    io.csfl.tensor.Mask[] all = new io.csfl.tensor.Mask[spec.tensorCount()];
    for (int t = 0; t < all.length; t++) {
      all[t] = spec.tensor(t).prunable() ? io.csfl.tensor.Mask.all(spec.tensor(t).size()) : null;
    }
    io.csfl.tensor.MaskSet keep = io.csfl.tensor.MaskSet.of(spec, all);
    assertThrows(TrainingTimeLimitException.class, () -> limited.trainPruned(MLP.initialModel(2), keep, DATA, EXAMPLES, 9));
  }

  @Test
  void aLimitThatIsNotReachedChangesNothing() {
    TrainingConfig config = new TrainingConfig(2, 8, OptimizerConfig.sgd(0.05, 0));
    TrainingResult free = new NetworkTrainer(MLP, config).train(MLP.initialModel(2), DATA, EXAMPLES, 9);
    TrainingResult limited = new NetworkTrainer(MLP, config.withTimeLimit(Duration.ofMinutes(10))).train(MLP.initialModel(2), DATA, EXAMPLES, 9);
    assertEquals(free.model(), limited.model());
    assertEquals(free.meanLoss(), limited.meanLoss());
  }

  @Test
  void aNegativeOrEndlessLimitIsRefusedAndZeroMeansNone() {
    assertThrows(IllegalArgumentException.class, () -> TrainingConfig.paperDefaults().withTimeLimit(Duration.ofSeconds(-1)));
    // Too long to count in nanoseconds: refused, rather than failing every check.
    assertThrows(IllegalArgumentException.class,
        () -> TrainingConfig.paperDefaults().withTimeLimit(java.time.temporal.ChronoUnit.FOREVER.getDuration()));
    TrainingConfig.paperDefaults().withTimeLimit(Duration.ofDays(200)).checkTime(System.nanoTime(), 0);
    assertEquals(Duration.ZERO, TrainingConfig.paperDefaults().timeLimit());
  }
}
