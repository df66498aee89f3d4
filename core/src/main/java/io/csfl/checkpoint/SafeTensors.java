package io.csfl.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format, so a trained model opens in the Python ecosystem and a
 * model from elsewhere can seed a run: an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to {@code {dtype, shape, data_offsets}} (offsets into the data that
 * follows) plus an optional {@code "__metadata__"} string map, then the raw little-endian data.
 *
 * <p>A file is input from disk or from another machine, so the reader trusts nothing in it: the
 * header must fit in the file and in {@link #MAX_HEADER_BYTES}, the whole file in the caller's
 * bound, every tensor's byte range must match its dtype and shape, and the ranges must tile the
 * data exactly, without overlap or holes. Any violation is a {@link TensorFileException} naming
 * the file.
 */
public final class SafeTensors {
  /** The header key of the string-to-string metadata. */
  public static final String METADATA_KEY = "__metadata__";
  /** The reference implementation's bound on the header; a larger one is refused before it is read. */
  public static final int MAX_HEADER_BYTES = 100_000_000;
  private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private SafeTensors() {}

  /** The file's bytes: header length, header (space-padded to a multiple of 8), data in tensor order. */
  public static byte[] toBytes(TensorFile file) {
    ObjectNode header = JSON.createObjectNode();
    if (!file.metadata().isEmpty()) {
      ObjectNode meta = header.putObject(METADATA_KEY);
      file.metadata().forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, TensorFile.Tensor> e : file.tensors().entrySet()) {
      TensorFile.Tensor t = e.getValue();
      ObjectNode entry = header.putObject(e.getKey());
      entry.put("dtype", t.dtype().name());
      ArrayNode shape = entry.putArray("shape");
      Arrays.stream(t.shape()).forEach(shape::add);
      entry.putArray("data_offsets").add(offset).add(offset + t.byteLength());
      offset += t.byteLength();
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(header);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a safetensors header", e);
    }
    int padded = (json.length + 7) & ~7;
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(padded).put(json);
    for (int i = json.length; i < padded; i++) {
      out.put((byte) ' ');
    }
    file.tensors().values().forEach(t -> out.put(t.data()));
    return out.array();
  }

  /**
   * Parses {@code bytes}, read from {@code source} (named in errors).
   *
   * @throws TensorFileException when the bytes are not a well-formed safetensors file
   */
  public static TensorFile fromBytes(byte[] bytes, String source) {
    try {
      return parse(bytes);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new TensorFileException(source + " is not a valid safetensors file: " + e.getMessage(), e);
    }
  }

  /**
   * Reads {@code path}, refusing a file larger than {@code maxBytes} before reading it (the caller
   * knows what it expects: a model's size, say).
   */
  public static TensorFile read(Path path, long maxBytes) {
    return fromBytes(readBytes(path, maxBytes), path.toString());
  }

  /** The bytes of {@code path}, refusing a file larger than {@code maxBytes} before reading it. */
  static byte[] readBytes(Path path, long maxBytes) {
    try {
      long size = Files.size(path);
      if (size > maxBytes || size > Integer.MAX_VALUE - 9) {
        throw new TensorFileException(path + " has " + size + " bytes, more than the " + Math.min(maxBytes, Integer.MAX_VALUE - 9)
            + " expected");
      }
      return io.csfl.internal.files.RegularFiles.read(path, maxBytes);
    } catch (NoSuchFileException e) {
      throw new TensorFileException(path + " does not exist", e);
    } catch (IOException e) {
      throw new TensorFileException("cannot read " + io.csfl.internal.files.FileProblems.reading(path, e), e);
    }
  }

  /**
   * Writes {@code file} to {@code path} atomically: to a temporary file beside it, forced to disk,
   * then renamed over {@code path}, so a crash leaves either the old file or the new one, never a
   * part of it.
   */
  public static void write(Path path, TensorFile file) throws IOException {
    writeAtomically(path, toBytes(file));
  }

  /** With the process's default permissions, as every other file of a run. */
  static void writeAtomically(Path path, byte[] bytes) throws IOException {
    io.csfl.internal.files.AtomicFiles.write(path, bytes, false);
  }

  /**
   * The metadata of {@code path}, from its header alone (the data is not read), with the same
   * checks of the header as {@link #read}.
   */
  static Map<String, String> readMetadata(Path path) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      while (length.hasRemaining() && ch.read(length) >= 0) {
        // until the 8 bytes are in or the file ends
      }
      if (length.hasRemaining()) {
        throw new TensorFileException(path + " is not a valid safetensors file: it has " + size + " bytes, fewer than the 8 of the header length");
      }
      long headerLength = requireHeaderFits(length.flip().getLong(), size);
      ByteBuffer header = ByteBuffer.allocate(8 + (int) headerLength).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength);
      while (header.hasRemaining() && ch.read(header) >= 0) {
        // until the header is in
      }
      return parseHeader(header.array(), (int) headerLength).metadata();
    } catch (NoSuchFileException e) {
      throw new TensorFileException(path + " does not exist", e);
    } catch (IOException e) {
      throw new TensorFileException("cannot read " + io.csfl.internal.files.FileProblems.reading(path, e), e);
    } catch (IllegalArgumentException e) {
      throw new TensorFileException(path + " is not a valid safetensors file: " + e.getMessage(), e);
    }
  }

  private record Range(String name, long begin, long end) {}

  /** {@code headerLength}, read from a file of {@code size} bytes, if the header fits in it and in {@link #MAX_HEADER_BYTES}. */
  private static long requireHeaderFits(long headerLength, long size) {
    if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
      throw new IllegalArgumentException("its header length " + Long.toUnsignedString(headerLength) + " does not fit its "
          + size + " bytes (or the " + MAX_HEADER_BYTES + "-byte bound)");
    }
    return headerLength;
  }

  private static TensorFile parse(byte[] bytes) {
    if (bytes.length < 8) {
      throw new IllegalArgumentException("it has " + bytes.length + " bytes, fewer than the 8 of the header length");
    }
    long headerLength = requireHeaderFits(ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(), bytes.length);
    int dataStart = 8 + (int) headerLength;
    Header h = parseHeader(bytes, (int) headerLength);
    long dataLength = bytes.length - (long) dataStart;
    List<Range> ranges = new ArrayList<>(h.ranges());
    ranges.sort(Comparator.comparingLong(Range::begin).thenComparingLong(Range::end));
    long at = 0;
    for (Range r : ranges) {
      if (r.begin() != at) {
        throw new IllegalArgumentException("tensor " + r.name() + " starts at byte " + r.begin() + " of the data, expected " + at
            + (r.begin() < at ? " (it overlaps the previous tensor)" : " (a hole before it)"));
      }
      at = r.end();
    }
    if (at != dataLength) {
      throw new IllegalArgumentException("its tensors cover " + at + " bytes of data, the file holds " + dataLength
          + (at > dataLength ? " (truncated?)" : ""));
    }
    Map<String, TensorFile.Tensor> tensors = new LinkedHashMap<>();
    for (Range r : h.ranges()) {
      byte[] data = Arrays.copyOfRange(bytes, dataStart + (int) r.begin(), dataStart + (int) r.end());
      tensors.put(r.name(), TensorFile.Tensor.of(r.name(), h.dtypes().get(r.name()), h.shapes().get(r.name()), data));
    }
    return TensorFile.of(tensors, h.metadata());
  }

  /** A header's metadata and tensors: each tensor's range, dtype and shape, in the header's order. */
  private record Header(Map<String, String> metadata, List<Range> ranges, Map<String, TensorFile.DType> dtypes, Map<String, long[]> shapes) {}

  /** The JSON header of {@code headerLength} bytes after the 8 of its length in {@code bytes}, each tensor's entry checked. */
  private static Header parseHeader(byte[] bytes, int headerLength) {
    if (bytes[8] != '{') {
      throw new IllegalArgumentException("its header does not start with '{'");
    }
    JsonNode header;
    try (JsonParser p = JSON.createParser(bytes, 8, (int) headerLength)) {
      header = JSON.readTree(p);
      if (p.nextToken() != null) {
        throw new IllegalArgumentException("its header has text after the JSON object");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("its header is not JSON: " + (e instanceof com.fasterxml.jackson.core.JacksonException j ? j.getOriginalMessage() : e.toString()));
    }
    if (header == null || !header.isObject()) {
      throw new IllegalArgumentException("its header is not a JSON object");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    List<Range> ranges = new ArrayList<>();
    Map<String, TensorFile.DType> dtypes = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      JsonNode v = e.getValue();
      if (name.equals(METADATA_KEY)) {
        readMetadata(v, metadata);
        continue;
      }
      if (!v.isObject() || v.size() != 3 || !v.has("dtype") || !v.has("shape") || !v.has("data_offsets")) {
        throw new IllegalArgumentException("tensor " + name + " is not {dtype, shape, data_offsets}");
      }
      TensorFile.DType dtype = dtype(name, v.get("dtype"));
      long[] shape = longs(name, "shape", v.get("shape"), -1);
      long[] offsets = longs(name, "data_offsets", v.get("data_offsets"), 2);
      long expected = TensorFile.elements(name, shape) * dtype.bytes();
      if (offsets[1] < offsets[0] || offsets[1] - offsets[0] != expected) {
        throw new IllegalArgumentException("tensor " + name + " of shape " + Arrays.toString(shape) + " and dtype " + dtype
            + " needs " + expected + " bytes, its offsets " + Arrays.toString(offsets) + " give " + (offsets[1] - offsets[0]));
      }
      ranges.add(new Range(name, offsets[0], offsets[1]));
      dtypes.put(name, dtype);
      shapes.put(name, shape);
    }
    return new Header(metadata, ranges, dtypes, shapes);
  }

  private static void readMetadata(JsonNode v, Map<String, String> into) {
    if (!v.isObject()) {
      throw new IllegalArgumentException(METADATA_KEY + " is not an object");
    }
    v.fields().forEachRemaining(m -> {
      if (!m.getValue().isTextual()) {
        throw new IllegalArgumentException(METADATA_KEY + " value of " + m.getKey() + " is not a string");
      }
      into.put(m.getKey(), m.getValue().textValue());
    });
  }

  private static TensorFile.DType dtype(String name, JsonNode v) {
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("tensor " + name + " has no dtype string");
    }
    try {
      return TensorFile.DType.valueOf(v.textValue());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tensor " + name + " has dtype " + v.textValue() + ", this reader takes "
          + Arrays.toString(TensorFile.DType.values()));
    }
  }

  private static long[] longs(String name, String field, JsonNode v, int length) {
    if (v == null || !v.isArray() || (length >= 0 && v.size() != length) || v.size() > 64) {
      throw new IllegalArgumentException("tensor " + name + " has a malformed " + field);
    }
    long[] out = new long[v.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode n = v.get(i);
      if (!n.canConvertToExactIntegral() || !n.canConvertToLong() || n.asLong() < 0) {
        throw new IllegalArgumentException("tensor " + name + " has a malformed " + field + ": " + v);
      }
      out[i] = n.asLong();
    }
    return out;
  }

  /** A model as a safetensors file: one fp32 tensor per tensor of its spec, under the spec's names and shapes. */
  public static TensorFile ofModel(Model model) {
    TensorFile f = TensorFile.EMPTY;
    for (int t = 0; t < model.spec().tensorCount(); t++) {
      TensorSpec s = model.spec().tensor(t);
      f = f.withF32(s.name(), Arrays.stream(s.shape()).asLongStream().toArray(), model.tensor(t).toArray());
    }
    return f;
  }

  /**
   * The model of {@code spec} in {@code file}: every tensor of the spec, by name, fp32, of the
   * spec's shape; a tensor that is missing, shaped otherwise, or not in the spec is an error
   * naming it, so a model of another architecture is refused rather than misread.
   */
  public static Model toModel(TensorFile file, ModelSpec spec, String source) {
    String difference = modelDifference(file, spec, source);
    if (difference != null) {
      throw new TensorFileException(difference);
    }
    float[][] arrays = new float[spec.tensorCount()][];
    for (int t = 0; t < spec.tensorCount(); t++) {
      TensorSpec s = spec.tensor(t);
      arrays[t] = file.f32(s.name(), s.size());
    }
    return Model.copyOf(spec, arrays);
  }

  /** How the tensors of {@code file} differ from a model of {@code spec} (names, shapes, fp32), naming {@code source}; null if they do not. */
  static String modelDifference(TensorFile file, ModelSpec spec, String source) {
    for (TensorSpec s : spec.tensors()) {
      TensorFile.Tensor tensor = file.tensors().get(s.name());
      long[] want = Arrays.stream(s.shape()).asLongStream().toArray();
      if (tensor == null) {
        return source + " has no tensor " + s.name() + " (it holds " + file.tensors().keySet() + "; the model needs " + names(spec) + ")";
      }
      if (!Arrays.equals(tensor.shape(), want) || tensor.dtype() != TensorFile.DType.F32) {
        return source + ": tensor " + s.name() + " is " + tensor.dtype() + " " + Arrays.toString(tensor.shape())
            + ", the model needs F32 " + Arrays.toString(want);
      }
    }
    for (String name : file.tensors().keySet()) {
      if (spec.tensors().stream().noneMatch(s -> s.name().equals(name))) {
        return source + " has tensor " + name + ", which the model (" + names(spec) + ") does not";
      }
    }
    return null;
  }

  /** The bound to pass to {@link #read} for a model of {@code spec} with little else: its data plus a generous header. */
  public static long maxModelFileBytes(ModelSpec spec) {
    return 4 * spec.parameterCount() + (1 << 20);
  }

  private static List<String> names(ModelSpec spec) {
    return spec.tensors().stream().map(TensorSpec::name).toList();
  }
}
