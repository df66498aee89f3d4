package io.csfl.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import io.csfl.tensor.Model;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  @TempDir
  Path dir;

  /** A file laid out by hand, as the published format describes it. */
  private static byte[] handMade(String header, float... data) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json);
    for (float f : data) {
      b.putFloat(f);
    }
    return b.array();
  }

  @Test
  void readsAFileLaidOutByHand() {
    byte[] bytes = handMade("{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 1f, -2f, 3.5f);
    TensorFile f = SafeTensors.fromBytes(bytes, "hand.safetensors");
    assertArrayEquals(new float[] {1f, -2f}, f.f32("a", 2));
    assertArrayEquals(new float[] {3.5f}, f.f32("b", 1));
    assertEquals(Map.of("format", "pt"), f.metadata());
  }

  @Test
  void aModelWrittenIsParsedByAnIndependentHeaderReader() throws Exception {
    Model model = Architecture.mlp().initialModel(7);
    Path file = dir.resolve("model.safetensors");
    SafeTensors.write(file, SafeTensors.ofModel(model).withMeta("architecture", "mlp"));
    byte[] bytes = Files.readAllBytes(file);
    // The format by hand: u64 LE header length, JSON, then data at the offsets.
    long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, n % 8, "the header is padded to 8 bytes");
    JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8).strip());
    assertEquals("mlp", header.get("__metadata__").get("architecture").asText());
    long covered = 0;
    for (int t = 0; t < model.spec().tensorCount(); t++) {
      var spec = model.spec().tensor(t);
      JsonNode e = header.get(spec.name());
      assertEquals("F32", e.get("dtype").asText());
      List<Integer> shape = new ArrayList<>();
      e.get("shape").forEach(d -> shape.add(d.asInt()));
      assertEquals(java.util.Arrays.stream(spec.shape()).boxed().toList(), shape);
      long begin = e.get("data_offsets").get(0).asLong();
      long end = e.get("data_offsets").get(1).asLong();
      assertEquals(4L * spec.size(), end - begin);
      covered += end - begin;
      ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + n + begin), (int) (end - begin)).slice().order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < spec.size(); i += 997) {
        assertEquals(model.tensor(t).get(i), data.getFloat(4 * i));
      }
    }
    assertEquals(bytes.length - 8 - n, covered, "the tensors tile the data");
    assertEquals(model, SafeTensors.toModel(SafeTensors.read(file, Long.MAX_VALUE).under(""), model.spec(), file.toString()));
  }

  @Test
  void malformedFilesFailNamingTheFileAndTheFault() {
    String ok = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    Map<String, byte[]> bad = Map.of(
        "truncated", java.util.Arrays.copyOf(handMade("{" + ok + "}", 1f, 2f), 8 + 50),
        "header length", ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array(),
        "overlap", handMade("{" + ok + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 1f, 2f),
        "hole", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 1f, 2f),
        "shape", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 1f, 2f),
        "duplicate", handMade("{" + ok + "," + ok + "}", 1f, 2f),
        "dtype", handMade("{\"a\":{\"dtype\":\"F99\",\"shape\":[2],\"data_offsets\":[0,8]}}", 1f, 2f),
        "trailing data", handMade("{" + ok + "}", 1f, 2f, 3f),
        "metadata", handMade("{\"__metadata__\":{\"k\":1}," + ok + "}", 1f, 2f));
    bad.forEach((what, bytes) -> {
      TensorFileException e = assertThrows(TensorFileException.class, () -> SafeTensors.fromBytes(bytes, "x/" + what + ".st"), what);
      assertTrue(e.getMessage().startsWith("x/" + what + ".st"), e.getMessage());
    });
  }

  @Test
  void aModelOfAnotherArchitectureIsRefusedByName() {
    TensorFile mlp = SafeTensors.ofModel(Architecture.mlp().initialModel(1));
    TensorFileException e = assertThrows(TensorFileException.class,
        () -> SafeTensors.toModel(mlp, Architecture.cnn().spec(), "m.safetensors"));
    assertTrue(e.getMessage().contains("m.safetensors") && e.getMessage().contains("conv1"), e.getMessage());
  }

  @Test
  void theNewestWholeCheckpointIsUsedAndACorruptOneIsReported() throws Exception {
    Architecture arch = Architecture.mlp();
    Checkpoints store = new Checkpoints(dir, 2);
    List<RoundMetrics> rows = new ArrayList<>();
    for (int r = 1; r <= 3; r++) {
      rows.add(new RoundMetrics("cs", r, 0.5, 1.0, 10, 20, 2, 2, 1, 1, 1, 1));
      store.save(new Checkpoint("cs", r, rows, Map.of("client-1", r - 1), arch.initialModel(r), TensorFile.EMPTY.withBytes("x", new byte[] {(byte) r})));
    }
    try (var files = Files.list(dir)) {
      assertEquals(2, files.filter(p -> p.toString().endsWith(".safetensors")).count(), "the last two kept");
    }
    Path newest = dir.resolve("cs-round-000003.safetensors");
    byte[] bytes = Files.readAllBytes(newest);
    Files.write(newest, java.util.Arrays.copyOf(bytes, bytes.length - 100));
    List<String> warnings = new ArrayList<>();
    Checkpoint c = store.latest("cs", arch.spec(), warnings::add).orElseThrow();
    assertEquals(2, c.round());
    assertEquals(arch.initialModel(2), c.global());
    assertEquals(Map.of("client-1", 1), c.held());
    assertEquals(rows.subList(0, 2), c.metrics());
    assertArrayEquals(new byte[] {2}, c.strategyState().bytes("x"));
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains(newest.toString()), warnings.get(0));
    assertTrue(store.latest("fedavg", arch.spec(), warnings::add).isEmpty());
  }

  @Test
  void aCheckpointKeepsTheStateOfHeldRoundsOnly() {
    List<RoundMetrics> rows = List.of(new RoundMetrics("cs", 1, 0.5, 1.0, 10, 20, 2, 2, 1, 1, 1, 1));
    TensorFile state = TensorFile.EMPTY.withBytes("mask/k", new byte[] {1}).withBytes(Checkpoint.heldState(0) + "x", new byte[] {0})
        .withBytes(Checkpoint.heldState(2) + "x", new byte[] {2}).withBytes(Checkpoint.heldState(21) + "x", new byte[] {21});
    Checkpoint c = new Checkpoint("cs", 1, rows, Map.of("a", 2, "b", 2), Architecture.mlp().initialModel(1), state);
    // The held entries first, by round, then the rest in its order.
    assertEquals(List.of("held/2/x", "mask/k"), List.copyOf(c.strategyState().tensors().keySet()));
  }

  @Test
  void aCheckpointOfTheFirstRevisionStillReads() {
    Architecture arch = Architecture.mlp();
    List<RoundMetrics> rows = List.of(new RoundMetrics("cs", 1, 0.5, 1.0, 10, 20, 2, 2, 1, 1, 1, 1));
    Checkpoint c = new Checkpoint("cs", 1, rows, Map.of("a", 0), arch.initialModel(1), TensorFile.EMPTY.withBytes("mask/k", new byte[] {1}));
    TensorFile written = c.toFile();
    assertEquals(Checkpoint.REVISION, written.meta(Checkpoint.REVISION_KEY).orElseThrow());
    // What the writer of revision 1 wrote: the same, without the revision and without held state.
    Map<String, String> meta = new java.util.LinkedHashMap<>(written.metadata());
    meta.remove(Checkpoint.REVISION_KEY);
    TensorFile first = TensorFile.of(written.tensors(), meta);
    assertEquals(c, Checkpoint.fromFile(SafeTensors.fromBytes(SafeTensors.toBytes(first), "old"), arch.spec(), "old"));
  }
}
