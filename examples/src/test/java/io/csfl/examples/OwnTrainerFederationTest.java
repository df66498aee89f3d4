package io.csfl.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.data.SyntheticFederated;
import io.csfl.nn.TrainingResult;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OwnTrainerFederationTest {
  private static final long SEED = OwnTrainerFederation.DEFAULT_SEED;

  /** The accuracy of always answering the test set's most frequent class. */
  static double majorityShare(Dataset test) {
    int[] counts = new int[test.classes()];
    for (int i = 0; i < test.size(); i++) {
      counts[test.label(i)]++;
    }
    return (double) IntStream.of(counts).max().orElseThrow() / test.size();
  }

  @Test
  void csFederatesAModelAndTrainerOfTheApplicationsOwn() throws Exception {
    Dataset test = SyntheticFederated.generate(1, 1, SEED).test();
    ModelSpec spec = OwnTrainerFederation.spec(test);
    double initial = new OwnTrainerFederation.SoftmaxRegressionEvaluator(spec, test)
        .evaluate(OwnTrainerFederation.initialModel(spec, 1)).accuracy();
    // Neither the model it starts from nor a model that always answers one class gets this far.
    double floor = Math.max(initial, majorityShare(test)) + 0.2;

    Server.Finished finished = assertInstanceOf(Server.Finished.class, OwnTrainerFederation.run(6, SEED,
        ConfigFactory.parseString("akka.actor.serialize-messages = on").withFallback(ConfigFactory.load())));

    assertEquals(6, finished.rounds().size());
    double last = finished.rounds().get(5).accuracy();
    assertTrue(last > floor, "accuracy " + last + " after 6 rounds, not above " + floor);
  }

  @Test
  void theTrainerIsDeterministicForASeedAndLeavesItsInputsAlone() {
    Dataset train = SyntheticFederated.generate(1, 1, SEED).train();
    ModelSpec spec = OwnTrainerFederation.spec(train);
    OwnTrainerFederation.SoftmaxRegressionTrainer trainer = new OwnTrainerFederation.SoftmaxRegressionTrainer(spec, 2, 10, 0.01f);
    Model start = OwnTrainerFederation.initialModel(spec, 1);
    int[] examples = IntStream.range(0, 200).toArray();

    TrainingResult a = trainer.train(start, train, examples, 5);
    TrainingResult b = trainer.train(start, train, examples, 5);

    assertEquals(a.model(), b.model());
    assertEquals(IntStream.range(0, 200).boxed().toList(), IntStream.of(examples).boxed().toList());
    assertEquals(OwnTrainerFederation.initialModel(spec, 1), start);
    assertTrue(!a.model().equals(start), "training changed nothing");
    assertTrue(!a.model().equals(trainer.train(start, train, examples, 6).model()), "another seed, another shuffle");
  }
}
