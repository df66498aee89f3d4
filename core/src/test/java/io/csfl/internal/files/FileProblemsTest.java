package io.csfl.internal.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileProblemsTest {
  @TempDir
  Path dir;

  @Test
  void eachFailureNamesItsPathAndSaysWhatIsWrongInWords() {
    assertEquals("/proc/x: no such directory can be created", FileProblems.writing(Path.of("p"), new NoSuchFileException("/proc/x")));
    assertEquals("f.csv: no such file or directory", FileProblems.reading(Path.of("p"), new NoSuchFileException("f.csv")));
    assertEquals("out: a file of that name is in the way", FileProblems.writing(Path.of("p"), new FileAlreadyExistsException("out")));
    assertEquals("out: permission denied", FileProblems.writing(Path.of("p"), new AccessDeniedException("out")));
    assertEquals("/sys/x: operation not permitted",
        FileProblems.writing(Path.of("p"), new FileSystemException("/sys/x", null, "Operation not permitted")));
    assertEquals("p: disk full", FileProblems.writing(Path.of("p"), new IOException("disk full")));
    // A rename that failed names its target, which is what is in the way, not the file just written.
    assertEquals("out/model.safetensors: is a directory",
        FileProblems.writing(Path.of("p"), new FileSystemException("out/.model.safetensors.x.tmp", "out/model.safetensors", "Is a directory")));
  }

  @Test
  void aFileWhereADirectoryMustBeIsNamed() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "");
    IOException e = assertThrows(IOException.class, () -> Files.createDirectories(file.resolve("out").resolve("deeper")));
    assertEquals(file.resolve("out") + ": " + file + " is a file, not a directory", FileProblems.writing(file, e));
  }
}
