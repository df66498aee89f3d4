package io.csfl.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import io.csfl.data.Dataset;
import io.csfl.data.FashionMnist;
import io.csfl.data.RepositoryData;
import io.csfl.data.Splits;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluation;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LayerList;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.nn.TrainingEngine;
import io.csfl.nn.TrainingResult;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The PyTorch engine against the Java one, on real Fashion-MNIST. */
class PyTorchTrainerTest {
  private static final int[] IMAGE = {1, 28, 28};
  /** A layer list with both paddings, a pool of 3 that drops a row, and several channels after the first conv. */
  private static final String LAYERS = "conv:6:3,pool:3,conv:4:3:valid,dense:16,dense:10";
  private static Splits data;

  @BeforeAll
  static void load() {
    // Offline and one thread, before any test loads PyTorch.
    PyTorchEngine.configure();
    data = FashionMnist.splits(java.util.Optional.of(RepositoryData.fashionMnistDir()));
  }

  private static int[] firstN(int n) {
    return IntStream.range(0, n).toArray();
  }

  private static int[] seededSubset(int n, long seed) {
    int[] all = firstN(data.train().size());
    io.csfl.internal.data.Shuffle.inPlace(all, new Random(seed));
    return java.util.Arrays.copyOf(all, n);
  }

  @Test
  void theEngineIsFoundOnTheClassPath() {
    TrainingEngine engine = TrainingEngine.named("PyTorch");
    assertInstanceOf(PyTorchEngine.class, engine);
    assertInstanceOf(PyTorchTrainer.class, engine.trainer(Architecture.mlp(), IMAGE, 10, TrainingConfig.paperDefaults()));
    assertInstanceOf(NetworkTrainer.class, TrainingEngine.named("java").trainer(Architecture.mlp(), IMAGE, 10,
        TrainingConfig.paperDefaults()));
  }

  @Test
  void parametersMakeARoundTripToTheBit() {
    for (Architecture a : List.of(Architecture.mlp(), Architecture.cnn(), Architecture.logreg(784, 10),
        Architecture.of(LayerList.parse(LAYERS), IMAGE, 10),
        Architecture.byName("conv:5:3,dense:7,dense:3", new int[] {3, 6, 8}, 3))) {
      int[] shape = a.name().equals("conv:5:3,dense:7,dense:3") ? new int[] {3, 6, 8} : IMAGE;
      TorchNet net = TorchNet.of(a, shape, a.spec().tensor(a.spec().tensorCount() - 1).dim(0));
      Model model = a.initialModel(7);
      try (NDManager manager = NDManager.newBaseManager(Device.cpu(), PyTorchEngine.DJL_ENGINE)) {
        List<NDArray> params = net.arrays(manager, net.load(model), false);
        assertEquals(model, net.snapshot(params.stream().map(NDArray::toFloatArray).toArray(float[][]::new)), a.name());
        for (int t = 0; t < params.size(); t++) {
          assertEquals(a.spec().tensor(t).name(), params.get(t).getName());
          assertEquals(a.spec().tensor(t).size(), params.get(t).size());
        }
      }
    }
  }

  /**
   * The layouts are right, not merely reversible: PyTorch's loss of a model is the
   * Java evaluator's.
   */
  @Test
  void pytorchComputesTheSameLossAsTheJavaEvaluator() {
    // Images of one channel, of three (where channels-last matters), and flat features.
    Dataset grey = data.test().head(300);
    for (String spec : List.of("mlp", "cnn", LAYERS, "pool:2,dense:10")) {
      Architecture a = Architecture.byName(spec, IMAGE, 10);
      assertSameLoss(a, IMAGE, grey);
    }
    Random rng = new Random(3);
    Dataset.Builder colour = Dataset.builder("colour", 3, 8, 8).classes(4);
    for (int i = 0; i < 64; i++) {
      float[] x = new float[3 * 8 * 8];
      for (int j = 0; j < x.length; j++) {
        x[j] = rng.nextFloat();
      }
      colour.add(x, i % 4);
    }
    Dataset rgb = colour.build();
    for (String spec : List.of("conv:5:3,pool:2,dense:7,dense:4", "dense:9,dense:4", "conv:2:3:valid,dense:4")) {
      assertSameLoss(Architecture.byName(spec, new int[] {3, 8, 8}, 4), new int[] {3, 8, 8}, rgb);
    }
    Dataset.Builder flat = Dataset.builder("flat", 20).classes(3);
    for (int i = 0; i < 64; i++) {
      float[] x = new float[20];
      for (int j = 0; j < x.length; j++) {
        x[j] = (float) rng.nextGaussian();
      }
      flat.add(x, i % 3);
    }
    for (String spec : List.of("mlp", "logreg", "dense:5,dense:3")) {
      assertSameLoss(Architecture.byName(spec, new int[] {20}, 3), new int[] {20}, flat.build());
    }
  }

  private static void assertSameLoss(Architecture a, int[] shape, Dataset set) {
    Model model = a.initialModel(11);
    Evaluation java = Evaluator.of(a, set).evaluate(model);
    TorchNet net = TorchNet.of(a, shape, set.classes());
    float[] x = new float[set.size() * set.features()];
    int[] y = new int[set.size()];
    set.fill(firstN(set.size()), 0, set.size(), x, y);
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), PyTorchEngine.DJL_ENGINE)) {
      NDArray logits = net.forward(manager.create(x, net.inputShape(set.size())), net.arrays(manager, net.load(model), false));
      long[] labels = IntStream.of(y).asLongStream().toArray();
      double loss = new SoftmaxCrossEntropyLoss().evaluate(new NDList(manager.create(labels)), new NDList(logits)).getFloat();
      assertEquals(java.loss(), loss, 1e-4 * Math.max(1, java.loss()), a.name());
    }
  }

  @Test
  void aFewStepsLowerTheLoss() {
    Architecture a = Architecture.mlp();
    int[] examples = seededSubset(640, 1);
    Dataset subset = data.train().select("subset", examples);
    Evaluator evaluator = Evaluator.of(a, subset);
    Model start = a.initialModel(1);
    LocalTrainer trainer = new PyTorchTrainer(a, IMAGE, 10, new TrainingConfig(1, 64, OptimizerConfig.adam(0.001)));
    TrainingResult result = trainer.train(start, data.train(), examples, 5);
    assertEquals(640, result.examples());
    double before = evaluator.evaluate(start).loss();
    double after = evaluator.evaluate(result.model()).loss();
    assertTrue(after < 0.8 * before, "loss " + before + " -> " + after);
    assertTrue(result.meanLoss() < before, "mean training loss " + result.meanLoss() + ", starting loss " + before);
  }

  @Test
  void oneEpochReachesTheJavaEnginesAccuracy() {
    Dataset test = data.test().head(1000);
    int[] examples = seededSubset(1500, 2);
    TrainingConfig config = new TrainingConfig(1, 32, OptimizerConfig.adam(0.001));
    for (String spec : List.of("mlp", "cnn")) {
      Architecture a = Architecture.byName(spec, IMAGE, 10);
      Model start = a.initialModel(2);
      Evaluator evaluator = Evaluator.of(a, test);
      double java = evaluator.evaluate(new NetworkTrainer(a, config).train(start, data.train(), examples, 9).model()).accuracy();
      double torch = evaluator.evaluate(new PyTorchTrainer(a, IMAGE, 10, config).train(start, data.train(), examples, 9).model())
          .accuracy();
      assertTrue(java > 0.5, spec + ": the Java engine reached only " + java);
      assertEquals(java, torch, 0.08, spec + ": Java " + java + ", PyTorch " + torch);
    }
  }

  @Test
  void theSameSeedGivesTheSameModelAndSgdWithMomentumTrains() {
    Architecture a = Architecture.byName(LAYERS, IMAGE, 10);
    int[] examples = seededSubset(256, 3);
    LocalTrainer trainer = new PyTorchTrainer(a, IMAGE, 10, new TrainingConfig(2, 64, OptimizerConfig.sgd(0.01, 0.9)));
    Model start = a.initialModel(3);
    TrainingResult first = trainer.train(start, data.train(), examples, 4);
    assertEquals(first.model(), trainer.train(start, data.train(), examples, 4).model());
    assertNotEquals(first.model(), trainer.train(start, data.train(), examples, 5).model());
    // The gradient reaches the first convolution through the second: both engines compute the same losses.
    double java = new NetworkTrainer(a, new TrainingConfig(2, 64, OptimizerConfig.sgd(0.01, 0.9))).train(start, data.train(), examples, 4)
        .meanLoss();
    assertEquals(java, first.meanLoss(), 1e-4, "mean training loss");
    Evaluator evaluator = Evaluator.of(a, data.train().select("subset", examples));
    assertTrue(evaluator.evaluate(first.model()).loss() < evaluator.evaluate(start).loss());
  }

  /** Client actors share one trainer and call it at the same time: each call gets the result it gets alone. */
  @Test
  void concurrentCallsGiveTheResultsOfSequentialOnes() throws Exception {
    Architecture a = Architecture.byName("conv:4:3,pool:2,conv:4:3,dense:10", IMAGE, 10);
    LocalTrainer trainer = new PyTorchTrainer(a, IMAGE, 10, new TrainingConfig(1, 32, OptimizerConfig.adam(0.001)));
    Model start = a.initialModel(5);
    List<int[]> parts = List.of(seededSubset(192, 5), seededSubset(192, 6), seededSubset(192, 7));
    List<Model> alone = parts.stream().map(p -> trainer.train(start, data.train(), p, 8).model()).toList();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(parts.size());
    try {
      List<java.util.concurrent.Future<Model>> together = parts.stream()
          .map(p -> pool.submit(() -> trainer.train(start, data.train(), p, 8).model())).toList();
      for (int i = 0; i < parts.size(); i++) {
        assertEquals(alone.get(i), together.get(i).get(5, java.util.concurrent.TimeUnit.MINUTES), "client " + i);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void prunedTrainingHoldsTheWeightsOutsideTheMasksAtZero() {
    Architecture a = Architecture.byName(LAYERS, IMAGE, 10);
    Model start = a.initialModel(4);
    Mask[] masks = new Mask[a.spec().tensorCount()];
    Random rng = new Random(4);
    for (int t = 0; t < masks.length; t++) {
      if (a.spec().tensor(t).prunable()) {
        int n = a.spec().tensor(t).size();
        masks[t] = Mask.fromPositions(n, IntStream.range(0, n).filter(i -> rng.nextBoolean()).toArray());
      }
    }
    MaskSet keep = MaskSet.of(a.spec(), masks);
    LocalTrainer trainer = new PyTorchTrainer(a, IMAGE, 10, new TrainingConfig(1, 64, OptimizerConfig.sgd(0.01, 0.9)));
    Model trained = trainer.trainPruned(start, keep, data.train(), seededSubset(256, 4), 6).model();
    for (int t = 0; t < masks.length; t++) {
      boolean changed = false;
      for (int i = 0; i < a.spec().tensor(t).size(); i++) {
        if (masks[t] != null && !masks[t].get(i)) {
          assertEquals(0f, trained.tensor(t).get(i), a.spec().tensor(t).name() + "[" + i + "]");
        } else {
          changed |= trained.tensor(t).get(i) != start.tensor(t).get(i);
        }
      }
      assertTrue(changed, a.spec().tensor(t).name() + " did not train");
    }
  }
}
