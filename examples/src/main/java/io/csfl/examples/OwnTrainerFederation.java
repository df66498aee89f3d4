package io.csfl.examples;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Aggregator;
import io.csfl.actor.ExpectedModel;
import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.data.Partitioner;
import io.csfl.data.Splits;
import io.csfl.data.SyntheticFederated;
import io.csfl.nn.Evaluation;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * A federation whose model and training are the application's own: softmax (multinomial
 * logistic) regression, trained by plain SGD in {@link SoftmaxRegressionTrainer} and evaluated by
 * {@link SoftmaxRegressionEvaluator}, with none of CSFL's built-in networks. CSFL federates it
 * with Complement Sparsification on the Synthetic(1, 1) benchmark, one client per device.
 *
 * <p>Run: {@code mvn -q -pl examples -am install -DskipTests && java -cp
 * "examples/target/classes:$(cat examples/target/classpath.txt)" io.csfl.examples.OwnTrainerFederation [rounds]};
 * see docs/bring-your-own.md.
 */
public final class OwnTrainerFederation {
  /**
   * The seed the data is drawn from. Synthetic(1, 1) differs much from seed to seed: with seed 1,
   * 76 % of the test examples are of one class; with this one, at most 17 % are.
   */
  static final long DEFAULT_SEED = 10;

  private OwnTrainerFederation() {}

  /**
   * The model: a weight matrix (features x classes), which CS prunes, and a dense bias per class.
   * Whatever the trainer and evaluator agree on; CSFL only needs its tensors named and shaped.
   */
  static ModelSpec spec(Dataset data) {
    return ModelSpec.of(List.of(
        TensorSpec.kernel("weights", data.features(), data.classes()),
        TensorSpec.bias("bias", data.classes())));
  }

  /**
   * Small random weights and zero biases, deterministic for {@code seed}. Not all zeros: CS keeps
   * the largest weights of the server's model, and among equal weights that choice is arbitrary.
   */
  static Model initialModel(ModelSpec spec, long seed) {
    Random rng = new Random(seed);
    float[] weights = new float[spec.tensor(0).size()];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) (0.01 * rng.nextGaussian());
    }
    return Model.copyOf(spec, new float[][] {weights, new float[spec.tensor(1).size()]});
  }

  /** The forward pass both the trainer and the evaluator use: class probabilities of a batch. */
  static final class SoftmaxRegression {
    private final int features;
    private final int classes;

    SoftmaxRegression(ModelSpec spec) {
      this.features = spec.tensor(0).dim(0);
      this.classes = spec.tensor(0).dim(1);
    }

    /**
     * Writes the class probabilities of the {@code n} examples in {@code x} into {@code probs}
     * (n x classes) and returns their summed cross-entropy against {@code y}.
     */
    double probabilities(float[] w, float[] b, float[] x, int[] y, int n, float[] probs) {
      double loss = 0;
      for (int s = 0; s < n; s++) {
        int row = s * classes;
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
          float logit = b[c];
          for (int j = 0; j < features; j++) {
            logit += x[s * features + j] * w[j * classes + c];
          }
          probs[row + c] = logit;
          max = Math.max(max, logit);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
          probs[row + c] = (float) Math.exp(probs[row + c] - max);
          sum += probs[row + c];
        }
        for (int c = 0; c < classes; c++) {
          probs[row + c] /= (float) sum;
        }
        loss -= Math.log(Math.max(probs[row + y[s]], 1e-12f));
      }
      return loss;
    }
  }

  /**
   * Plain mini-batch SGD on softmax regression. Keeps the {@link LocalTrainer} contract:
   * deterministic for a seed, its inputs untouched (the example indices are copied before they are
   * shuffled), and safe to call from several clients at once (every buffer is local to a call).
   */
  static final class SoftmaxRegressionTrainer implements LocalTrainer {
    private final ModelSpec spec;
    private final SoftmaxRegression model;
    private final int epochs;
    private final int batchSize;
    private final float rate;

    SoftmaxRegressionTrainer(ModelSpec spec, int epochs, int batchSize, float rate) {
      this.spec = spec;
      this.model = new SoftmaxRegression(spec);
      this.epochs = epochs;
      this.batchSize = batchSize;
      this.rate = rate;
    }

    @Override
    public ModelSpec spec() {
      return spec;
    }

    @Override
    public TrainingResult train(Model start, Dataset data, int[] examples, long seed) {
      int features = data.features();
      int classes = data.classes();
      float[] w = start.tensor(0).toArray();
      float[] b = start.tensor(1).toArray();
      float[] x = new float[batchSize * features];
      int[] y = new int[batchSize];
      float[] probs = new float[batchSize * classes];
      int[] order = examples.clone();
      // Shuffled in place each epoch, with the JDK's own seeded shuffle.
      List<Integer> shuffled = new ArrayList<>(Arrays.stream(examples).boxed().toList());
      Random rng = new Random(seed);
      double loss = 0;
      long seen = 0;
      for (int epoch = 0; epoch < epochs; epoch++) {
        Collections.shuffle(shuffled, rng);
        for (int i = 0; i < order.length; i++) {
          order[i] = shuffled.get(i);
        }
        for (int from = 0; from < order.length; from += batchSize) {
          int n = Math.min(batchSize, order.length - from);
          data.fill(order, from, n, x, y);
          loss += model.probabilities(w, b, x, y, n, probs);
          seen += n;
          // The gradient of the mean cross-entropy with respect to the logits is (p - onehot(y)) / n.
          for (int s = 0; s < n; s++) {
            probs[s * classes + y[s]] -= 1;
          }
          for (int s = 0; s < n; s++) {
            for (int c = 0; c < classes; c++) {
              float g = rate * probs[s * classes + c] / n;
              b[c] -= g;
              for (int j = 0; j < features; j++) {
                w[j * classes + c] -= g * x[s * features + j];
              }
            }
          }
        }
      }
      return new TrainingResult(Model.copyOf(spec, new float[][] {w, b}), loss / seen, examples.length);
    }
  }

  /** Accuracy and mean loss of a softmax-regression model on a test set; the server calls it after each round. */
  static final class SoftmaxRegressionEvaluator implements Evaluator {
    private static final int BATCH = 256;
    private final Dataset test;
    private final SoftmaxRegression model;
    private final int[] all;

    SoftmaxRegressionEvaluator(ModelSpec spec, Dataset test) {
      this.test = test;
      this.model = new SoftmaxRegression(spec);
      this.all = java.util.stream.IntStream.range(0, test.size()).toArray();
    }

    @Override
    public Evaluation evaluate(Model m) {
      int classes = test.classes();
      float[] w = m.tensor(0).toArray();
      float[] b = m.tensor(1).toArray();
      float[] x = new float[BATCH * test.features()];
      int[] y = new int[BATCH];
      float[] probs = new float[BATCH * classes];
      double loss = 0;
      int correct = 0;
      for (int from = 0; from < all.length; from += BATCH) {
        int n = Math.min(BATCH, all.length - from);
        test.fill(all, from, n, x, y);
        loss += model.probabilities(w, b, x, y, n, probs);
        for (int s = 0; s < n; s++) {
          int best = 0;
          for (int c = 1; c < classes; c++) {
            if (probs[s * classes + c] > probs[s * classes + best]) {
              best = c;
            }
          }
          correct += best == y[s] ? 1 : 0;
        }
      }
      return new Evaluation((double) correct / all.length, loss / all.length, all.length);
    }
  }

  /**
   * Trains CS for {@code rounds} rounds on Synthetic(1, 1) drawn from {@code seed}, 10 of its 30
   * devices a round, in an actor system of {@code config}; returns the server's last event.
   */
  public static Server.Event run(int rounds, long seed, Config config) throws Exception {
    return run(new ComplementSparsification(CsOptions.defaults()), rounds, seed, config);
  }

  /** As above, federated by {@code cs}; the aggregator prunes with its {@link FederatedStrategy#pruner()}. */
  static Server.Event run(FederatedStrategy cs, int rounds, long seed, Config config) throws Exception {
    Splits data = SyntheticFederated.generate(1, 1, seed);
    ModelSpec spec = spec(data.train());
    LocalTrainer trainer = new SoftmaxRegressionTrainer(spec, 5, 10, 0.01f);
    Evaluator evaluator = new SoftmaxRegressionEvaluator(spec, data.test());
    Model initial = initialModel(spec, 1);
    List<int[]> devices = Partitioner.parse(Partitioner.NATURAL).split(data.train(), SyntheticFederated.DEVICES, new Random(1));
    CompletableFuture<Server.Event> done = new CompletableFuture<>();

    Behavior<Void> app = Behaviors.setup(ctx -> {
      ExpectedModel.register(ctx.getSystem(), spec);
      ActorRef<Server.Event> dashboard = ctx.spawn(EmbeddedFederation.dashboard(done), "dashboard");
      ActorRef<Aggregator.Command> aggregator =
          ctx.spawn(Aggregator.create(cs.newServer(initial, rounds), cs.pruner()), "aggregator");
      Server.Settings settings = Server.Settings.builder("cs").rounds(rounds).clientsPerRound(10)
          .roundTimeout(Duration.ofMinutes(2)).build();
      ActorRef<Server.Command> server =
          ctx.spawn(Server.create(settings, aggregator, evaluator, dashboard), "server", Server.DISPATCHER);
      EmbeddedFederation.startClients(ctx, server, "device-", cs, trainer, data.train(), devices);
      return Behaviors.empty();
    });
    return EmbeddedFederation.runUntilDone(app, "own-trainer", config, done);
  }

  public static void main(String[] args) throws Exception {
    Server.Event last = run(args.length > 0 ? Integer.parseInt(args[0]) : 20,
        args.length > 1 ? Long.parseLong(args[1]) : DEFAULT_SEED, ConfigFactory.load());
    System.out.println("last event: " + last);
  }
}
