package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.data.Dataset;
import org.junit.jupiter.api.Test;

class EvaluatorTest {
  /** Two examples of {@code features} features, labels 0 and 1, of {@code classes} classes. */
  private static Dataset data(int features, int classes) {
    float[] x = new float[features];
    x[0] = 1;
    return Dataset.builder("tiny", features).classes(classes).add(x, 0).add(new float[features], 1).build();
  }

  @Test
  void evaluatesEveryExampleOfDataThatFits() {
    Architecture logreg = Architecture.logreg(3, 2);
    Evaluation e = Evaluator.of(logreg, data(3, 2)).evaluate(logreg.initialModel(1));
    assertEquals(2, e.examples());
    assertTrue(e.loss() > 0, "loss " + e.loss());
  }

  @Test
  void refusesDataOfAnotherFeatureCount() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Evaluator.of(Architecture.logreg(3, 2), data(4, 2)));
    assertEquals("dataset tiny has 4 features (shape [4]) and 2 classes, but model logreg (8 parameters) reads 3 features"
        + " and predicts 2 classes", e.getMessage());
  }

  @Test
  void refusesDataOfAnotherClassCount() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Evaluator.of(Architecture.logreg(3, 2), data(3, 5)));
    assertTrue(e.getMessage().contains("3 features (shape [3]) and 5 classes"), e.getMessage());
    // Fewer classes than the model predicts: a test set whose largest label is not the last class.
    IllegalArgumentException fewer = assertThrows(IllegalArgumentException.class,
        () -> Evaluator.of(Architecture.logreg(3, 4), data(3, 2)));
    assertTrue(fewer.getMessage().endsWith("(a dataset counts its classes from its largest label; Dataset.Builder.classes sets them)"),
        fewer.getMessage());
  }

  @Test
  void theBuiltInTrainerRefusesDataThatDoesNotFitItsNetwork() {
    Architecture logreg = Architecture.logreg(3, 2);
    NetworkTrainer trainer = new NetworkTrainer(logreg, new TrainingConfig(1, 2, OptimizerConfig.sgd(0.1, 0)));
    assertEquals(2, trainer.train(logreg.initialModel(1), data(3, 2), new int[] {0, 1}, 1).examples());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> trainer.train(logreg.initialModel(1), data(5, 2), new int[] {0, 1}, 1));
    assertTrue(e.getMessage().contains("reads 3 features"), e.getMessage());
  }
}
