package io.csfl.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.data.Dataset;
import io.csfl.data.Partitioner;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import io.csfl.testkit.Churn;
import io.csfl.testkit.Federation;
import io.csfl.testkit.FederationResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * How an application tests its own trainer under churn with csfl-testkit: a federation over three
 * ActorSystems in which one client node goes down mid-run. The excerpt between the doc markers
 * is quoted in docs/embedding.md.
 */
class ChurnWithOwnTrainerTest {
  static final int FEATURES = 8;
  static final int CLASSES = 3;

  /**
   * The application's trainer: softmax regression with plain SGD, one example at a time, one
   * epoch over the client's examples in a seeded order. Its model has CSFL's tensor names for a
   * dense layer, so the server can score it with an evaluator of the same shape.
   */
  record SoftmaxSgd(float learningRate) implements LocalTrainer {
    private static final ModelSpec SPEC = ModelSpec.of(List.of(
        TensorSpec.kernel("dense1/kernel", FEATURES, CLASSES), TensorSpec.bias("dense1/bias", CLASSES)));

    @Override
    public ModelSpec spec() {
      return SPEC;
    }

    @Override
    public TrainingResult train(Model start, Dataset data, int[] examples, long seed) {
      float[][] p = start.toArrays();
      float[] w = p[0];
      float[] b = p[1];
      float[] x = new float[FEATURES];
      int[] y = new int[1];
      float[] prob = new float[CLASSES];
      int[] order = examples.clone();
      Random rng = new Random(seed);
      for (int i = order.length - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      double loss = 0;
      for (int n = 0; n < order.length; n++) {
        data.fill(order, n, 1, x, y);
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < CLASSES; c++) {
          float z = b[c];
          for (int f = 0; f < FEATURES; f++) {
            z += x[f] * w[f * CLASSES + c];
          }
          prob[c] = z;
          max = Math.max(max, z);
        }
        float sum = 0;
        for (int c = 0; c < CLASSES; c++) {
          prob[c] = (float) Math.exp(prob[c] - max);
          sum += prob[c];
        }
        loss -= Math.log(prob[y[0]] / sum);
        for (int c = 0; c < CLASSES; c++) {
          float grad = prob[c] / sum - (c == y[0] ? 1 : 0);
          b[c] -= learningRate * grad;
          for (int f = 0; f < FEATURES; f++) {
            w[f * CLASSES + c] -= learningRate * grad * x[f];
          }
        }
      }
      return new TrainingResult(Model.copyOf(SPEC, p), loss / order.length, order.length);
    }
  }

  /** Points labelled by which of three fixed directions they lie furthest along: learnable by softmax regression. */
  static Dataset directions(int n, long seed) {
    Random rng = new Random(seed);
    Dataset.Builder data = Dataset.builder("directions", FEATURES).classes(CLASSES);
    for (int i = 0; i < n; i++) {
      float[] x = new float[FEATURES];
      for (int f = 0; f < FEATURES; f++) {
        x[f] = (float) rng.nextGaussian();
      }
      float[] along = {x[0] + x[1], x[2] - x[3], x[4] + x[5] - x[6]};
      int label = along[0] >= along[1] && along[0] >= along[2] ? 0 : along[1] >= along[2] ? 1 : 2;
      data.add(x, label);
    }
    return data.build();
  }

  @Test
  void trainingGoesOnWhenAClientNodeGoesDown() throws Exception {
    Dataset train = directions(600, 1);
    Evaluator evaluator = Evaluator.of(Architecture.logreg(FEATURES, CLASSES), directions(300, 2));
    // doc:start
    FederationResult result = Federation.builder()
        .trainer(new SoftmaxSgd(0.05f))
        .evaluator(evaluator)
        .data(train, Partitioner.parse("iid"))
        .algorithm("fedavg")
        .clients(6).perRound(6).rounds(5).seed(1)
        .churn(Churn.seeded(7).killNodeAt(3, "clients-2"))
        .nodes(3) // a server node and two client nodes, clients-1 and clients-2
        .run();

    List<String> lost = result.clientsOn("clients-2");
    assertEquals(5, result.rounds().size(), "every round completed");
    assertEquals(6, result.round(2).clientsCompleted());
    for (int r = 3; r <= 5; r++) {
      assertEquals(6 - lost.size(), result.round(r).clientsCompleted(), "round " + r);
      assertTrue(result.trained(r).stream().noneMatch(lost::contains), "round " + r);
    }
    RoundMetrics last = result.round(5);
    assertTrue(last.accuracy() > 0.7, "learned despite the lost node: " + last);
    // doc:end
    assertDocumented();
  }

  /** docs/embedding.md quotes the lines between the markers above, word for word. */
  private static void assertDocumented() throws Exception {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.exists(root.resolve("docs/embedding.md"))) {
      root = root.getParent();
    }
    String source = Files.readString(root.resolve("examples/src/test/java/io/csfl/examples/ChurnWithOwnTrainerTest.java"));
    String excerpt = source.substring(source.indexOf("// doc:start\n") + "// doc:start\n".length(), source.indexOf("    // doc:end"))
        .lines().map(line -> line.isBlank() ? "" : line.substring(4)).collect(Collectors.joining("\n"));
    assertTrue(Files.readString(root.resolve("docs/embedding.md")).contains(excerpt),
        "docs/embedding.md quotes this test's excerpt:\n" + excerpt);
  }
}
