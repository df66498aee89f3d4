package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.codec.Payload;
import io.csfl.codec.Section;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Error-feedback residuals take no memory before a client's first update, are packed between
 * rounds, and give back exactly what was stored: an STC client with a packed residual sends what
 * one with a plain array sends, round after round.
 */
class ResidualTest {
  private static final ModelSpec SPEC = ModelSpec.of(List.of(TensorSpec.kernel("k", 30, 40), TensorSpec.bias("b", 40)));

  private static int[] bits(float[] a) {
    int[] out = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = Float.floatToRawIntBits(a[i]);
    }
    return out;
  }

  @Test
  void anIdleClientHoldsNoResidual() {
    for (ClientAlgorithm client : List.of(new SparseTernaryCompression(0.01).newClient(), new TopKSparsification(0.01).newClient())) {
      assertEquals(0, ((ErrorFeedbackClient) client).residualBytes(), client.getClass().getName());
    }
  }

  @Test
  void whatIsStoredComesBackToTheBitSignedZerosIncluded() {
    Random rng = new Random(5);
    Residual residual = new Residual(SPEC);
    float[] fresh = residual.expand(0);
    assertArrayEquals(bits(new float[1200]), bits(fresh), "never stored: the zeros of a fresh array");
    float[] sparse = new float[1200];
    for (int i = 0; i < sparse.length; i += 7) {
      sparse[i] = (float) rng.nextGaussian();
    }
    sparse[3] = -0.0f;
    sparse[5] = Float.MIN_VALUE;
    residual.store(0, sparse.clone());
    assertArrayEquals(bits(sparse), bits(residual.expand(0)));
    assertTrue(residual.bytes() < 4 * 1200 / 3, "a sparse residual is packed: " + residual.bytes() + " bytes");
    float[] dense = new float[40];
    for (int i = 0; i < dense.length; i++) {
      dense[i] = (float) rng.nextGaussian();
    }
    residual.store(1, dense.clone());
    assertArrayEquals(bits(dense), bits(residual.expand(1)));
    residual.store(0, new float[1200]);
    assertEquals(4 * 40, residual.bytes(), "an all-zero tensor takes nothing; a dense one its array");
  }

  /** The error feedback as it was computed before residuals were packed: one plain array per tensor. */
  private static List<Section> plainStc(float[][] residual, Model start, Model trained, double density) {
    List<Section> out = new ArrayList<>();
    for (int t = 0; t < SPEC.tensorCount(); t++) {
      float[] update = trained.tensor(t).toArray();
      float[] before = start.tensor(t).toArray();
      for (int i = 0; i < update.length; i++) {
        update[i] -= before[i];
      }
      out.add(TopK.ternarizeWithFeedback(t, update, residual[t], TopK.count(update.length, density)));
    }
    return out;
  }

  @Test
  void anStcClientWithAPackedResidualSendsWhatAPlainOneSends() {
    Random rng = new Random(9);
    ErrorFeedbackClient client = (ErrorFeedbackClient) new SparseTernaryCompression(0.05).newClient();
    float[][] plain = TopK.zeros(SPEC);
    float[][] start = new float[][] {new float[1200], new float[40]};
    for (int round = 1; round <= 6; round++) {
      float[][] trained = new float[2][];
      for (int t = 0; t < 2; t++) {
        trained[t] = start[t].clone();
        // Many weights do not move (blank pixels, dead units), so the residual is partly zero.
        for (int i = 0; i < trained[t].length; i++) {
          if (rng.nextInt(3) == 0) {
            trained[t][i] += 0.01f * (float) rng.nextGaussian();
          }
        }
      }
      Model s = Model.copyOf(SPEC, start);
      Model tr = Model.copyOf(SPEC, trained);
      Payload sent = client.uplink(null, s, tr);
      assertEquals(new Payload(plainStc(plain, s, tr, 0.05)), sent, "round " + round);
      assertTrue(client.residualBytes() < 4L * SPEC.parameterCount(), "packed: " + client.residualBytes() + " bytes");
      start = trained;
    }
  }
}
