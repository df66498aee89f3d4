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
    assertEquals(10, IdxReader.read(fine, 1).length());
  }

  private void writeRawIdx(Path file, int[] dims, int dataBytes) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + dataBytes).putInt(0x0800 | dims.length);
    for (int d : dims) {
      b.putInt(d);
    }
    Files.write(file, b.array());
  }

  @Test
  void aFileSmallerOrLargerThanItsHeaderSaysFailsNamingTheFileBeforeItsDataAreRead() throws IOException {
    // A header claiming 2^29 bytes in a file of a few: refused from the file's size, gzipped or not.
    Path huge = dir.resolve("huge-idx3-ubyte");
    writeRawIdx(huge, new int[] {1 << 19, 32, 32}, 16);
    DataFileException e = assertThrows(DataFileException.class, () -> IdxReader.read(huge, 3));
    assertTrue(e.getMessage().contains(huge.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    Path hugeGz = dir.resolve("huge-idx3-ubyte.gz");
    writeIdx(hugeGz, 0x0803, new int[] {1 << 19, 32, 32}, 16);
    e = assertThrows(DataFileException.class, () -> IdxReader.read(hugeGz, 3));
    assertTrue(e.getMessage().contains(hugeGz.toString()) && e.getMessage().contains("gzip trailer"), e.getMessage());
    // Its trailer forged to agree with the header: refused from what a gzip file of its size can hold, before 512 MiB are allocated.
    byte[] forged = Files.readAllBytes(hugeGz);
    ByteBuffer.wrap(forged, forged.length - 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(16 + (1 << 29));
    Files.write(hugeGz, forged);
    e = assertThrows(DataFileException.class, () -> IdxReader.read(hugeGz, 3));
    assertTrue(e.getMessage().contains(hugeGz.toString()) && e.getMessage().contains("more than a gzip file of " + forged.length
        + " bytes can hold"), e.getMessage());
    // A whole gzip file cut short ends in compressed bytes, which say nothing about its size.
    Path whole = dir.resolve("whole-idx1-ubyte.gz");
    writeIdx(whole, 0x0801, new int[] {100_000}, 100_000);
    Path cut = dir.resolve("cut-idx1-ubyte.gz");
    byte[] bytes = Files.readAllBytes(whole);
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    e = assertThrows(DataFileException.class, () -> IdxReader.read(cut, 1));
    assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("truncated or corrupt")
        && !e.getMessage().contains("after the declared"), e.getMessage());
    Path longer = dir.resolve("longer-idx1-ubyte");
    writeRawIdx(longer, new int[] {10}, 11);
    e = assertThrows(DataFileException.class, () -> IdxReader.read(longer, 1));
    assertTrue(e.getMessage().contains(longer.toString()) && e.getMessage().contains("after the declared"), e.getMessage());
    Path exact = dir.resolve("exact-idx1-ubyte");
    writeRawIdx(exact, new int[] {10}, 10);
    assertEquals(10, IdxReader.read(exact, 1).length());
  }

  @Test
  void anIdxArrayGivesOutCopiesNotItsArrays() throws IOException {
    Path file = dir.resolve("labels-idx1-ubyte");
    ByteBuffer b = ByteBuffer.allocate(8 + 3).putInt(0x0801).putInt(3).put((byte) 7).put((byte) 200).put((byte) 1);
    Files.write(file, b.array());
    IdxReader.IdxArray read = IdxReader.read(file, 1);
    read.dims()[0] = 99;
    read.unsignedValues()[1] = 5;
    assertArrayEquals(new int[] {3}, read.dims());
    assertArrayEquals(new int[] {7, 200, 1}, read.unsignedValues());
    assertEquals(200, read.unsigned(1));
  }

  @Test
  void fashionMnistWithATruncatedFileFailsNamingThatFile() throws IOException {
    Path source = RepositoryData.fashionMnistDir();
    for (String name : List.of(FashionMnist.TRAIN_LABELS, FashionMnist.TEST_IMAGES, FashionMnist.TEST_LABELS)) {
      Files.copy(source.resolve(name), dir.resolve(name));
    }
    Path images = dir.resolve(FashionMnist.TRAIN_IMAGES);
    writeIdx(images, 0x0803, new int[] {60000, 28, 28}, 1000);
    DataFileException e = assertThrows(DataFileException.class, () -> FashionMnist.loadFrom(dir));
    assertTrue(e.getMessage().contains(images.toString()) && e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void anExplicitDirectoryWithoutTheFilesIsAnErrorListingWhatIsMissing() {
    DataFileException e = assertThrows(DataFileException.class, () -> FashionMnist.load(Optional.of(dir)));
    assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("--data-dir")
        && e.getMessage().contains(FashionMnist.TRAIN_IMAGES) && e.getMessage().contains("dataset-fashion-mnist"), e.getMessage());
  }
}
