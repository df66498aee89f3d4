package io.csfl.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Locates and loads Fashion-MNIST (Xiao et al. 2017, MIT licence). Lookup order: an explicit
 * directory, then the {@code CSFL_DATA} environment variable, then {@code data/fashion-mnist}
 * under the CSFL home (the {@code csfl.home} system property, else the working directory), then
 * the Debian package's {@code /usr/share/datasets/fashion-mnist}.
 */
public final class FashionMnist {
  /** File name of the gzipped IDX training images, as the Fashion-MNIST project publishes it. */
  public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
  /** File name of the gzipped IDX training labels. */
  public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
  /** File name of the gzipped IDX test images. */
  public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
  /** File name of the gzipped IDX test labels. */
  public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";
  /** Where Debian's {@code dataset-fashion-mnist} package installs the four files; the last place looked. */
  public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  private static final List<String> FILES = List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);

  /**
   * The 60,000 training and 10,000 test images.
   *
   * @param train     the training images, 784 features and 10 classes each
   * @param test      the test images, in the same form
   * @param directory the directory the files were loaded from
   */
  public record Splits(Dataset train, Dataset test, Path directory) {}

  private FashionMnist() {}

  /** Candidate directories in lookup order, each with where it came from. */
  public static Map<Path, String> candidates(Optional<Path> explicit) {
    return candidates(explicit, System.getenv());
  }

  static Map<Path, String> candidates(Optional<Path> explicit, Map<String, String> env) {
    Map<Path, String> c = new LinkedHashMap<>();
    explicit.ifPresent(p -> c.put(p, "--data-dir"));
    Optional.ofNullable(env.get("CSFL_DATA")).filter(s -> !s.isBlank()).ifPresent(s -> c.putIfAbsent(Path.of(s), "CSFL_DATA"));
    Path home = Path.of(System.getProperty("csfl.home", "."));
    c.putIfAbsent(home.resolve("data/fashion-mnist"), "the repository copy");
    c.putIfAbsent(DEBIAN_DIR, "the Debian package dataset-fashion-mnist");
    return c;
  }

  /**
   * Loads from the first candidate that has all four files. A directory the user named (--data-dir,
   * or CSFL_DATA) is final: if it lacks the files, that is the error, rather than silently using
   * another copy.
   */
  public static Splits load(Optional<Path> explicit) {
    return load(explicit, System.getenv());
  }

  static Splits load(Optional<Path> explicit, Map<String, String> env) {
    Map<Path, String> candidates = candidates(explicit, env);
    List<String> tried = new ArrayList<>();
    for (Map.Entry<Path, String> e : candidates.entrySet()) {
      Path dir = e.getKey();
      List<String> missing = FILES.stream().filter(f -> !Files.isRegularFile(dir.resolve(f))).toList();
      if (missing.isEmpty()) {
        return loadFrom(dir);
      }
      tried.add(dir.toAbsolutePath().normalize() + " (" + e.getValue() + "): "
          + (Files.exists(dir) && !Files.isDirectory(dir) ? "not a directory" : "missing " + String.join(", ", missing)));
      if (e.getValue().equals("--data-dir") || e.getValue().equals("CSFL_DATA")) {
        break;
      }
    }
    throw new DataFileException("Fashion-MNIST not found in " + String.join("; nor in ", tried)
        + ". Get the four files with 'apt-get install dataset-fashion-mnist' (Debian) or from"
        + " the Fashion-MNIST project, and point --data-dir or CSFL_DATA at their directory");
  }

  /** Loads the four files in {@code dir}, through the generic {@link IdxDataset} loader. */
  public static Splits loadFrom(Path dir) {
    io.csfl.data.Splits s = IdxDataset.load(dir, "fashion-mnist");
    if (s.train().classes() != 10 || s.train().features() != 28 * 28) {
      throw new DataFileException(dir + ": not Fashion-MNIST (" + s.train() + ")");
    }
    return new Splits(s.train(), s.test(), dir);
  }

  /** The same sets as the general {@link io.csfl.data.Splits}. */
  public static io.csfl.data.Splits splits(Optional<Path> explicit) {
    Splits s = load(explicit);
    return new io.csfl.data.Splits(s.train(), s.test(), s.directory().toString());
  }
}
