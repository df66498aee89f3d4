package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.data.Dataset;
import org.junit.jupiter.api.Test;

/** The presets take their input shape and classes from the data. */
class ArchitectureShapeTest {
  @Test
  void presetsFollowTheDataShape() {
    assertEquals(Architecture.mlp().spec(), Architecture.byName("mlp", new int[] {1, 28, 28}, 10).spec());
    assertEquals(Architecture.cnn().spec(), Architecture.byName("cnn", new int[] {1, 28, 28}, 10).spec());
    assertEquals(60 * 10 + 10, Architecture.byName("logreg", new int[] {60}, 10).spec().parameterCount());
    assertEquals(60 * 200 + 200 + 200 * 200 + 200 + 200 * 3 + 3, Architecture.byName("mlp", new int[] {60}, 3).spec().parameterCount());
  }

  @Test
  void cnnNeedsImagesAndSaysSo() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architecture.byName("cnn", new int[] {60}, 10));
    assertTrue(e.getMessage().contains("needs images") && e.getMessage().contains("[60]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Architecture.byName("cnn", new int[] {1, 30, 30}, 10));
    assertThrows(IllegalArgumentException.class, () -> Architecture.byName("resnet", new int[] {60}, 10));
  }

  @Test
  void aColourCnnLearnsTheChannelThatCarriesTheLabel() {
    // Label 1 lights up the green channel, label 0 the red one: channels must reach the conv in order.
    Dataset.Builder b = Dataset.builder("rgb", 3, 8, 8);
    java.util.Random rng = new java.util.Random(3);
    for (int i = 0; i < 64; i++) {
      float[] x = new float[3 * 64];
      int label = i % 2;
      for (int p = 0; p < 64; p++) {
        x[label * 64 + p] = 0.5f + 0.5f * rng.nextFloat();
      }
      b.add(x, label);
    }
    Dataset data = b.build();
    Architecture cnn = Architecture.byName("cnn", data.shape(), 2);
    int[] all = java.util.stream.IntStream.range(0, data.size()).toArray();
    TrainingResult r = new NetworkTrainer(cnn, new TrainingConfig(3, 16, OptimizerConfig.adam(0.001)))
        .train(cnn.initialModel(1), data, all, 1);
    assertEquals(1.0, Evaluator.of(cnn, data).evaluate(r.model()).accuracy(), 1e-9);
  }
}
