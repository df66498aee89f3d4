package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.data.Dataset;
import io.csfl.data.RandomImages;
import org.junit.jupiter.api.Test;

/**
 * A batch size beyond a client's data trains the whole data in one batch, with buffers for that
 * data only: the same result as a batch of exactly the client's size, and no allocation for
 * samples no client has (a batch size of Integer.MAX_VALUE once overflowed the buffer's length).
 */
class NetworkTrainerBatchTest {
  @Test
  void aBatchLargerThanTheDataTrainsAsOneOfTheDataSize() {
    Architecture mlp = Architecture.mlp();
    Dataset data = RandomImages.of(12, 5);
    int[] examples = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    TrainingResult exact = new NetworkTrainer(mlp, new TrainingConfig(2, 12, OptimizerConfig.adam(0.01)))
        .train(mlp.initialModel(2), data, examples, 9);
    NetworkTrainer huge = new NetworkTrainer(mlp, new TrainingConfig(2, Integer.MAX_VALUE, OptimizerConfig.adam(0.01)));
    TrainingResult whole = huge.train(mlp.initialModel(2), data, examples, 9);
    assertEquals(exact.model(), whole.model());
    assertEquals(exact.meanLoss(), whole.meanLoss());
    // A client with more data on the same thread gets a network with room for it.
    int[] more = new int[20];
    for (int i = 0; i < more.length; i++) {
      more[i] = i;
    }
    assertEquals(20, huge.train(mlp.initialModel(2), RandomImages.of(20, 5), more, 9).examples());
  }

  @Test
  void aBatchThatFitsNoArrayIsRefusedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architecture.mlp().newNetwork(3_000_000));
    assertTrue(e.getMessage().contains("a batch of 3000000 samples of 784 values each does not fit one array"), e.getMessage());
  }
}
