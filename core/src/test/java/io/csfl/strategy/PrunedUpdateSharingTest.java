package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.data.Dataset;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PrunedUpdateSharingTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("k", 2, 5), TensorSpec.bias("b", 2)));

  private static Model model(float[] kernel, float[] bias) {
    return Model.of(SPEC, List.of(Values.copyOf(kernel), Values.copyOf(bias)));
  }

  /** Plain training returns a fixed model; pruned training adds 1 to every weight it may move. */
  private static final class ScriptedTrainer implements LocalTrainer {
    final List<String> calls = new ArrayList<>();
    final Model firstResult;

    ScriptedTrainer(Model firstResult) {
      this.firstResult = firstResult;
    }

    @Override
    public ModelSpec spec() {
      return SPEC;
    }

    @Override
    public TrainingResult train(Model start, Dataset data, int[] examples, long seed) {
      calls.add("train");
      return new TrainingResult(firstResult, 1.0, examples.length);
    }

    @Override
    public TrainingResult trainPruned(Model start, MaskSet keep, Dataset data, int[] examples, long seed) {
      calls.add("trainPruned from " + Arrays.toString(start.tensor(0).toArray()));
      ModelBuffer next = ModelBuffer.copyOf(start);
      for (int t = 0; t < SPEC.tensorCount(); t++) {
        float[] values = next.tensor(t);
        Optional<Mask> mask = keep.mask(t);
        for (int i = 0; i < values.length; i++) {
          if (mask.isEmpty() || mask.get().get(i)) {
            values[i] += 1f;
          }
        }
      }
      return new TrainingResult(next.toModel(), 0.5, examples.length);
    }
  }

  @Test
  void clientTrainsPrunesToTheLargestTenthPerKernelTrainsAgainAndSendsOnlyTheKeptWeights() {
    ClientAlgorithm client = new PrunedUpdateSharing(0.9).newClient();
    Model start = model(new float[10], new float[2]);
    // 10 kernel weights at 90% sparsity keep 1: the largest magnitude is -9 at position 6.
    ScriptedTrainer trainer = new ScriptedTrainer(model(new float[] {1, 2, 3, 4, 5, 6, -9, 8, 0, 0}, new float[] {7, 7}));
    TrainingResult result = client.train(trainer, start, null, new int[3], 1);
    assertEquals(List.of("train", "trainPruned from [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -9.0, 0.0, 0.0, 0.0]"),
        trainer.calls, "the second training starts from the pruned model");
    Payload up = client.uplink(null, start, result.model());
    MaskedSection kernel = assertInstanceOf(MaskedSection.class, up.sections().get(0));
    assertArrayEquals(new int[] {6}, kernel.mask().positions());
    assertArrayEquals(new float[] {-8}, kernel.values().toArray());
    DenseSection bias = assertInstanceOf(DenseSection.class, up.sections().get(1));
    assertArrayEquals(new float[] {8, 8}, bias.values().toArray(), "biases are not pruned");
  }

  @Test
  void serverAveragesTheSparseModelsWithZerosWhereAClientPruned() throws InvalidUpdateException {
    ServerAlgorithm server = new PrunedUpdateSharing(0.9).newServer(model(new float[10], new float[2]), 3);
    assertInstanceOf(DenseSection.class, server.downlink(1).sections().get(0), "the downlink is dense");
    server.accumulate(1, sparseUpdate(2, 4f, new float[] {1, 1}), 1);
    server.accumulate(1, sparseUpdate(7, 8f, new float[] {4, 4}), 3);
    server.close(1);
    server.commit(1, Optional.empty());
    float[] kernel = new float[10];
    kernel[2] = 4f * 1 / 4;
    kernel[7] = 8f * 3 / 4;
    assertArrayEquals(kernel, server.globalModel().tensor(0).toArray(), 1e-6f);
    assertArrayEquals(new float[] {3.25f, 3.25f}, server.globalModel().tensor(1).toArray(), 1e-6f);
  }

  private static Payload sparseUpdate(int position, float value, float[] bias) {
    float[] kernel = new float[10];
    kernel[position] = value;
    MaskSet masks = new MagnitudePruner().masks(model(kernel, bias), 0.9);
    return Payloads.sparse(model(kernel, bias), Optional.of(masks), io.csfl.codec.Precision.FP32);
  }
}
