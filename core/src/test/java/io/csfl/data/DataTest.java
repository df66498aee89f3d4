package io.csfl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
  @TempDir
  Path dir;

  private static Dataset synthetic(int n) {
    Random rng = new Random(2);
    byte[] pixels = new byte[n * 4];
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i % 10);
    }
    rng.nextBytes(pixels);
    return Dataset.of("synthetic", 2, 2, 10, pixels, labels);
  }

  @Test
  void everyPartitionerCoversEachExampleExactlyOnceAndIsDeterministic() {
    Dataset data = synthetic(2000);
    for (String spec : List.of("iid", "shards:2", "dirichlet:0.5", "dirichlet:100", "dirichlet-capped:0.5")) {
      Partitioner p = Partitioner.parse(spec);
      List<int[]> parts = p.split(data, 20, new Random(7));
      assertEquals(20, parts.size());
      int[] seen = new int[data.size()];
      for (int[] part : parts) {
        assertTrue(part.length > 0, spec + ": empty client");
        for (int i : part) {
          seen[i]++;
        }
      }
      for (int c : seen) {
        assertEquals(1, c, spec);
      }
      List<int[]> again = p.split(data, 20, new Random(7));
      for (int i = 0; i < parts.size(); i++) {
        assertArrayEquals(parts.get(i), again.get(i), spec + " with the same seed");
      }
    }
  }

  @Test
  void shardsGiveEachClientAtMostKClasses() {
    Dataset data = synthetic(2000);
    for (int[] part : Partitioner.parse("shards:2").split(data, 20, new Random(1))) {
      assertTrue(java.util.Arrays.stream(part).map(data::label).distinct().count() <= 2);
    }
  }

  @Test
  void badPartitionSpecsNameTheProblem() {
    for (String bad : List.of("dirichlet", "dirichlet:-1", "dirichlet-capped", "dirichlet-capped:0", "shards:0", "zipf:2", "iid:3", "shards:x")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Partitioner.parse(bad), bad);
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
  }

  private void writeIdx(Path file, int magic, int[] dims, int dataBytes) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      ByteBuffer header = ByteBuffer.allocate(4 + 4 * dims.length).putInt(magic);
      for (int d : dims) {
        header.putInt(d);
      }
      out.write(header.array());
      out.write(new byte[dataBytes]);
    }
  }

  @Test
  void truncatedOrWrongIdxFilesFailNamingThePath() throws IOException {
    Path truncated = dir.resolve("t.gz");
    writeIdx(truncated, 0x0803, new int[] {10, 28, 28}, 100);
    DataFileException e = assertThrows(DataFileException.class, () -> IdxReader.read(truncated, 3));
    assertTrue(e.getMessage().contains(truncated.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    Path wrongRank = dir.resolve("w.gz");
    writeIdx(wrongRank, 0x0801, new int[] {10}, 10);
    assertThrows(DataFileException.class, () -> IdxReader.read(wrongRank, 3));
    Path fine = dir.resolve("f.gz");
    writeIdx(fine, 0x0801, new int[] {10}, 10);
    assertEquals(10, IdxReader.read(fine, 1).data().length);
  }

  @Test
  void anExplicitDirectoryWithoutTheFilesIsAnErrorListingWhatIsMissing() {
    DataFileException e = assertThrows(DataFileException.class, () -> FashionMnist.load(Optional.of(dir)));
    assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("--data-dir")
        && e.getMessage().contains(FashionMnist.TRAIN_IMAGES) && e.getMessage().contains("dataset-fashion-mnist"), e.getMessage());
  }
}
