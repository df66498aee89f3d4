package io.csfl.checkpoint;

import io.csfl.tensor.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A directory of checkpoints, {@code ALGORITHM-round-NNNNNN.safetensors}: each written atomically
 * (temporary file, fsync, rename), the last {@code keep} per algorithm kept. Reading takes the
 * newest one that is whole; a truncated or corrupt one is reported by name and the one before it
 * is used.
 */
public final class Checkpoints {
  private static final Pattern NAME = Pattern.compile("(.+)-round-(\\d{6,})\\.safetensors");
  private final Path directory;
  private final int keep;

  /** @param keep checkpoints kept per algorithm, at least 1 */
  public Checkpoints(Path directory, int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep at least one checkpoint, got " + keep);
    }
    this.directory = directory;
    this.keep = keep;
  }

  /** The directory the checkpoint files are in; it need not exist until the first save. */
  public Path directory() {
    return directory;
  }

  /** Writes {@code checkpoint} and deletes that algorithm's older ones beyond {@code keep}; returns the file. */
  public Path save(Checkpoint checkpoint) throws IOException {
    Path file = directory.resolve(String.format("%s-round-%06d.safetensors", checkpoint.algorithm(), checkpoint.round()));
    SafeTensors.write(file, checkpoint.toFile());
    List<Path> all = files(checkpoint.algorithm());
    for (int i = 0; i < all.size() - keep; i++) {
      Files.deleteIfExists(all.get(i));
    }
    return file;
  }

  /**
   * The newest readable checkpoint of {@code algorithm} for a model of {@code spec}; each unreadable
   * newer one is passed to {@code warnings} as one line naming the file and why.
   */
  public Optional<Checkpoint> latest(String algorithm, ModelSpec spec, Consumer<String> warnings) {
    List<Path> all = files(algorithm);
    for (int i = all.size() - 1; i >= 0; i--) {
      Path f = all.get(i);
      try {
        Checkpoint c = Checkpoint.fromFile(SafeTensors.read(f, maxBytes(spec)), spec, f.toString());
        if (!c.algorithm().equals(algorithm) || c.round() != roundOf(f)) {
          throw new TensorFileException(f + " holds " + c.algorithm() + " round " + c.round() + ", not what its name says");
        }
        return Optional.of(c);
      } catch (TensorFileException e) {
        warnings.accept("checkpoint unusable, trying the previous one: " + e.getMessage());
      }
    }
    return Optional.empty();
  }

  /** Whether the directory holds any checkpoint file. */
  public boolean isEmpty() {
    try (Stream<Path> s = Files.exists(directory) ? Files.list(directory) : Stream.empty()) {
      return s.noneMatch(p -> NAME.matcher(p.getFileName().toString()).matches());
    } catch (IOException e) {
      return false;
    }
  }

  /** The model, the server residual and up to 64 rounds of history, each at most model-sized, and the metadata. */
  static long maxBytes(ModelSpec spec) {
    return 4 * spec.parameterCount() * 70 + (64L << 20);
  }

  private List<Path> files(String algorithm) {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(directory)) {
      return out;
    }
    try (Stream<Path> s = Files.list(directory)) {
      s.filter(p -> {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() && m.group(1).equals(algorithm);
      }).forEach(out::add);
    } catch (IOException e) {
      throw new TensorFileException("cannot list " + directory + ": " + e, e);
    }
    out.sort(Comparator.comparingInt(Checkpoints::roundOf));
    return out;
  }

  private static int roundOf(Path p) {
    Matcher m = NAME.matcher(p.getFileName().toString());
    return m.matches() ? Integer.parseInt(m.group(2)) : -1;
  }
}
