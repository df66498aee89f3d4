package io.csfl.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads gzip-compressed IDX files (the MNIST format): a big-endian magic number whose low byte is
 * the rank and whose third byte is the element type (0x08 = unsigned byte), then the dimensions,
 * then the data.
 */
public final class IdxReader {
  private static final int UNSIGNED_BYTE = 0x08;
  private static final long MAX_ELEMENTS = 1L << 30;

  private IdxReader() {}

  /** Dimensions and unsigned-byte data of one IDX file. */
  public record IdxArray(int[] dims, byte[] data) {}

  public static IdxArray read(Path file, int expectedRank) {
    if (!Files.isRegularFile(file)) {
      throw new DataFileException("missing data file " + file);
    }
    try (InputStream raw = Files.newInputStream(file);
         DataInputStream in = new DataInputStream(new GZIPInputStream(raw, 1 << 16))) {
      int magic = in.readInt();
      int type = (magic >>> 8) & 0xFF;
      int rank = magic & 0xFF;
      if ((magic >>> 16) != 0 || type != UNSIGNED_BYTE || rank != expectedRank) {
        throw new DataFileException(String.format("%s is not an IDX file of unsigned bytes with %d dimensions (magic 0x%08x)", file, expectedRank, magic));
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
}
