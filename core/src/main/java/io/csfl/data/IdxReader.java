package io.csfl.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST format), gzip-compressed or not: a big-endian magic number whose low
 * byte is the rank and whose third byte is the element type (0x08 = unsigned byte), then the
 * dimensions, then the data.
 *
 * <p>A file's size is checked against its header before the data are read: an uncompressed file
 * must be exactly header plus data, and a gzipped one must say so in its trailer (gzip records the
 * uncompressed size modulo 2<sup>32</sup> in the last four bytes). A header that claims more than
 * the file holds thus fails at once, naming the file, before a buffer of the claimed size is allocated.
 */
final class IdxReader {
  private static final int UNSIGNED_BYTE = 0x08;
  private static final long MAX_ELEMENTS = 1L << 30;
  /** The most bytes deflate makes of one compressed byte: a gzip file cannot hold more than this many times its size. */
  private static final long MAX_DEFLATE_RATIO = 1032;

  private IdxReader() {}

  /**
   * Dimensions and unsigned-byte data of one IDX file. It keeps its arrays to itself: callers get
   * copies or values, and {@link #adoptAsFeatures} hands the data, without a copy, to a
   * {@link Dataset} that never gives it out.
   */
  static final class IdxArray {
    private final int[] dims;
    private final byte[] data;

    private IdxArray(int[] dims, byte[] data) {
      this.dims = dims;
      this.data = data;
    }

    /** The dimensions, outermost first, as the file's header gives them (a copy). */
    int[] dims() {
      return dims.clone();
    }

    /** The outermost dimension: the number of examples (or labels). */
    int count() {
      return dims[0];
    }

    /** The number of elements. */
    int length() {
      return data.length;
    }

    /** Element {@code i} in row-major order, an unsigned byte. */
    int unsigned(int i) {
      return data[i] & 0xFF;
    }

    /** All elements as unsigned values, in a new array. */
    int[] unsignedValues() {
      int[] values = new int[data.length];
      for (int i = 0; i < values.length; i++) {
        values[i] = data[i] & 0xFF;
      }
      return values;
    }

    /** The examples {@code shape} each, these elements their features, read without a copy of the data. */
    Dataset adoptAsFeatures(String name, int[] shape, int classes, int[] labels) {
      return Dataset.adoptBytes(name, shape, classes, data, labels);
    }
  }

  /** Reads a file of exactly {@code expectedRank} dimensions. */
  static IdxArray read(Path file, int expectedRank) {
    return read(file, expectedRank, expectedRank);
  }

  /** Reads a file of {@code minRank} to {@code maxRank} dimensions. */
  static IdxArray read(Path file, int minRank, int maxRank) {
    DataFileException.requireRegularFile(file);
    try (InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      boolean gzipped = gzipped(raw);
      DataInputStream in = new DataInputStream(gzipped ? new GZIPInputStream(raw, 1 << 16) : raw);
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
      checkSize(file, gzipped, 4L + 4L * rank + count, dims);
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

  /**
   * Fails, naming the file, unless its size agrees with the {@code expected} bytes its header
   * declares: the file's own size, or for a gzipped file the size its trailer records.
   */
  private static void checkSize(Path file, boolean gzipped, long expected, int[] dims) throws IOException {
    long actual;
    String what;
    if (gzipped) {
      try (FileChannel channel = FileChannel.open(file)) {
        ByteBuffer trailer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        if (channel.size() < 18 || channel.read(trailer, channel.size() - 4) != 4) {
          throw new DataFileException(file + " is truncated (corrupt download?): too short for a gzip file");
        }
        // The trailer is the file's own word, which a forged file can make agree with any header.
        if (Integer.toUnsignedLong(trailer.getInt(0)) == (expected & 0xFFFF_FFFFL) && expected > MAX_DEFLATE_RATIO * channel.size()) {
          throw new DataFileException(file + ": its header declares " + java.util.Arrays.toString(dims) + " elements, " + expected
              + " bytes with the header, more than a gzip file of " + channel.size() + " bytes can hold (truncated or corrupt:"
              + " a corrupt download?)");
        }
        actual = Integer.toUnsignedLong(trailer.getInt(0));
        expected &= 0xFFFF_FFFFL;
        what = "its gzip trailer records " + actual + " uncompressed bytes";
      }
    } else {
      actual = Files.size(file);
      what = "it has " + actual + " bytes";
    }
    if (actual != expected) {
      throw new DataFileException(file + ": its header declares " + java.util.Arrays.toString(dims) + " elements, "
          + expected + " bytes with the header, but " + what
          // A gzip file cut short ends in compressed bytes, not in its trailer: that "size" says nothing.
          + (gzipped ? " (truncated or corrupt: a corrupt download?)"
              : actual < expected ? " (truncated, corrupt download?)" : " (data after the declared elements)"));
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
