package io.csfl.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.actor.Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EmbeddedFederationTest {
  @Test
  void theEmbeddingExampleTrainsCsToTheEnd() throws Exception {
    Path p = Path.of("").toAbsolutePath();
    while (!Files.isDirectory(p.resolve("data/fashion-mnist"))) {
      p = p.getParent();
    }
    Server.Finished finished = assertInstanceOf(Server.Finished.class, EmbeddedFederation.run(Optional.of(p.resolve("data/fashion-mnist")), 2));
    assertEquals(2, finished.rounds().size());
    assertTrue(finished.rounds().get(1).accuracy() > 0.3, "accuracy " + finished.rounds().get(1).accuracy());
  }
}
