package io.csfl.data;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A data directory the user named is final, and a failed lookup is one line naming where it looked. */
class FashionMnistLookupTest {
  @TempDir
  Path empty;

  @Test
  void aDirectoryFromCsflDataThatLacksTheFilesIsTheErrorNotASilentFallBack() {
    DataFileException e = assertThrows(DataFileException.class,
        () -> FashionMnist.load(Optional.empty(), Map.of("CSFL_DATA", empty.toString())));
    assertTrue(e.getMessage().startsWith("Fashion-MNIST not found in " + empty.toAbsolutePath().normalize() + " (CSFL_DATA): missing "),
        e.getMessage());
    assertFalse(e.getMessage().contains("repository copy"), "no other copy is tried: " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }

  @Test
  void aDirectoryFromTheFlagComesFirstAndIsFinalToo() {
    DataFileException e = assertThrows(DataFileException.class,
        () -> FashionMnist.load(Optional.of(empty), Map.of("CSFL_DATA", "/elsewhere")));
    assertTrue(e.getMessage().contains("(--data-dir)") && !e.getMessage().contains("CSFL_DATA)"), e.getMessage());
  }
}
