package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.Checkpoints;
import io.csfl.checkpoint.TensorFile;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a server saves after a round, and what a server that takes over continues from. */
class ModelFilesTest {
  @TempDir
  Path dir;

  @Test
  void aServerThatTakesOverKnowsWhatTheClientsHoldAndTheHistoryOfIt() throws Exception {
    Architecture mlp = Architecture.mlp();
    Checkpoints store = new Checkpoints(dir, 1);
    TensorFile state = TensorFile.EMPTY.withBytes("mask/dense1/kernel", new byte[] {1})
        .withBytes(Checkpoint.heldState(1) + "kept/dense1/kernel", new byte[] {1});
    Checkpoint saved = new Checkpoint("cs", 2, List.of(new RoundMetrics("cs", 1, 0.5, 1.0, 10, 20, 2, 2, 1, 1, 1, 1),
        new RoundMetrics("cs", 2, 0.6, 0.9, 10, 20, 2, 2, 1, 1, 1, 1)), Map.of("client-0001", 1), mlp.initialModel(3), state);
    store.save(saved);
    Checkpoint resumed = ModelFiles.resumePoint(store, "cs", 5, mlp, Map.of(), dir.resolve("model.safetensors")).orElseThrow();
    assertEquals(Map.of("client-0001", 1), resumed.held());
    assertEquals(saved.strategyState(), resumed.strategyState(), "the history of the held round came back with it");
    assertEquals(state.tensors().keySet(), resumed.strategyState().tensors().keySet());
  }

  /** A run resumed after its last round saves no more, so its resume deletes what a kill after the last save left beyond --keep-checkpoints. */
  @Test
  void aRunResumedAfterItsLastRoundKeepsNoMoreCheckpointsThanAsked() throws Exception {
    Architecture mlp = Architecture.mlp();
    Checkpoints all = new Checkpoints(dir, 3);
    for (int r = 1; r <= 3; r++) {
      all.save(new Checkpoint("cs", r, java.util.stream.IntStream.rangeClosed(1, r)
          .mapToObj(i -> new RoundMetrics("cs", i, 0.5, 1.0, 10, 20, 2, 2, 1, 1, 1, 1)).toList(), Map.of(), mlp.initialModel(r),
          TensorFile.EMPTY));
    }
    // Kept with 3; the run asks for 2 and has run its 3 rounds.
    ModelFiles.resumePoint(new Checkpoints(dir, 2), "cs", 3, mlp, Map.of(), dir.resolve("model.safetensors")).orElseThrow();
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
      assertEquals(List.of("cs-round-000002.safetensors", "cs-round-000003.safetensors"),
          files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("cs-")).sorted().toList());
    }
    // One with rounds still to run leaves them to its next save.
    all.save(new Checkpoint("cs", 4, java.util.stream.IntStream.rangeClosed(1, 4)
        .mapToObj(i -> new RoundMetrics("cs", i, 0.5, 1.0, 10, 20, 2, 2, 1, 1, 1, 1)).toList(), Map.of(), mlp.initialModel(4),
        TensorFile.EMPTY));
    ModelFiles.resumePoint(new Checkpoints(dir, 2), "cs", 10, mlp, Map.of(), dir.resolve("model.safetensors")).orElseThrow();
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
      assertEquals(3, files.filter(f -> f.getFileName().toString().startsWith("cs-")).count());
    }
  }

  /**
   * The last round's model is written before its checkpoint: a server resumed from that checkpoint
   * has no round left to run, so a model missing then would never be written. Here the checkpoint
   * cannot be saved (its directory is a file), as if the process died while saving it.
   */
  @Test
  void theLastRoundsModelIsOnDiskBeforeItsCheckpoint() throws Exception {
    Architecture mlp = Architecture.mlp();
    Path notADirectory = java.nio.file.Files.writeString(dir.resolve("checkpoints"), "a file");
    Path model = dir.resolve("model.safetensors");
    io.csfl.actor.Server.Checkpointer checkpointer = ModelFiles.checkpointer(new Checkpoints(notADirectory, 1), 2, mlp, Map.of(), a -> model);
    Checkpoint last = new Checkpoint("cs", 2, List.of(new RoundMetrics("cs", 1, 0.5, 1.0, 10, 20, 2, 2, 1, 1, 1, 1),
        new RoundMetrics("cs", 2, 0.6, 0.9, 10, 20, 2, 2, 1, 1, 1, 1)), Map.of(), mlp.initialModel(3), TensorFile.EMPTY);
    assertThrows(java.io.IOException.class, () -> checkpointer.save(last));
    assertTrue(java.nio.file.Files.exists(model), "the model was written first");
    assertEquals(mlp.initialModel(3), io.csfl.checkpoint.SafeTensors.toModel(io.csfl.checkpoint.SafeTensors.read(model, Long.MAX_VALUE), mlp.spec(), model.toString()));
  }
}
