package io.csfl.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads any MNIST-family file set from one directory: four IDX files of unsigned bytes named as
 * MNIST names them, {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each optionally gzipped
 * ({@code .gz}); {@code test-} may stand for {@code t10k-}, {@code .} for the {@code -} before
 * {@code idx} (as in some MNIST copies), and a prefix such as EMNIST's {@code emnist-letters-} may
 * come first (one such set per directory). The shape comes from the image files' headers: {@code N x
 * H x W} is grey images {@code [1, H, W]}, {@code N x C x H x W} is {@code [C, H, W]}, {@code N x F}
 * is flat vectors {@code [F]}. The classes are 0 to the largest training label, unless given; a test
 * label past them is refused.
 */
public final class IdxDataset {
  private IdxDataset() {}

  /** The training and test sets in {@code dir}, named {@code NAME-train} and {@code NAME-test}. */
  public static Splits load(Path dir, String name) {
    return load(dir, name, 0);
  }

  /**
   * The training and test sets in {@code dir}, of {@code classes} classes: labels 0 to
   * {@code classes - 1}, whether or not each occurs, as for a file set that lacks a class others
   * have (one site's of a federation); 0 for the largest training label plus one.
   *
   * @throws IllegalArgumentException if {@code classes} is neither 0 nor between 2 and {@link Dataset#MAX_CLASSES}
   * @throws DataFileException if a label is past {@code classes}, or a file does not fit
   */
  public static Splits load(Path dir, String name, int classes) {
    requireDirectory(dir, classes);
    IdxReader.IdxArray trainImages = IdxReader.read(find(dir, "train", "images", "3"), 2, 4);
    Path trainLabelFile = find(dir, "train", "labels", "1");
    IdxReader.IdxArray trainLabels = IdxReader.read(trainLabelFile, 1);
    IdxReader.IdxArray testImages = IdxReader.read(find(dir, "t10k", "images", "3"), 2, 4);
    Path testLabelFile = find(dir, "t10k", "labels", "1");
    IdxReader.IdxArray testLabels = IdxReader.read(testLabelFile, 1);
    // The classes come from the training labels alone, as at a site that only trains: a test label
    // past them would silently grow the model's last layer here and nowhere else.
    int count = classes(trainLabelFile, classes, maxLabel(trainLabels));
    int testLargest = maxLabel(testLabels);
    if (testLargest >= count) {
      throw new DataFileException(testLabelFile + ": label " + testLargest + " is out of range: " + (classes == 0
          ? "the training labels are 0 to " + (count - 1) + " (--classes N when the training set lacks a class)"
          : "the classes are 0 to " + (count - 1)));
    }
    Dataset train = build(dir, name + "-train", trainImages, trainLabels, count);
    Dataset test = build(dir, name + "-test", testImages, testLabels, count);
    return new Splits(train, test, dir.toString());
  }

  /**
   * The training set in {@code dir} alone, named {@code NAME-train}, for a federation's site that
   * only trains (the server evaluates on a test set of its own): the {@code t10k} files may be
   * absent. {@code classes} as for {@link #load(Path, String, int)}, from the training labels.
   */
  public static Dataset loadTraining(Path dir, String name, int classes) {
    requireDirectory(dir, classes);
    IdxReader.IdxArray images = IdxReader.read(find(dir, "train", "images", "3"), 2, 4);
    Path labelFile = find(dir, "train", "labels", "1");
    IdxReader.IdxArray labels = IdxReader.read(labelFile, 1);
    return build(dir, name + "-train", images, labels, classes(labelFile, classes, maxLabel(labels)));
  }

  private static void requireDirectory(Path dir, int classes) {
    ClassCount.require(classes);
    if (!Files.isDirectory(dir)) {
      throw new DataFileException(dir + " is not a directory (expected the IDX files of an MNIST-family dataset)");
    }
  }

  /** {@code classes}, or the {@code largest} label plus one (at least two); a label past given classes is refused. */
  private static int classes(Path labelFile, int classes, int largest) {
    if (classes != 0 && largest >= classes) {
      throw new DataFileException(labelFile + ": label " + largest + " is out of range: the classes are 0 to " + (classes - 1));
    }
    return classes != 0 ? classes : Math.max(largest + 1, 2);
  }

  private static Path find(Path dir, String set, String kind, String rank) {
    String sets = set.equals("t10k") ? "(t10k|test)" : set;
    Pattern p = Pattern.compile("([^/]+-)?" + sets + "-" + kind + "[-.]idx\\d-ubyte(\\.gz)?");
    List<Path> matches;
    try (Stream<Path> files = Files.list(dir)) {
      matches = files.filter(f -> p.matcher(f.getFileName().toString()).matches()).sorted().toList();
    } catch (IOException e) {
      throw new DataFileException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    String expected = set + "-" + kind + "-idx" + rank + "-ubyte[.gz]";
    if (matches.isEmpty()) {
      throw new DataFileException(dir + ": no " + expected + " file");
    }
    for (String canonical : List.of(set + "-" + kind + "-idx" + rank + "-ubyte.gz", set + "-" + kind + "-idx" + rank + "-ubyte")) {
      if (matches.size() > 1 && matches.contains(dir.resolve(canonical))) {
        return dir.resolve(canonical);
      }
    }
    if (matches.size() > 1) {
      throw new DataFileException(dir + ": " + matches.size() + " files could be " + expected + ": "
          + matches.stream().map(m -> m.getFileName().toString()).toList() + "; keep one");
    }
    return matches.get(0);
  }

  private static int maxLabel(IdxReader.IdxArray labels) {
    int max = 0;
    for (int i = 0; i < labels.length(); i++) {
      max = Math.max(max, labels.unsigned(i));
    }
    return max;
  }

  private static Dataset build(Path dir, String name, IdxReader.IdxArray images, IdxReader.IdxArray labels, int classes) {
    int[] d = images.dims();
    if (d[0] != labels.count()) {
      throw new DataFileException(dir + ": " + d[0] + " examples in the " + name + " images but " + labels.count() + " labels");
    }
    int[] shape = switch (d.length) {
      case 2 -> new int[] {d[1]};
      case 3 -> new int[] {1, d[1], d[2]};
      default -> new int[] {d[1], d[2], d[3]};
    };
    try {
      return images.adoptAsFeatures(name, shape, classes, labels.unsignedValues());
    } catch (IllegalArgumentException e) {
      throw new DataFileException(dir + ": " + e.getMessage(), e);
    }
  }
}
