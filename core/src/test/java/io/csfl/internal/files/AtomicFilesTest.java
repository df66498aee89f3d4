package io.csfl.internal.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir
  Path dir;

  private List<Path> files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void replacesTheFileAndLeavesNoTemporaryFile() throws Exception {
    Path file = dir.resolve("run.json");
    AtomicFiles.write(file, new byte[] {1, 2, 3}, false);
    AtomicFiles.write(file, new byte[] {4}, false);
    assertArrayEquals(new byte[] {4}, Files.readAllBytes(file));
    assertEquals(List.of(file), files());
  }

  @Test
  void anOwnerOnlyFileIsReadableByItsOwnerAlone() throws Exception {
    Path key = dir.resolve("tls.key");
    AtomicFiles.write(key, "secret".getBytes(), true);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    Path cert = dir.resolve("tls.crt");
    AtomicFiles.write(cert, "public".getBytes(), false);
    Path plain = Files.createFile(dir.resolve("plain"));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(cert),
        "a shared file gets the default permissions, as a file created plainly does");
  }

  @Test
  void aWriteThatCannotLandLeavesWhatWasThere() throws Exception {
    Path target = Files.createDirectories(dir.resolve("metrics.csv"));
    Files.writeString(target.resolve("inside"), "kept");
    assertThrows(IOException.class, () -> AtomicFiles.write(target, new byte[] {1}, false));
    assertEquals("kept", Files.readString(target.resolve("inside")));
    assertEquals(List.of(target), files(), "the temporary file is gone");
  }
}
