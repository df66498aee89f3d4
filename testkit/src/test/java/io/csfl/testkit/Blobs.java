package io.csfl.testkit;

import io.csfl.data.Dataset;
import io.csfl.data.Partitioner;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import java.util.Random;

/** A small learnable problem (four Gaussian blobs in 16 dimensions) and a federation of it with CSFL's own trainer. */
final class Blobs {
  static final int FEATURES = 16;
  static final int CLASSES = 4;
  static final Architecture LOGREG = Architecture.logreg(FEATURES, CLASSES);

  private Blobs() {}

  static Dataset data(int n, long seed) {
    Random rng = new Random(seed);
    float[][] centres = new float[CLASSES][FEATURES];
    for (float[] c : centres) {
      for (int j = 0; j < FEATURES; j++) {
        c[j] = (float) rng.nextGaussian() * 2;
      }
    }
    Dataset.Builder b = Dataset.builder("blobs", FEATURES).classes(CLASSES);
    for (int i = 0; i < n; i++) {
      int label = i % CLASSES;
      float[] x = new float[FEATURES];
      for (int j = 0; j < FEATURES; j++) {
        x[j] = centres[label][j] + (float) rng.nextGaussian();
      }
      b.add(x, label);
    }
    return b.build();
  }

  /** A federation of {@code clients} clients on 240 examples, evaluated on 80 others; churn and nodes left to the test. */
  static Federation.Builder federation(int clients) {
    return Federation.builder()
        .trainer(new NetworkTrainer(LOGREG, new TrainingConfig(1, 8, OptimizerConfig.sgd(0.05, 0))))
        .evaluator(evaluator(data(80, 2)))
        .initialModel(LOGREG.initialModel(1))
        .data(data(240, 1), Partitioner.parse("iid"))
        .algorithm("cs")
        .clients(clients);
  }

  private static Evaluator evaluator(Dataset test) {
    return Evaluator.of(LOGREG, test);
  }
}
