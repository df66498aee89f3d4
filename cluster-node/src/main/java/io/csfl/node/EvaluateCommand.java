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
import java.util.List;
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
      FederationOptions.require(!model.toString().isBlank(), "--model must name a file, got an empty path");
      data.checkFlags();
      test = data.load(seed).test();
      Architecture given = modelSpec == null ? null : modelSpec(test);
      if (!java.nio.file.Files.exists(model)) {
        throw new IllegalArgumentException(missingModel(model));
      }
      long bound = largestPreset(test);
      TensorFile read = SafeTensors.read(model, given == null ? bound : Math.max(bound, Checkpoints.maxFileBytes(given.spec())));
      Checkpoints.requireIntact(read, model.toString());
      TensorFile file = Checkpoint.modelTensors(read);
      // A model reads each feature by its place and scale: refused on CSV columns or scaling other than it trained on.
      String trainedOn = data.trainedOnRefusal(read);
      FederationOptions.require(trainedOn == null, model + ": " + trainedOn);
      Architecture architecture = given != null ? given
          : Architecture.byName(read.meta("architecture").orElse("mlp"), test.shape(), test.classes());
      try {
        loaded = SafeTensors.toModel(file, architecture.spec(), model.toString());
      } catch (TensorFileException e) {
        // The classes of a CSV file or IDX set are its labels': one that lacks a class builds a smaller last layer.
        int fileClasses = data.classes == null && (data.csv() || data.idx()) ? classesOf(file, architecture, test) : 0;
        throw fileClasses > test.classes() ? new IllegalArgumentException(e.getMessage() + " (the data have " + test.classes()
            + " classes, the model " + fileClasses + ": give --classes " + fileClasses + ")", e) : e;
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

  /** Why {@code model} is not there, with the model files of its directory (a run of several algorithms writes one each). */
  private static String missingModel(Path model) {
    Path dir = model.toAbsolutePath().getParent();
    List<String> models = new java.util.ArrayList<>();
    try (java.util.stream.Stream<Path> files = dir == null ? java.util.stream.Stream.empty() : java.nio.file.Files.list(dir)) {
      files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("model") && n.endsWith(".safetensors")).sorted().forEach(models::add);
    } catch (java.io.IOException | RuntimeException e) {
      // No directory to look in: the file alone is named.
    }
    return model + " does not exist" + (models.isEmpty() ? "" : "; its directory holds " + String.join(", ", models));
  }

  /**
   * The classes of the model in {@code file}, when it is {@code architecture} built for more classes
   * than {@code test} has (a file whose last tensor is the output's bias); 0 otherwise.
   */
  private static int classesOf(TensorFile file, Architecture architecture, Dataset test) {
    List<io.csfl.tensor.TensorSpec> tensors = architecture.spec().tensors();
    TensorFile.Tensor last = file.tensors().get(tensors.get(tensors.size() - 1).name());
    if (last == null || last.shape().length != 1 || last.shape()[0] <= test.classes() || last.shape()[0] > Dataset.MAX_CLASSES) {
      return 0;
    }
    int classes = (int) last.shape()[0];
    try {
      SafeTensors.toModel(file, Architecture.byName(architecture.name(), test.shape(), classes).spec(), "");
      return classes;
    } catch (IllegalArgumentException | TensorFileException e) {
      return 0;
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
