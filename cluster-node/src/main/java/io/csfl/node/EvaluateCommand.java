package io.csfl.node;

import io.csfl.checkpoint.SafeTensors;
import io.csfl.checkpoint.TensorFile;
import io.csfl.checkpoint.TensorFileException;
import io.csfl.data.DataFileException;
import io.csfl.data.Dataset;
import io.csfl.data.FashionMnist;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluation;
import io.csfl.nn.Evaluator;
import io.csfl.tensor.Model;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code csfl evaluate}: the test accuracy and loss of a saved model, computed exactly as the
 * server computes them each round, so the number matches the run's last metrics row.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Print the Fashion-MNIST test accuracy and loss of a model saved as safetensors (e.g. OUT/model.safetensors).")
final class EvaluateCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "FILE", description = "The safetensors model file.")
  Path model;

  @Option(names = "--model-spec", paramLabel = "SPEC", description = "The model's --model: mlp, cnn, logreg, a layer list or @FILE. Default: the architecture recorded in the file, else mlp.")
  String modelSpec;

  @Option(names = "--data-dir", description = "Directory with the four Fashion-MNIST .gz files. Default: $CSFL_DATA, then data/fashion-mnist, then /usr/share/datasets/fashion-mnist.")
  Path dataDir;

  @Option(names = "--eval-examples", defaultValue = "10000", description = "Evaluate on the first N test images. Default: ${DEFAULT-VALUE}.")
  int evalExamples;

  @Override
  public Integer call() {
    Model loaded;
    Dataset test;
    try {
      FederationOptions.require(evalExamples > 0, "--eval-examples must be positive");
      Architecture given = modelSpec == null ? null : Architecture.byName(FederationOptions.modelText(modelSpec));
      long bound = SafeTensors.maxModelFileBytes(Architecture.cnn().spec());
      TensorFile file = SafeTensors.read(model, given == null ? bound : Math.max(bound, SafeTensors.maxModelFileBytes(given.spec())));
      Architecture architecture = given != null ? given : Architecture.byName(file.meta("architecture").orElse("mlp"));
      loaded = SafeTensors.toModel(file, architecture.spec(), model.toString());
      test = FashionMnist.load(Optional.ofNullable(dataDir)).test();
      if (test.size() > evalExamples) {
        test = test.head(evalExamples);
      }
      Evaluation e = new Evaluator(architecture, test).evaluate(loaded);
      spec.commandLine().getOut().printf(Locale.ROOT, "%s: accuracy %.6f  loss %.6f  (%s, %d test images)%n", model, e.accuracy(),
          e.loss(), architecture.name(), test.size());
      spec.commandLine().getOut().flush();
      return 0;
    } catch (IllegalArgumentException | TensorFileException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    } catch (DataFileException e) {
      spec.commandLine().getErr().println("csfl: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
  }
}
