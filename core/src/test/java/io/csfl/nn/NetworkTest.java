package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** A network refuses batches its buffers do not hold, before touching its parameters. */
class NetworkTest {
  @Test
  void aBatchLargerThanTheBuffersIsRefusedWithBothSizesAndNothingChanges() {
    Network net = Architecture.mlp().newNetwork(4);
    net.initialize(1);
    Random rng = new Random(2);
    float[] input = net.inputBuffer();
    for (int i = 0; i < input.length; i++) {
      input[i] = rng.nextFloat();
    }
    float[] before = net.params()[0].clone();
    Optimizer sgd = OptimizerConfig.sgd(0.1, 0).create();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.trainBatch(5, sgd));
    assertTrue(e.getMessage().contains("5") && e.getMessage().contains("4"), e.getMessage());
    assertArrayEquals(before, net.params()[0], 0f);
    assertThrows(IllegalArgumentException.class, () -> net.evaluateBatch(5, null));
    assertThrows(IllegalArgumentException.class, () -> net.evaluateBatch(0, null));
  }

  @Test
  void aFullBatchTrains() {
    Network net = Architecture.mlp().newNetwork(4);
    net.initialize(1);
    float[] input = net.inputBuffer();
    for (int i = 0; i < input.length; i++) {
      input[i] = (i % 7) / 7f;
    }
    float[] before = net.params()[0].clone();
    double loss = net.trainBatch(4, OptimizerConfig.sgd(0.1, 0).create());
    assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
    assertTrue(!java.util.Arrays.equals(before, net.params()[0]), "a step moves the first layer's weights");
  }
}
