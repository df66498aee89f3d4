package io.csfl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.tensor.Model;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Guards csfl-core's public API: every public top-level type outside the {@code internal}
 * packages is listed here, so a new public type (or one made internal) is a deliberate change.
 */
class ApiSurfaceTest {

  private static final List<String> API = List.of(
      "io.csfl.actor.Aggregator",
      "io.csfl.actor.CertifiedRoles",
      "io.csfl.actor.ChurnModel",
      "io.csfl.actor.Client",
      "io.csfl.actor.ExpectedModel",
      "io.csfl.actor.Server",
      "io.csfl.checkpoint.Checkpoint",
      "io.csfl.checkpoint.Checkpoints",
      "io.csfl.checkpoint.SafeTensors",
      "io.csfl.checkpoint.TensorFile",
      "io.csfl.checkpoint.TensorFileException",
      "io.csfl.codec.DenseSection",
      "io.csfl.codec.MalformedWireException",
      "io.csfl.codec.MaskedSection",
      "io.csfl.codec.PatchSection",
      "io.csfl.codec.Payload",
      "io.csfl.codec.Precision",
      "io.csfl.codec.Section",
      "io.csfl.codec.SignSection",
      "io.csfl.codec.TernarySection",
      "io.csfl.codec.ValuesSection",
      "io.csfl.data.CsvDataset",
      "io.csfl.data.DataFileException",
      "io.csfl.data.Dataset",
      "io.csfl.data.FashionMnist",
      "io.csfl.data.IdxDataset",
      "io.csfl.data.Partitioner",
      "io.csfl.data.Splits",
      "io.csfl.data.SyntheticFederated",
      "io.csfl.metrics.MetricsCsv",
      "io.csfl.metrics.RoundMetrics",
      "io.csfl.nn.Architecture",
      "io.csfl.nn.Evaluation",
      "io.csfl.nn.Evaluator",
      "io.csfl.nn.KernelWarmUp",
      "io.csfl.nn.LayerList",
      "io.csfl.nn.LocalTrainer",
      "io.csfl.nn.NetworkTrainer",
      "io.csfl.nn.Optimizer",
      "io.csfl.nn.OptimizerConfig",
      "io.csfl.nn.TrainingConfig",
      "io.csfl.nn.TrainingEngine",
      "io.csfl.nn.TrainingResult",
      "io.csfl.nn.TrainingTimeLimitException",
      "io.csfl.strategy.ClientAlgorithm",
      "io.csfl.strategy.ComplementSparsification",
      "io.csfl.strategy.CsOptions",
      "io.csfl.strategy.CsVariant",
      "io.csfl.strategy.FedAvg",
      "io.csfl.strategy.FederatedStrategy",
      "io.csfl.strategy.GlobalMagnitudePruner",
      "io.csfl.strategy.InvalidUpdateException",
      "io.csfl.strategy.MagnitudePruner",
      "io.csfl.strategy.Payloads",
      "io.csfl.strategy.PruneRequest",
      "io.csfl.strategy.PrunedUpdateSharing",
      "io.csfl.strategy.Pruner",
      "io.csfl.strategy.RobustAggregation",
      "io.csfl.strategy.ServerAlgorithm",
      "io.csfl.strategy.SparseTernaryCompression",
      "io.csfl.strategy.Strategies",
      "io.csfl.strategy.StrategyParams",
      "io.csfl.strategy.TopKSparsification",
      "io.csfl.tensor.MagnitudePruning",
      "io.csfl.tensor.Mask",
      "io.csfl.tensor.MaskSet",
      "io.csfl.tensor.Model",
      "io.csfl.tensor.ModelBuffer",
      "io.csfl.tensor.ModelSpec",
      "io.csfl.tensor.NonFiniteValueException",
      "io.csfl.tensor.TensorOps",
      "io.csfl.tensor.TensorSpec",
      "io.csfl.tensor.Values"
  );

  @Test
  void publicTypesOutsideInternalPackagesAreExactlyTheApi() throws Exception {
    TreeSet<String> found = new TreeSet<>();
    for (String name : topLevelClassNames()) {
      if (name.contains(".internal.")) {
        continue;
      }
      Class<?> type = Class.forName(name, false, ApiSurfaceTest.class.getClassLoader());
      if (Modifier.isPublic(type.getModifiers())) {
        found.add(name);
      }
    }
    assertEquals(String.join("\n", new TreeSet<>(API)), String.join("\n", found),
        "csfl-core's public API changed: make the new type package-private, move it to an internal"
            + " package, or add it to ApiSurfaceTest.API");
  }

  @Test
  void internalPackagesHoldTheMovedImplementation() throws Exception {
    List<String> names = topLevelClassNames();
    for (String moved : List.of("io.csfl.internal.wire.WireReader", "io.csfl.internal.transfer.Transfers",
        "io.csfl.internal.actor.JacksonLimits", "io.csfl.internal.data.Shuffle")) {
      assertTrue(names.contains(moved), moved + " is missing from the internal packages");
    }
  }

  /** Every top-level class compiled from core's main sources (the directory holding Model.class). */
  private static List<String> topLevelClassNames() throws IOException, URISyntaxException {
    Path root = Path.of(Model.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .map(p -> root.relativize(p).toString().replace('\\', '/'))
          .filter(p -> p.endsWith(".class") && !p.contains("$") && !p.endsWith("package-info.class"))
          .map(p -> p.substring(0, p.length() - ".class".length()).replace('/', '.'))
          .sorted()
          .toList();
    }
  }
}
