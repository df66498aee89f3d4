package io.csfl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generic IDX loader on the real Fashion-MNIST and on small hand-made file sets. */
class IdxDatasetTest {
  @TempDir
  Path dir;

  static Path fashionMnist() {
    return RepositoryData.fashionMnistDir();
  }

  @Test
  void fashionMnistLoadsAsAnyIdxSetWithClassesAndShapeFromTheFiles() {
    Splits s = IdxDataset.load(fashionMnist(), "fmnist");
    assertArrayEquals(new int[] {1, 28, 28}, s.train().shape());
    assertEquals(10, s.train().classes());
    assertEquals(60000, s.train().size());
    assertEquals(10000, s.test().size());
    assertEquals("fmnist-train", s.train().name());
    assertEquals(FashionMnist.loadFrom(fashionMnist()).train().fingerprint(), s.train().fingerprint());
  }

  private void write(String name, int magic, int[] dims, byte[] data) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length).putInt(magic);
    for (int d : dims) {
      b.putInt(d);
    }
    b.put(data);
    Files.write(dir.resolve(name), b.array());
  }

  @Test
  void uncompressedFlatVectorsWithTestNamesAndFewClassesLoad() throws IOException {
    write("train-images-idx2-ubyte", 0x0802, new int[] {3, 4}, new byte[] {0, 0, 0, (byte) 255, 1, 2, 3, 4, 5, 6, 7, 8});
    write("train-labels-idx1-ubyte", 0x0801, new int[] {3}, new byte[] {0, 1, 2});
    write("test-images-idx2-ubyte", 0x0802, new int[] {1, 4}, new byte[4]);
    write("test-labels-idx1-ubyte", 0x0801, new int[] {1}, new byte[] {1});
    Splits s = IdxDataset.load(dir, "tiny");
    assertArrayEquals(new int[] {4}, s.train().shape());
    assertEquals(3, s.train().classes());
    float[] x = new float[4];
    int[] y = new int[1];
    s.train().fill(new int[] {0}, 0, 1, x, y);
    assertArrayEquals(new float[] {0, 0, 0, 1}, x);

    // A site's set that lacks classes others have: as many classes as given, and none past them.
    assertEquals(10, IdxDataset.load(dir, "tiny", 10).train().classes());
    assertEquals(10, IdxDataset.load(dir, "tiny", 10).test().classes());
    assertEquals(dir.resolve("train-labels-idx1-ubyte") + ": label 2 is out of range: the classes are 0 to 1",
        assertThrows(DataFileException.class, () -> IdxDataset.load(dir, "tiny", 2)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> IdxDataset.load(dir, "tiny", 1));

    // The classes come from the training labels, as at a site that only trains: a test label past
    // them is refused, naming its file, where it would have grown the model of this site alone.
    write("test-labels-idx1-ubyte", 0x0801, new int[] {1}, new byte[] {42});
    assertEquals(dir.resolve("test-labels-idx1-ubyte") + ": label 42 is out of range: the training labels are 0 to 2"
        + " (--classes N when the training set lacks a class)",
        assertThrows(DataFileException.class, () -> IdxDataset.load(dir, "tiny")).getMessage());
    assertEquals(dir.resolve("test-labels-idx1-ubyte") + ": label 42 is out of range: the classes are 0 to 9",
        assertThrows(DataFileException.class, () -> IdxDataset.load(dir, "tiny", 10)).getMessage());
    assertEquals(43, IdxDataset.load(dir, "tiny", 43).test().classes());
    write("test-labels-idx1-ubyte", 0x0801, new int[] {1}, new byte[] {1});

    // A site that only trains reads the training files alone; the test files may be missing.
    Files.delete(dir.resolve("test-images-idx2-ubyte"));
    Files.delete(dir.resolve("test-labels-idx1-ubyte"));
    Dataset train = IdxDataset.loadTraining(dir, "tiny", 0);
    assertEquals(3, train.size());
    assertEquals(3, train.classes());
    assertEquals(5, IdxDataset.loadTraining(dir, "tiny", 5).classes());
    assertThrows(DataFileException.class, () -> IdxDataset.load(dir, "tiny"));
  }

  @Test
  void colourImagesKeepTheirChannelsAndFileNamesMayHaveAPrefix() throws IOException {
    write("rgb-set-train-images-idx4-ubyte", 0x0804, new int[] {2, 3, 2, 2}, new byte[24]);
    write("rgb-set-train-labels-idx1-ubyte", 0x0801, new int[] {2}, new byte[] {0, 1});
    write("rgb-set-test-images-idx4-ubyte", 0x0804, new int[] {1, 3, 2, 2}, new byte[12]);
    write("rgb-set-test-labels-idx1-ubyte", 0x0801, new int[] {1}, new byte[] {1});
    assertArrayEquals(new int[] {3, 2, 2}, IdxDataset.load(dir, "rgb").train().shape());
  }

  @Test
  void missingFilesAndCountsThatDisagreeAreNamed() throws IOException {
    DataFileException none = assertThrows(DataFileException.class, () -> IdxDataset.load(dir, "x"));
    assertTrue(none.getMessage().contains("no train-images-idx3-ubyte[.gz] file"), none.getMessage());
    write("train-images-idx3-ubyte", 0x0803, new int[] {2, 1, 1}, new byte[2]);
    write("train-labels-idx1-ubyte", 0x0801, new int[] {3}, new byte[3]);
    write("t10k-images-idx3-ubyte", 0x0803, new int[] {1, 1, 1}, new byte[1]);
    write("t10k-labels-idx1-ubyte", 0x0801, new int[] {1}, new byte[1]);
    DataFileException counts = assertThrows(DataFileException.class, () -> IdxDataset.load(dir, "x"));
    assertTrue(counts.getMessage().contains("2 examples in the x-train images but 3 labels"), counts.getMessage());
    DataFileException notDir = assertThrows(DataFileException.class, () -> IdxDataset.load(dir.resolve("nope"), "x"));
    assertTrue(notDir.getMessage().contains("is not a directory"), notDir.getMessage());
  }
}
