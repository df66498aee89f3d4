package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.csfl.data.RandomImages;
import io.csfl.tensor.MagnitudePruning;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorOps;
import org.junit.jupiter.api.Test;

class PrunedTrainingTest {
  @Test
  void prunedWeightsStayZeroThroughAdamWhileKeptOnesTrain() {
    Architecture mlp = Architecture.mlp();
    NetworkTrainer trainer = new NetworkTrainer(mlp, new TrainingConfig(2, 8, OptimizerConfig.adam(0.01)));
    ModelSpec spec = mlp.spec();
    Model initial = mlp.initialModel(3);
    Mask[] masks = new Mask[spec.tensorCount()];
    ModelBuffer pruned = ModelBuffer.copyOf(initial);
    for (int t = 0; t < masks.length; t++) {
      if (spec.tensor(t).prunable()) {
        masks[t] = MagnitudePruning.topMagnitude(initial.tensor(t), MagnitudePruning.keptCount(spec.tensor(t).size(), 0.9));
        TensorOps.applyMask(pruned.tensor(t), masks[t]);
      }
    }
    MaskSet keep = MaskSet.of(spec, masks);
    Model trained = trainer.trainPruned(pruned.toModel(), keep, RandomImages.of(10, 4), new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 1).model();
    for (int t = 0; t < masks.length; t++) {
      if (masks[t] == null) {
        continue;
      }
      float[] after = trained.tensor(t).toArray();
      float[] before = pruned.tensor(t);
      int moved = 0;
      for (int i = 0; i < after.length; i++) {
        if (!masks[t].get(i)) {
          assertEquals(0f, after[i], spec.tensor(t).name() + "[" + i + "] was pruned");
        } else if (after[i] != before[i]) {
          moved++;
        }
      }
      assertNotEquals(0, moved, spec.tensor(t).name() + ": kept weights must train");
    }
  }
}
