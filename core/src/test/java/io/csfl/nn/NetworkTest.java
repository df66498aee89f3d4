package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

  /**
   * SGD clears the gradients as it steps, so the next backward pass skips zeroing them: steps on
   * changing batches give the same weights and losses, to the bit, as the same optimiser behind an
   * Optimizer that does not clear (whose network zeroes the gradients itself).
   */
  @Test
  void anOptimiserThatClearsTheGradientsTrainsAsOneThatDoesNot() {
    for (double momentum : new double[] {0, 0.9}) {
      Network clearing = Architecture.mlp().newNetwork(8);
      Network plain = Architecture.mlp().newNetwork(8);
      clearing.initialize(3);
      plain.initialize(3);
      Optimizer sgd = OptimizerConfig.sgd(0.05, momentum).create();
      assertTrue(sgd instanceof ClearingOptimizer, "SGD clears as it steps");
      Optimizer inner = OptimizerConfig.sgd(0.05, momentum).create();
      Optimizer notClearing = inner::step;
      Random rng = new Random(4);
      for (int step = 0; step < 6; step++) {
        int batch = 5 + step % 4;
        for (int i = 0; i < batch * 784; i++) {
          float pixel = rng.nextFloat() < 0.5f ? 0f : rng.nextFloat();
          clearing.inputBuffer()[i] = pixel;
          plain.inputBuffer()[i] = pixel;
        }
        for (int s = 0; s < batch; s++) {
          int label = rng.nextInt(10);
          clearing.labelBuffer()[s] = label;
          plain.labelBuffer()[s] = label;
        }
        double a = clearing.trainBatch(batch, sgd);
        double b = plain.trainBatch(batch, notClearing);
        assertEquals(Double.doubleToRawLongBits(b), Double.doubleToRawLongBits(a), "loss of step " + step);
        for (int t = 0; t < plain.params().length; t++) {
          assertArrayEquals(plain.params()[t], clearing.params()[t], 0f, "momentum " + momentum + ", step " + step + ", tensor " + t);
        }
      }
    }
  }
}
