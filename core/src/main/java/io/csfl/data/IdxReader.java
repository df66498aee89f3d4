package io.csfl.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST format), gzip-compressed or not: a big-endian magic number whose low
 * byte is the rank and whose third byte is the element type (0x08 = unsigned byte), then the
 * dimensions, then the data.
 */
final class IdxReader {
  private static final int UNSIGNED_BYTE = 0x08;
  private static final long MAX_ELEMENTS = 1L << 30;

  private IdxReader() {}

  /**
   * Dimensions and unsigned-byte data of one IDX file.
   *
   * @param dims the dimensions, outermost first, as the file's header gives them
   * @param data the elements in row-major order, unsigned bytes (read with {@code & 0xFF}); the
   *             record holds both arrays as given, not copies
   */
  public record IdxArray(int[] dims, byte[] data) {}

  /** Reads a file of exactly {@code expectedRank} dimensions. */
  public static IdxArray read(Path file, int expectedRank) {
    return read(file, expectedRank, expectedRank);
  }

  /** Reads a file of {@code minRank} to {@code maxRank} dimensions. */
  public static IdxArray read(Path file, int minRank, int maxRank) {
    if (!Files.isRegularFile(file)) {
      throw new DataFileException("missing data file " + file);
    }
    try (InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16);
         DataInputStream in = new DataInputStream(gzipped(raw) ? new GZIPInputStream(raw, 1 << 16) : raw)) {
      int magic = in.readInt();
      int type = (magic >>> 8) & 0xFF;
      int rank = magic & 0xFF;
      if ((magic >>> 16) != 0 || type != UNSIGNED_BYTE || rank < minRank || rank > maxRank) {
        String ranks = minRank == maxRank ? "" + minRank : minRank + " to " + maxRank;
        throw new DataFileException(String.format("%s is not an IDX file of unsigned bytes with %s dimensions (magic 0x%08x)", file, ranks, magic));
      }
      int[] dims = new int[rank];
      long count = 1;
      for (int i = 0; i < rank; i++) {
        dims[i] = in.readInt();
        if (dims[i] <= 0) {
          throw new DataFileException(file + ": dimension " + i + " is " + dims[i]);
        }
        count *= dims[i];
        if (count > MAX_ELEMENTS) {
          throw new DataFileException(file + ": claims more than " + MAX_ELEMENTS + " elements");
        }
      }
      byte[] data = new byte[(int) count];
      in.readFully(data);
      if (in.read() != -1) {
        throw new DataFileException(file + ": has data after its " + count + " declared bytes");
      }
      return new IdxArray(dims, data);
    } catch (EOFException e) {
      throw new DataFileException(file + " is truncated (corrupt download?)", e);
    } catch (IOException e) {
      throw new DataFileException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static boolean gzipped(InputStream in) throws IOException {
    in.mark(2);
    int a = in.read();
    int b = in.read();
    in.reset();
    return a == 0x1f && b == 0x8b;
  }
}
