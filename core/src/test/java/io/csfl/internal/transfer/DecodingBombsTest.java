package io.csfl.internal.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The inputs that once ran a node out of memory, sent to a node in a JVM of 256 MiB: a Fold of
 * 3,491 bytes (300 masked sections of 2^28 positions each), the 1,104-byte payload of 100 such
 * sections, twelve 512 MiB transfer announcements, and control messages compressed as Akka's
 * Jackson serializers read them (12 bytes of LZ4 header announcing 2 GiB; 256 MiB of gzipped zeros). The JVM survives them, each refused with
 * the decoder's or the courier's own error.
 */
class DecodingBombsTest {
  @Test
  void aSmallHeapSurvivesTheBombsAndRefusesEach() throws Exception {
    Path out = Files.createTempFile("csfl-bombs", ".log");
    try {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process process = new ProcessBuilder(java, "-Xmx256m", "--add-modules", "jdk.incubator.vector",
          "-cp", System.getProperty("java.class.path"), Bombs.class.getName())
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      boolean ended = process.waitFor(3, TimeUnit.MINUTES);
      if (!ended) {
        process.destroyForcibly();
      }
      String log = Files.readString(out);
      assertTrue(ended, "the bombed JVM did not finish:\n" + log);
      assertEquals(0, process.exitValue(), log);
      assertTrue(!log.contains("OutOfMemoryError"), log);
      assertTrue(log.contains("fold of 3499 bytes: refused: java.io.NotSerializableException: Fold/2: mask length of tensor 0 is 268435456, at most"), log);
      assertTrue(log.contains("payload of 1104 bytes: refused: mask length of tensor 0 is 268435456, at most 4194304 allowed"), log);
      assertTrue(log.contains("12 of 12 announcements of 536870912 bytes refused"), log);
      assertEquals(8, log.lines().filter(l -> l.startsWith("compressed control message") && l.contains(": refused: ")).count(), log);
      assertEquals(2, log.lines().filter(l -> l.contains("serializer 7263003: refused: java.io.NotSerializableException: "
          + "csfl-control: a compressed body")).count(), log);
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
