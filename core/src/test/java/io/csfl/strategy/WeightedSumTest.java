package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.csfl.codec.DenseSection;
import io.csfl.codec.Payload;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The aggregator folds updates in arrival order; the mean must not depend on it. */
class WeightedSumTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("k", 100, 50)));

  @Test
  void theMeanIsTheSameInEveryArrivalOrder() throws InvalidUpdateException {
    Random rng = new Random(11);
    List<Payload> updates = new ArrayList<>();
    for (int c = 0; c < 10; c++) {
      float[] values = new float[5000];
      for (int i = 0; i < values.length; i++) {
        // Magnitudes spread over several orders, where float sums depend on their order most.
        values[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(7) - 3));
      }
      updates.add(new Payload(List.of(new DenseSection(0, Values.copyOf(values)))));
    }
    float[] first = null;
    for (int trial = 0; trial < 20; trial++) {
      List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
      Collections.shuffle(order, new Random(trial));
      WeightedSum sum = new WeightedSum(SPEC);
      for (int c : order) {
        sum.add(updates.get(c), 100 + 37 * c, t -> WeightedSum.Expect.DENSE);
      }
      float[] mean = sum.mean(0);
      if (first == null) {
        first = mean;
      } else {
        assertArrayEquals(first, mean, 0f, "arrival order " + order);
      }
    }
  }
}
