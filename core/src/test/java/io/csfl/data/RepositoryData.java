package io.csfl.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Test fixture: the repository's Fashion-MNIST, found from whichever module's directory a test runs in. */
public final class RepositoryData {
  private RepositoryData() {}

  /** {@code data/fashion-mnist} in the nearest directory above the working directory that has one. */
  public static Path fashionMnistDir() {
    return Stream.iterate(Path.of("").toAbsolutePath(), p -> p != null, Path::getParent)
        .map(p -> p.resolve("data/fashion-mnist")).filter(Files::isDirectory).findFirst()
        .orElseThrow(() -> new IllegalStateException("data/fashion-mnist not found above " + Path.of("").toAbsolutePath()));
  }
}
