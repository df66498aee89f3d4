package io.csfl.node;

import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.Checkpoints;
import io.csfl.checkpoint.SafeTensors;
import io.csfl.checkpoint.TensorFile;
import io.csfl.checkpoint.TensorFileException;
import io.csfl.data.DataFileException;
import io.csfl.data.Dataset;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluation;
import io.csfl.nn.Evaluator;
import io.csfl.tensor.Model;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code csfl evaluate}: the test accuracy and loss of a saved model, computed exactly as the
 * server computes them each round, so the number matches the run's last metrics row.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Print the test accuracy and loss of a model saved as safetensors (e.g. OUT/model.safetensors), on the test set of "
        + "--dataset, named as in simulate.")
final class EvaluateCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "FILE", description = "The safetensors model file.")
  Path model;

  @Option(names = "--model-spec", paramLabel = "SPEC", description = "The model's --model: mlp, cnn, logreg, a layer list or @FILE. Default: the architecture recorded in the file, else mlp.")
  String modelSpec;

  @Mixin
  DataOptions data = new DataOptions();

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "The --seed of the run that trained the model: it draws synthetic data and a CSV --test-fraction. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--eval-examples", paramLabel = "N", defaultValue = "10000", description = "Evaluate on the first N test examples. Default: ${DEFAULT-VALUE}.")
  int evalExamples;

  /** The architecture --model-spec names for {@code test}; a refusal names the flag. */
  private Architecture modelSpec(Dataset test) {
    String text = FederationOptions.modelText("--model-spec", modelSpec);
    try {
      return Architecture.byName(text, test.shape(), test.classes());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model-spec " + modelSpec + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Integer call() {
    Model loaded;
    Dataset test;
    try {
      FederationOptions.require(evalExamples > 0, "--eval-examples must be positive");
      data.checkFlags();
      test = data.load(seed).test();
      Architecture given = modelSpec == null ? null : modelSpec(test);
      long bound = largestPreset(test);
      TensorFile read = SafeTensors.read(model, given == null ? bound : Math.max(bound, Checkpoints.maxFileBytes(given.spec())));
      Checkpoints.requireIntact(read, model.toString());
      TensorFile file = Checkpoint.modelTensors(read);
      // A model reads each feature by its place: refused on CSV columns other than those it trained on.
      String columnsRefusal = data.csv() ? read.meta(DataOptions.COLUMNS_KEY).map(data::columnsRefusal).orElse(null) : null;
      FederationOptions.require(columnsRefusal == null, model + ": " + columnsRefusal);
      Architecture architecture = given != null ? given
          : Architecture.byName(read.meta("architecture").orElse("mlp"), test.shape(), test.classes());
      try {
        loaded = SafeTensors.toModel(file, architecture.spec(), model.toString());
      } catch (TensorFileException e) {
        // The classes of a CSV file or IDX set are its labels': one that lacks a class builds a smaller last layer.
        boolean classesFromLabels = data.classes == null && (data.csv() || data.idx());
        throw classesFromLabels ? new IllegalArgumentException(e.getMessage() + " (the data have " + test.classes()
            + " classes; for a model of more, give --classes N)", e) : e;
      }
      if (test.size() > evalExamples) {
        test = test.head(evalExamples);
      }
      Evaluation e = Evaluator.of(architecture, test).evaluate(loaded);
      spec.commandLine().getOut().printf(Locale.ROOT, "%s: accuracy %.6f  loss %.6f  (%s, %d test examples of %s)%n", model,
          e.accuracy(), e.loss(), architecture.name(), test.size(), test.name());
      spec.commandLine().getOut().flush();
      return 0;
    } catch (IllegalArgumentException | TensorFileException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    } catch (DataFileException e) {
      spec.commandLine().getErr().println("csfl: " + CsflCommand.oneLine(e.getMessage()));
      return CommandLine.ExitCode.USAGE;
    }
  }

  /** The bound of a model or checkpoint file: the checkpoint of the largest preset that reads the data (the cnn reads images only). */
  private static long largestPreset(Dataset test) {
    long largest = 0;
    for (String preset : Architecture.PRESETS) {
      try {
        largest = Math.max(largest, Checkpoints.maxFileBytes(Architecture.byName(preset, test.shape(), test.classes()).spec()));
      } catch (IllegalArgumentException notForThisData) {
        // A preset that cannot read this data cannot have been trained on it.
      }
    }
    return largest;
  }
}
