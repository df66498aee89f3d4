package io.csfl.node;

import io.csfl.data.CsvDataset;
import io.csfl.data.FashionMnist;
import io.csfl.data.IdxDataset;
import io.csfl.data.Splits;
import io.csfl.data.SyntheticFederated;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The flags that say which data set to read and how: {@code --dataset} and its companions. A
 * mixin of every command that reads data ({@code simulate}, {@code node}, {@code evaluate}), so a
 * model can be evaluated on the data it was trained on, named the same way.
 */
final class DataOptions {
  @Option(names = "--data-dir", paramLabel = "DIR", description = "Directory with the four Fashion-MNIST .gz files. Default: $CSFL_DATA, then data/fashion-mnist, then /usr/share/datasets/fashion-mnist.")
  Path dataDir;

  @Option(names = "--dataset", paramLabel = "SPEC", defaultValue = "fashion-mnist",
      description = "fashion-mnist (looked up as --data-dir says), idx:DIR (any MNIST-family set of IDX files), csv:FILE (with --label-column) or synthetic:ALPHA,BETA (FedProx's Synthetic benchmark, 30 devices, generated from --seed). Default: ${DEFAULT-VALUE}.")
  String dataset;

  @Option(names = "--label-column", paramLabel = "NAME", description = "csv: the column of integer labels (classes 0 to the largest). Required with csv:FILE.")
  String labelColumn;

  @Option(names = "--group-column", paramLabel = "NAME", description = "csv: the column naming each row's group (user, device) for --partition natural.")
  String groupColumn;

  @Option(names = "--test-file", paramLabel = "FILE", description = "csv: the test set, a CSV file with the training file's columns.")
  Path testFile;

  @Option(names = "--test-fraction", paramLabel = "F", description = "csv: hold out this fraction of the rows (of each group) as the test set, drawn from --seed.")
  Double testFraction;

  @Option(names = "--standardize", description = "csv: scale each feature to mean 0 and standard deviation 1 with the training rows' statistics.")
  boolean standardize;

  @Option(names = "--classes", paramLabel = "N", description = "csv and idx: the number of classes, labels 0 to N-1. Default: the largest label plus one. "
      + "Give it when a file may lack a class, as a site's file may with --private-data.")
  Integer classes;

  /**
   * Whether only the training set is read: a node of a federation with private data that does
   * not evaluate (runs no server) needs no test set, so a CSV site need not hold rows out.
   */
  boolean trainingOnly;

  /**
   * The CSV flags go with a CSV dataset only; a CSV dataset needs a label column and one test
   * source. --data-dir is ignored by the other datasets, as containers set it for all runs.
   */
  void checkFlags() {
    boolean csv = csv();
    FederationOptions.require(csv || (labelColumn == null && groupColumn == null && testFile == null && testFraction == null && !standardize),
        "--label-column, --group-column, --test-file, --test-fraction and --standardize go with --dataset csv:FILE only");
    FederationOptions.require(classes == null || csv || idx(), "--classes goes with --dataset csv:FILE or idx:DIR only");
    FederationOptions.require(classes == null || (classes >= 2 && classes <= io.csfl.data.Dataset.MAX_CLASSES),
        "--classes must be between 2 and " + io.csfl.data.Dataset.MAX_CLASSES + ", got " + classes);
    if (csv) {
      FederationOptions.require(labelColumn != null, "--dataset csv:FILE needs --label-column NAME");
      FederationOptions.require(testFile == null || testFraction == null, "--test-file and --test-fraction exclude each other: give one test set");
      FederationOptions.require(trainingOnly || testFile != null || testFraction != null,
          "--dataset csv:FILE needs a test set: --test-file FILE or --test-fraction F, one of them");
      FederationOptions.require(testFraction == null || (testFraction > 0 && testFraction < 1), "--test-fraction must be between 0 and 1");
    }
  }

  /** What kind of data --dataset names: fashion-mnist, idx, csv or synthetic (the word before a colon), or an unknown word. */
  String kind() {
    return dataset.trim().split(":", 2)[0];
  }

  /** Whether --dataset names a CSV file. */
  boolean csv() {
    return kind().equals("csv");
  }

  /** Whether --dataset names an IDX file set of its own directory. */
  boolean idx() {
    return kind().equals("idx");
  }

  /** Whether --dataset names generated data (the same on every node that generates them from the same seed). */
  boolean generated() {
    return kind().equals("synthetic");
  }

  /** Column lists longer than this are named in a signature by their count and a hash: a refusal's log line shows 500 characters of each side. */
  static final int MAX_COLUMNS_IN_SIGNATURE = 400;

  /**
   * What the data of different owners must have in common for one model to train on them all:
   * the input shape, the classes and, for a CSV file, its feature columns in their order, in
   * words of a signature: each column name URL-encoded (a space would end the word), joined by
   * commas; a list longer than {@link #MAX_COLUMNS_IN_SIGNATURE} by its count and a hash.
   */
  String schema(io.csfl.data.Dataset train) {
    String shape = java.util.Arrays.stream(train.shape()).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining("x"));
    String schema = "shape=" + shape + " classes=" + train.classes();
    if (csv()) {
      schema += " columns=" + featureColumns(MAX_COLUMNS_IN_SIGNATURE);
    }
    return schema;
  }

  /** The metadata key of a model file that records the CSV columns it was trained on, for {@code evaluate} to check. */
  static final String COLUMNS_KEY = "csv-columns";
  /** Column lists longer than this are recorded in a model file by their count and a hash. */
  static final int MAX_COLUMNS_IN_MODEL_FILE = 1 << 16;

  /** The metadata key of a model file that records whether its CSV features were standardized ({@code true} or {@code false}). */
  static final String STANDARDIZED_KEY = "csv-standardized";

  /** What a model file trained on these data records of them: the CSV columns and their scaling, or nothing for other data. */
  java.util.Map<String, String> modelMetadata() {
    return csv() ? java.util.Map.of(COLUMNS_KEY, featureColumns(MAX_COLUMNS_IN_MODEL_FILE), STANDARDIZED_KEY, Boolean.toString(standardize))
        : java.util.Map.of();
  }

  /**
   * Why a model file or checkpoint that recorded {@code file}'s metadata ({@link #modelMetadata()})
   * cannot be used on these data, or null: a model trained on CSV columns in another order, or on
   * features scaled otherwise (standardized, or as the file gives them), reads other inputs than
   * it learned from, and evaluates to an accuracy that means nothing or starts a run from weights
   * that do not fit. A file without the record (other data, or written before it was kept) is not
   * checked for it.
   */
  String trainedOnRefusal(io.csfl.checkpoint.TensorFile file) {
    if (!csv()) {
      return null;
    }
    String columns = file.meta(COLUMNS_KEY).map(this::columnsRefusal).orElse(null);
    if (columns != null) {
      return columns;
    }
    return file.meta(STANDARDIZED_KEY).filter(recorded -> Boolean.parseBoolean(recorded) != standardize)
        .map(recorded -> Boolean.parseBoolean(recorded)
            ? "the model was trained on standardized features: give --standardize (with the run's training file, whose statistics scale them)"
            : "the model was trained on the features as the file gives them, not standardized: leave out --standardize")
        .orElse(null);
  }

  /** {@link #featureColumns()}, or, past {@code maxChars}, the number of columns and a hash of the list. */
  String featureColumns(int maxChars) {
    String columns = featureColumns();
    if (columns.length() <= maxChars) {
      return columns;
    }
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(columns.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return columns.split(",", -1).length + "#" + String.format("%08x", crc.getValue());
  }

  /**
   * Why a model that recorded {@code recorded} ({@link #modelMetadata()}) cannot be evaluated on
   * this CSV file, or null: a model reads each feature by its place, so the same columns in
   * another order give it other inputs, and an accuracy that means nothing.
   */
  String columnsRefusal(String recorded) {
    String here = featureColumns(MAX_COLUMNS_IN_MODEL_FILE);
    if (recorded.equals(here)) {
      return null;
    }
    String[] trained = recorded.split(",", -1);
    String[] given = here.split(",", -1);
    String where = "";
    if (!recorded.contains("#") && !here.contains("#")) {
      for (int i = 0; i < Math.max(trained.length, given.length); i++) {
        String a = i < trained.length ? decoded(trained[i]) : "(none)";
        String b = i < given.length ? decoded(given[i]) : "(none)";
        if (!a.equals(b)) {
          where = ": feature " + (i + 1) + " is '" + b + "' here, '" + a + "' in training";
          break;
        }
      }
    }
    return "the model was trained on other CSV feature columns" + where + " (" + columnCount(recorded) + " columns in training, "
        + columnCount(here) + " here); give a file with the training file's feature columns in their order";
  }

  /** The number of columns a list of {@link #featureColumns(int)} names: its words, or the count before a hash. */
  private static String columnCount(String columns) {
    int hash = columns.indexOf('#');
    return hash < 0 ? String.valueOf(columns.split(",", -1).length) : CsflCommand.oneLine(columns.substring(0, Math.min(hash, 12)));
  }

  private static String decoded(String column) {
    return java.net.URLDecoder.decode(column, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The CSV file's feature columns as a signature names them, URL-encoded and joined by commas, however long. */
  String featureColumns() {
    return featureColumnNames().stream().map(c -> java.net.URLEncoder.encode(c, java.nio.charset.StandardCharsets.UTF_8))
        .collect(java.util.stream.Collectors.joining(","));
  }

  /** {@link #featureColumnNames()}, read once: the signatures, the run definition and the model's metadata all ask. */
  private List<String> featureColumnNames;

  /** The CSV file's feature columns, as its header names them, in their order. */
  List<String> featureColumnNames() {
    if (featureColumnNames == null) {
      featureColumnNames = CsvDataset.featureColumns(Path.of(dataset.trim().split(":", 2)[1].trim()), csvOptions());
    }
    return featureColumnNames;
  }

  private CsvDataset.Options csvOptions() {
    return new CsvDataset.Options(labelColumn, groupColumn, standardize, classes == null ? 0 : classes);
  }

  /**
   * Reads the data --dataset names; {@code seed} draws the synthetic data and a CSV hold-out.
   * Bad flags or data are an IllegalArgumentException naming the flag; an unreadable file a
   * {@link io.csfl.data.DataFileException}.
   */
  Splits load(long seed) {
    String[] parts = dataset.trim().split(":", 2);
    String arg = parts.length > 1 ? parts[1].trim() : "";
    FederationOptions.require(List.of("fashion-mnist", "idx", "csv", "synthetic").contains(parts[0]),
        "unknown --dataset '" + dataset + "' (expected fashion-mnist, idx:DIR, csv:FILE or synthetic:ALPHA,BETA)");
    FederationOptions.require(parts[0].equals("fashion-mnist") || !arg.isEmpty(), "--dataset " + parts[0] + " needs a parameter, as in "
        + parts[0] + ":" + switch (parts[0]) { case "idx" -> "DIR"; case "csv" -> "FILE"; default -> "ALPHA,BETA"; });
    return switch (parts[0]) {
      case "fashion-mnist" -> {
        FederationOptions.require(parts.length == 1, "--dataset fashion-mnist takes no parameter (its directory is --data-dir)");
        yield FashionMnist.splits(Optional.ofNullable(dataDir));
      }
      case "idx" -> {
        Path directory = Path.of(arg).toAbsolutePath().normalize();
        // The data set's name is its directory's; the root has no name of its own.
        String name = directory.getFileName() == null ? directory.toString() : directory.getFileName().toString();
        if (trainingOnly) {
          // A training site's: its t10k files, if any, would go unused.
          io.csfl.data.Dataset train = IdxDataset.loadTraining(Path.of(arg), name, classes == null ? 0 : classes);
          yield new Splits(train, train.head(0), arg);
        }
        yield IdxDataset.load(Path.of(arg), name, classes == null ? 0 : classes);
      }
      case "csv" -> {
        CsvDataset.Options o = csvOptions();
        if (testFile == null && testFraction == null) {
          // A training site's: no test set (checkFlags allows none only then).
          io.csfl.data.Dataset train = CsvDataset.loadTraining(Path.of(arg), o);
          yield new Splits(train, train.head(0), arg);
        }
        yield testFile != null ? CsvDataset.load(Path.of(arg), testFile, o) : CsvDataset.loadWithHoldOut(Path.of(arg), testFraction, seed, o);
      }
      case "synthetic" -> {
        String[] ab = arg.split(",");
        FederationOptions.require(ab.length == 2, "--dataset synthetic:ALPHA,BETA needs two numbers, as in synthetic:1,1, got '" + arg + "'");
        try {
          yield SyntheticFederated.generate(Double.parseDouble(ab[0].trim()), Double.parseDouble(ab[1].trim()), seed);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--dataset synthetic:ALPHA,BETA needs two numbers, as in synthetic:1,1, got '" + arg + "'");
        }
      }
      default -> throw new IllegalStateException(parts[0]);
    };
  }
}
