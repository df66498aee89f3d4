package io.csfl.data;

import io.csfl.internal.data.Shuffle;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Loads labelled examples from CSV files (RFC 4180, comma-separated, UTF-8). The first line names
 * the columns. One column holds the label, an integer from 0 (the classes are 0 to the largest
 * training label); an optional group column names each row's group (user, device) for the
 * {@code natural} split; every other column is a numeric feature, so each example is a flat
 * vector. A test file must have the label column and every feature column of the training file,
 * by name, in any order. With {@code standardize}, each feature is shifted and scaled to mean 0
 * and standard deviation 1 using the training rows' statistics only, and the test rows get the
 * same transform.
 *
 * <p>A file that does not fit is one {@link DataFileException} naming the file, the row and the
 * column: a missing column, a row with more or fewer values than the header, a value that is not
 * a finite number, a label that is not an integer in range, an empty group.
 */
public final class CsvDataset {
  private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder()
      .setHeader().setSkipHeaderRecord(true).setIgnoreEmptyLines(true).setTrim(true)
      .setDuplicateHeaderMode(org.apache.commons.csv.DuplicateHeaderMode.DISALLOW).get();

  /**
   * How to read the files.
   *
   * @param labelColumn the name of the label column
   * @param groupColumn the name of the group column, or null for none
   * @param standardize whether to standardise the features with the training set's statistics
   * @param classes     the number of classes, labels 0 to {@code classes - 1}; 0 for the largest
   *                    training label plus one. Give it when a file may lack a class that others
   *                    have (one site's file of a federation): a model has one output per class,
   *                    and every site's model must have as many.
   */
  public record Options(String labelColumn, String groupColumn, boolean standardize, int classes) {
    /**
     * Checks that a label column is named, that the group column, if any, is another one, and
     * that a given class count is one a {@link Dataset} can have.
     *
     * @throws NullPointerException if {@code labelColumn} is null
     * @throws IllegalArgumentException if {@code groupColumn} equals {@code labelColumn}, or
     *     {@code classes} is neither 0 nor between 2 and {@link Dataset#MAX_CLASSES}
     */
    public Options {
      Objects.requireNonNull(labelColumn, "labelColumn");
      if (labelColumn.equals(groupColumn)) {
        throw new IllegalArgumentException("the label column and the group column are both '" + labelColumn + "'");
      }
      ClassCount.require(classes);
    }

    /** Classes 0 to the largest training label. */
    public Options(String labelColumn, String groupColumn, boolean standardize) {
      this(labelColumn, groupColumn, standardize, 0);
    }
  }

  private CsvDataset() {}

  /** The training set from {@code trainFile} and the test set from {@code testFile}. */
  public static Splits load(Path trainFile, Path testFile, Options options) {
    Table train = read(trainFile, options, null);
    Table test = read(testFile, options, train);
    return finish(train, test, trainFile + " and " + testFile, options);
  }

  /**
   * The training set from {@code file}, less a seeded hold-out of {@code testFraction} of its
   * rows, which is the test set. With groups the hold-out is taken from each group, rounded
   * down, so every group keeps its training rows.
   */
  public static Splits loadWithHoldOut(Path file, double testFraction, long seed, Options options) {
    if (!(testFraction > 0 && testFraction < 1)) {
      throw new IllegalArgumentException("the test fraction must be between 0 and 1, got " + testFraction);
    }
    Table all = read(file, options, null);
    Random rng = new Random(seed);
    List<Integer> trainRows = new ArrayList<>();
    List<Integer> testRows = new ArrayList<>();
    Map<String, List<Integer>> byGroup = new LinkedHashMap<>();
    for (int i = 0; i < all.labels.size(); i++) {
      byGroup.computeIfAbsent(all.groups == null ? "" : all.groups.get(i), k -> new ArrayList<>()).add(i);
    }
    for (List<Integer> rows : byGroup.values()) {
      int[] order = Shuffle.range(rows.size(), rng);
      int held = (int) (testFraction * rows.size());
      for (int i = 0; i < order.length; i++) {
        (i < held ? testRows : trainRows).add(rows.get(order[i]));
      }
    }
    if (testRows.isEmpty()) {
      throw new DataFileException(file + ": a test fraction of " + testFraction + " of " + all.labels.size()
          + " rows holds none out; give a larger test fraction or a test file of its own");
    }
    trainRows.sort(null);
    testRows.sort(null);
    return finish(all.subset(trainRows, "train"), all.subset(testRows, "test"), file + " (test fraction " + testFraction + ")", options);
  }

  /**
   * The training set from {@code file} alone, for a federation's site that only trains: the
   * server evaluates on a test set of its own. Read as {@link #load} reads a training file.
   */
  public static Dataset loadTraining(Path file, Options options) {
    Table train = read(file, options, null);
    if (options.standardize()) {
      train.standardize(train.meanAndScale());
    }
    return train.build(classes(train, options));
  }

  /**
   * The feature columns of {@code file}, in the order of the features of the examples read from
   * it: every column but the label and the group. Reads only the header line; two sites whose
   * files have the same features in another order would otherwise train one model on two
   * meanings of each input.
   */
  public static List<String> featureColumns(Path file, Options options) {
    DataFileException.requireRegularFile(file);
    try (Reader in = withoutByteOrderMark(Files.newBufferedReader(file, StandardCharsets.UTF_8));
         CSVParser parser = CSVParser.builder().setReader(in).setFormat(FORMAT).get()) {
      return features(parser.getHeaderNames(), options);
    } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
      throw unreadable(file, e);
    }
  }

  private static List<String> features(List<String> header, Options options) {
    return header.stream().filter(h -> !h.equals(options.labelColumn()) && !h.equals(options.groupColumn())).toList();
  }

  /** The class count of {@code options}, or the largest training label plus one; a training label past a given count is refused. */
  private static int classes(Table train, Options options) {
    if (options.classes() == 0) {
      return Math.max(2, train.labels.stream().mapToInt(Integer::intValue).max().orElse(0) + 1);
    }
    requireLabelsBelow(train, options.classes(), "the classes are 0 to " + (options.classes() - 1));
    return options.classes();
  }

  private static void requireLabelsBelow(Table t, int classes, String range) {
    for (int i = 0; i < t.labels.size(); i++) {
      if (t.labels.get(i) >= classes) {
        throw new DataFileException(t.file + ", " + t.where(i) + ": label " + t.labels.get(i) + " is out of range: " + range);
      }
    }
  }

  private static Splits finish(Table train, Table test, String source, Options options) {
    if (options.standardize()) {
      float[][] stats = train.meanAndScale();
      train.standardize(stats);
      test.standardize(stats);
    }
    int classes = classes(train, options);
    requireLabelsBelow(test, classes, options.classes() == 0 ? "the training labels are 0 to " + (classes - 1)
        : "the classes are 0 to " + (classes - 1));
    return new Splits(train.build(classes), test.build(classes), source);
  }

  /** The rows of one file, as read, before they become a {@link Dataset}. */
  private static final class Table {
    final Path file;
    final String name;
    final List<String> featureColumns;
    final List<float[]> rows = new ArrayList<>();
    final List<Integer> labels = new ArrayList<>();
    final List<Long> rowNumbers = new ArrayList<>();
    final List<String> groups;

    Table(Path file, String name, List<String> featureColumns, boolean grouped) {
      this.file = file;
      this.name = name;
      this.featureColumns = featureColumns;
      this.groups = grouped ? new ArrayList<>() : null;
    }

    String where(int i) {
      return "row " + rowNumbers.get(i);
    }

    Table subset(List<Integer> indices, String part) {
      Table t = new Table(file, name + " " + part, featureColumns, groups != null);
      for (int i : indices) {
        t.rows.add(rows.get(i));
        t.labels.add(labels.get(i));
        t.rowNumbers.add(rowNumbers.get(i));
        if (groups != null) {
          t.groups.add(groups.get(i));
        }
      }
      return t;
    }

    float[][] meanAndScale() {
      int f = featureColumns.size();
      double[] sum = new double[f];
      double[] sumSq = new double[f];
      for (float[] r : rows) {
        for (int j = 0; j < f; j++) {
          sum[j] += r[j];
        }
      }
      float[] mean = new float[f];
      for (int j = 0; j < f; j++) {
        mean[j] = (float) (sum[j] / rows.size());
      }
      for (float[] r : rows) {
        for (int j = 0; j < f; j++) {
          double d = r[j] - mean[j];
          sumSq[j] += d * d;
        }
      }
      float[] scale = new float[f];
      for (int j = 0; j < f; j++) {
        double sd = Math.sqrt(sumSq[j] / rows.size());
        // A constant feature is only centred.
        scale[j] = sd > 0 ? (float) (1 / sd) : 1f;
      }
      return new float[][] {mean, scale};
    }

    void standardize(float[][] stats) {
      for (float[] r : rows) {
        for (int j = 0; j < r.length; j++) {
          r[j] = (r[j] - stats[0][j]) * stats[1][j];
        }
      }
    }

    Dataset build(int classes) {
      Dataset.Builder b = Dataset.builder(name, featureColumns.size()).classes(classes);
      for (int i = 0; i < rows.size(); i++) {
        if (groups != null) {
          b.add(rows.get(i), labels.get(i), groups.get(i));
        } else {
          b.add(rows.get(i), labels.get(i));
        }
      }
      try {
        return b.build();
      } catch (IllegalArgumentException e) {
        throw new DataFileException(file + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Reads one file. Without {@code like} it is a training file: its features are all columns
   * but the label and the group. With it, a test file that needs {@code like}'s columns.
   */
  private static Table read(Path file, Options options, Table like) {
    DataFileException.requireRegularFile(file);
    try (Reader in = withoutByteOrderMark(Files.newBufferedReader(file, StandardCharsets.UTF_8));
         CSVParser parser = CSVParser.builder().setReader(in).setFormat(FORMAT).get()) {
      List<String> header = parser.getHeaderNames();
      if (header.isEmpty()) {
        throw new DataFileException(file + " is empty: expected a header line naming the columns");
      }
      // Column positions by name (FORMAT refuses a name twice), looked up once per feature: a wide file has as many columns as features.
      Map<String, Integer> at = parser.getHeaderMap();
      requireColumn(file, header, at, options.labelColumn(), "label");
      boolean grouped = like == null ? options.groupColumn() != null : like.groups != null && at.containsKey(options.groupColumn());
      if (like == null && grouped) {
        requireColumn(file, header, at, options.groupColumn(), "group");
      }
      List<String> features;
      if (like == null) {
        features = features(header, options);
        if (features.isEmpty()) {
          throw new DataFileException(file + " has no feature columns, only " + header);
        }
      } else {
        features = like.featureColumns;
        List<String> missing = features.stream().filter(c -> !at.containsKey(c)).toList();
        if (!missing.isEmpty()) {
          throw new DataFileException(file + " is missing the feature column" + (missing.size() > 1 ? "s " : " ")
              + shortList(missing) + " of the training file " + like.file);
        }
      }
      int[] featureAt = features.stream().mapToInt(at::get).toArray();
      int labelAt = at.get(options.labelColumn());
      int groupAt = grouped ? at.get(options.groupColumn()) : -1;
      Table t = new Table(file, "csv:" + file.getFileName() + (like == null ? "" : " test"), features, grouped);
      for (CSVRecord r : parser) {
        long row = r.getRecordNumber();
        if (r.size() != header.size()) {
          throw new DataFileException(file + ", row " + row + ": " + r.size() + " values, but the header has "
              + header.size() + " columns (a ragged row)");
        }
        float[] x = new float[featureAt.length];
        for (int j = 0; j < featureAt.length; j++) {
          x[j] = number(file, row, features.get(j), r.get(featureAt[j]));
        }
        t.rows.add(x);
        t.labels.add(label(file, row, options.labelColumn(), r.get(labelAt)));
        t.rowNumbers.add(row);
        if (grouped) {
          String g = r.get(groupAt);
          if (g.isEmpty()) {
            throw new DataFileException(file + ", row " + row + ": the group column '" + options.groupColumn() + "' is empty");
          }
          t.groups.add(g);
        }
      }
      if (t.rows.isEmpty()) {
        throw new DataFileException(file + " has a header but no rows");
      }
      return t;
    } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
      throw unreadable(file, e);
    }
  }

  /** Why {@code file} could not be read, from what reading it threw: not UTF-8, not CSV, or not readable. */
  private static DataFileException unreadable(Path file, Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.nio.charset.CharacterCodingException) {
        return new DataFileException(file + " is not UTF-8 text" + firstLineNotUtf8(file) + ": save it as UTF-8", e);
      }
    }
    String problem = csvProblem(e);
    if (problem != null) {
      return new DataFileException(file + " is not a valid CSV file: " + problem, e);
    }
    return new DataFileException("cannot read " + file + ": " + e.getMessage(), e);
  }

  /**
   * Skips the byte-order mark that some programs (spreadsheets exporting "CSV UTF-8") put before
   * the header: left in, it would be part of the first column's name.
   */
  private static Reader withoutByteOrderMark(java.io.BufferedReader in) throws IOException {
    in.mark(1);
    if (in.read() != '\uFEFF') {
      in.reset();
    }
    return in;
  }

  /**
   * Where {@code file} first stops being UTF-8, as {@code " (line N)"}: the reader decodes ahead
   * of the rows it hands out, so only a second look finds the line. Empty if it cannot be told.
   */
  private static final int MAX_LINE_BYTES = 1 << 20;

  private static String firstLineNotUtf8(Path file) {
    try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
      java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
      long number = 1;
      for (int b = in.read(); ; b = in.read()) {
        if (b == '\n' || b < 0) {
          try {
            StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(line.toByteArray()));
          } catch (java.nio.charset.CharacterCodingException bad) {
            return " (line " + number + ")";
          }
          if (b < 0) {
            return "";
          }
          line.reset();
          number++;
        } else if (line.size() < MAX_LINE_BYTES) {
          // A binary file may have no line breaks: judge its first megabyte, not all of it at once.
          line.write(b);
        }
      }
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * What Commons CSV found wrong with the file (duplicate or empty header names, a broken quote),
   * in this loader's words: its line numbers as lines of the file, without its advice on its own
   * API; null when {@code e} is not such a complaint but a failure to read.
   */
  private static String csvProblem(Exception e) {
    Throwable t = e;
    while (t != null && !(t instanceof org.apache.commons.csv.CSVException) && !(t instanceof IllegalArgumentException)
        && !(t instanceof IllegalStateException)) {
      t = t.getCause();
    }
    if (t == null || t.getMessage() == null) {
      return null;
    }
    return t.getMessage()
        .replaceFirst("^\\(startline (\\d+)\\)\\s*", "line $1 of the file: ")
        .replaceFirst("^(?i:invalid char between encapsulated token and delimiter at line: )(\\d+), position: (\\d+)",
            "line $1 of the file, position $2: a character between a closing quote and the next delimiter")
        .replaceFirst("\\s*If this is valid then use CSVFormat.*$", "");
  }

  private static void requireColumn(Path file, List<String> header, Map<String, Integer> at, String column, String role) {
    if (!at.containsKey(column)) {
      throw new DataFileException(file + " has no " + role + " column '" + column + "'; its columns are " + shortList(header));
    }
  }

  /** Columns listed in a message: all of a short list, the first of a long one and how many there are. */
  static String shortList(List<String> columns) {
    int shown = 20;
    return columns.size() <= shown ? columns.toString()
        : columns.subList(0, shown).toString().replaceFirst("]$", ", ...] (" + columns.size() + " in all)");
  }

  private static float number(Path file, long row, String column, String text) {
    float v;
    try {
      v = Float.parseFloat(text);
    } catch (NumberFormatException e) {
      v = Float.NaN;
    }
    if (!Float.isFinite(v) || text.isEmpty()) {
      throw new DataFileException(file + ", row " + row + ", column '" + column + "': '" + text + "' is not a finite number");
    }
    return v;
  }

  private static int label(Path file, long row, String column, String text) {
    int v;
    try {
      v = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new DataFileException(file + ", row " + row + ", label column '" + column + "': '" + text
          + "' is not an integer class from 0");
    }
    if (v < 0 || v >= Dataset.MAX_CLASSES) {
      throw new DataFileException(file + ", row " + row + ": label " + v + " is out of range: labels are 0 to "
          + (Dataset.MAX_CLASSES - 1));
    }
    return v;
  }
}
