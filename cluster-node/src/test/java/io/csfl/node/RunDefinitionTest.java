package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server node checks at its start that the run in its checkpoint directory was started with its flags. */
class RunDefinitionTest {
  private static final String[] NODE = {"node", "--role", "server", "--insecure", "--dataset", "synthetic:0,0", "--model",
      "logreg", "--port", "0", "--management-port", "off"};

  @TempDir
  Path dir;

  /** The run definition a node would publish, parsed from {@link #NODE} with the flag-value pairs {@code extra} set. */
  private static SortedMap<String, String> definitionOf(String... extra) {
    return RunDefinition.of(federationOf(extra), "signature-1");
  }

  /** The federation flags of {@link #NODE} with the flag-value pairs {@code extra} set. */
  private static FederationOptions federationOf(String... extra) {
    return nodeOf(extra).federation;
  }

  /** The node command of {@link #NODE} with the flag-value pairs {@code extra} set. */
  private static NodeCommand nodeOf(String... extra) {
    List<String> args = new ArrayList<>(List.of(NODE));
    for (int i = 0; i + 1 < extra.length; i += 2) {
      int at = args.indexOf(extra[i]);
      if (at >= 0) {
        args.set(at + 1, extra[i + 1]);
      } else {
        args.addAll(List.of(extra[i], extra[i + 1]));
      }
    }
    return CliTest.parsedNode(args.toArray(String[]::new));
  }

  /** What an aggregator node started with {@link #NODE} and {@code extra} describes itself as. */
  private static String aggregatorSignatureOf(String... extra) {
    FederationOptions federation = federationOf(extra);
    federation.validateWithData();
    return federation.aggregatorSignature(federation.initialModel());
  }

  /** The logreg of {@link #NODE}'s data, initialised from {@code seed}. */
  private static io.csfl.tensor.Model logregStartingFrom(long seed) {
    FederationOptions federation = federationOf();
    federation.validateWithData();
    return federation.architecture().initialModel(seed);
  }

  @Test
  void anAggregatorNodeMustAgreeOnHowItAggregatesAndWhatItStartsFrom() throws Exception {
    String signature = aggregatorSignatureOf();
    assertTrue(signature.startsWith("model=logreg initial="), signature);
    assertTrue(signature.contains(" rounds=30 algorithm=cs sparsity=0.5 ") && signature.endsWith(" aggregation=mean clip-norm=none"),
        signature);
    // Local training and waits are the client nodes' and the server's business.
    assertEquals(signature, aggregatorSignatureOf("--lr", "0.05", "--local-epochs", "2", "--round-timeout", "9m", "--per-round", "3"));
    // Spellings of one algorithm, and of one rule, agree.
    assertEquals(signature, aggregatorSignatureOf("--algorithm", " CS"));
    assertEquals(aggregatorSignatureOf("--aggregation", "trimmed-mean:0.1"), aggregatorSignatureOf("--aggregation", "trimmed-mean:0.10"));
    io.csfl.tensor.Model other = logregStartingFrom(77);
    Path file = dir.resolve("initial.safetensors");
    io.csfl.checkpoint.SafeTensors.write(file, io.csfl.checkpoint.SafeTensors.ofModel(other));
    for (String[] flag : List.of(new String[] {"--server-rate", "2.0"}, new String[] {"--sparsity", "0.8"},
        new String[] {"--sparsity-end", "0.9"}, new String[] {"--aggregation", "median"}, new String[] {"--clip-norm", "5"},
        new String[] {"--rounds", "20"}, new String[] {"--seed", "2"}, new String[] {"--initial-model", file.toString()},
        new String[] {"--pruner", "global"}, new String[] {"--algorithm", "fedavg"})) {
      String theirs = aggregatorSignatureOf(flag);
      assertFalse(theirs.equals(signature), String.join(" ", flag) + " gives the same signature: " + theirs);
    }
  }

  @Test
  void aNodeStartsItsAggregatorFromTheInitialModelAndItsServerExpectsThatAggregator() throws Exception {
    io.csfl.tensor.Model other = logregStartingFrom(77);
    Path file = dir.resolve("initial.safetensors");
    io.csfl.checkpoint.SafeTensors.write(file, io.csfl.checkpoint.SafeTensors.ofModel(other));
    NodeCommand node = nodeOf("--role", "server,aggregator", "--initial-model", file.toString(), "--out", dir.resolve("out").toString());
    node.federation.validateWithData();
    io.csfl.cluster.NodePlan plan = node.plan();

    io.csfl.cluster.NodePlan.AggregatorPart aggregator = plan.aggregator().orElseThrow();
    assertEquals(other, aggregator.initial(), "the aggregator starts from --initial-model");
    assertEquals(aggregator.signature(), plan.server().orElseThrow().settings().aggregatorSignature());
    assertTrue(aggregator.signature().contains(" initial=" + FederationOptions.checksum(other) + " "), aggregator.signature());

    // As a cluster runs them: a server node and an aggregator node of their own, with the same flags.
    NodeCommand serverNode = nodeOf("--role", "server", "--initial-model", file.toString(), "--out", dir.resolve("out2").toString());
    serverNode.federation.validateWithData();
    NodeCommand aggregatorNode = nodeOf("--role", "aggregator", "--initial-model", file.toString());
    aggregatorNode.federation.validateWithData();
    assertEquals(aggregatorNode.plan().aggregator().orElseThrow().signature(),
        serverNode.plan().server().orElseThrow().settings().aggregatorSignature());
  }

  /** What a client node started with {@link #NODE} and {@code extra} tells the server at the handshake. */
  private static String clientSignatureOf(String... extra) {
    FederationOptions federation = federationOf(extra);
    federation.validateWithData();
    return federation.clientSignature(federation.data().train());
  }

  @Test
  void aClientNodeMustAgreeOnHowClientsTrainButNotOnWaitsOrItsEngine() {
    FederationOptions base = federationOf();
    base.validateWithData();
    String signature = base.clientSignature(base.data().train());
    assertTrue(signature.startsWith(base.dataSignature(base.data().train()) + " model=logreg algorithm=cs "), signature);
    assertEquals(signature, clientSignatureOf("--round-timeout", "9m", "--engine", "pytorch", "--data-dir", "/elsewhere"));
    for (String[] other : List.of(new String[] {"--lr", "0.05"}, new String[] {"--local-epochs", "2"}, new String[] {"--model", "dense:10"},
        new String[] {"--optimizer", "sgd"}, new String[] {"--batch-size", "32"}, new String[] {"--algorithm", "fedavg"})) {
      String theirs = clientSignatureOf(other);
      assertFalse(theirs.equals(signature), String.join(" ", other) + " gives the same signature: " + theirs);
    }
    assertTrue(clientSignatureOf("--lr", "0.05").contains(" lr=0.05 "));
    // Spelled as the strategies read it: CS is cs.
    assertEquals(signature, clientSignatureOf("--algorithm", "CS"));
  }

  @Test
  void theDefinitionHoldsWhatDecidesTheComputationAndNotWhereFilesAre() throws Exception {
    SortedMap<String, String> run = definitionOf("--lr", "0.05", "--data-dir", "/somewhere", "--round-timeout", "3m");
    assertEquals("0.05", run.get("--lr"));
    assertEquals("cs", run.get("--algorithm"));
    assertEquals("synthetic:0,0", run.get("--dataset"));
    assertEquals("signature-1", run.get("data"));
    assertTrue(run.containsKey("--seed") && run.containsKey("--model") && run.containsKey("--sparsity"), run.toString());
    assertFalse(run.containsKey("--data-dir") || run.containsKey("--round-timeout"), run.toString());
    assertEquals(run, definitionOf("--lr", "0.05", "--data-dir", "/elsewhere", "--round-timeout", "9m"));
    assertEquals(definitionOf("--model", "dense:10").get("--model"), definitionOf("--model", "dense:10 # a comment").get("--model"));
    Path data = io.csfl.data.RepositoryData.fashionMnistDir();
    Path linked = Files.createSymbolicLink(dir.resolve("elsewhere"), data.toAbsolutePath());
    assertEquals(definitionOf("--dataset", "idx:" + data).get("--dataset"), definitionOf("--dataset", "idx:" + linked).get("--dataset"));
  }

  @Test
  void theFirstNodePublishesAndTheNextWithTheSameFlagsIsAccepted() throws Exception {
    RunDefinition.claim(dir, definitionOf("--lr", "0.05"));
    assertTrue(Files.exists(dir.resolve(RunDefinition.FILE)));
    RunDefinition.claim(dir, definitionOf("--lr", "0.05", "--client-grace", "5m"));
    // Each node trains its clients on the engine it has: a standby server need not have the same one.
    RunDefinition.claim(dir, definitionOf("--lr", "0.05", "--engine", "pytorch"));
  }

  @Test
  void aNodeWithOtherFlagsIsRefusedNamingThem() throws Exception {
    RunDefinition.claim(dir, definitionOf("--lr", "0.05"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunDefinition.claim(dir, definitionOf("--lr", "0.1", "--seed", "7")));
    assertTrue(e.getMessage().contains("--lr: 0.05 there, 0.1 here"), e.getMessage());
    assertTrue(e.getMessage().contains("--seed: 1 there, 7 here"), e.getMessage());
    SortedMap<String, String> otherData = definitionOf("--lr", "0.05");
    otherData.put("data", "signature-2");
    e = assertThrows(IllegalArgumentException.class, () -> RunDefinition.claim(dir, otherData));
    assertTrue(e.getMessage().contains("data: other training data"), e.getMessage());
  }

  @Test
  void ofTwoNodesStartingAtOnceOnePublishesAndTheOtherChecks() throws Exception {
    for (int attempt = 0; attempt < 20; attempt++) {
      Path shared = dir.resolve("race-" + attempt);
      CyclicBarrier start = new CyclicBarrier(2);
      SortedMap<String, String> a = definitionOf("--lr", "0.05");
      SortedMap<String, String> b = definitionOf("--lr", "0.1");
      CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> claims(start, shared, a));
      CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> claims(start, shared, b));
      assertTrue(first.get() ^ second.get(), "exactly one of two different runs may claim the directory");
      try (var files = Files.list(shared)) {
        assertEquals(List.of(RunDefinition.FILE), files.map(p -> p.getFileName().toString()).toList());
      }
    }
  }

  private static boolean claims(CyclicBarrier start, Path directory, SortedMap<String, String> run) {
    try {
      start.await();
      RunDefinition.claim(directory, run);
      return true;
    } catch (IllegalArgumentException refused) {
      return false;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void anUnreadableDefinitionIsOneClearLine() throws Exception {
    Files.writeString(dir.resolve(RunDefinition.FILE), "{not json");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunDefinition.claim(dir, definitionOf()));
    assertTrue(e.getMessage().contains("is not readable") && e.getMessage().contains("remove it"), e.getMessage());
  }

  @Test
  void aServerNodeStartedWithOtherFlagsExitsWithAUsageErrorBeforeItJoins() throws Exception {
    Path out = dir.resolve("out");
    RunDefinition.claim(out.resolve("checkpoints"), definitionOf("--lr", "0.05"));
    List<String> args = new ArrayList<>(List.of(NODE));
    args.addAll(List.of("--lr", "0.02", "--resume", "--out", out.toString()));
    CliTest.run(args.toArray(String[]::new)).isOneLineUsageError("--lr: 0.05 there, 0.02 here");
  }

  @Test
  void aDifferenceInTheDataSaysWhatDiffers() {
    assertEquals("other training data", RunDefinition.dataDifference("a/10/0f clients=4 partition=iid seed=1", "b/10/1e clients=4 partition=iid seed=1"));
    assertEquals("other training data (the same data set with 10 training examples against 12)",
        RunDefinition.dataDifference("a/10/0000000f clients=4 partition=iid seed=1", "a/12/0000000f clients=4 partition=iid seed=1"));
    assertEquals("other data schema: classes=3 columns=a,b there, classes=4 columns=b,a here", RunDefinition.dataDifference(
        "private-data shape=2 classes=3 columns=a,b clients=4 seed=1", "private-data shape=2 classes=4 columns=b,a clients=4 seed=1"));
    assertEquals("the run was started with --private-data, this node lacks it",
        RunDefinition.dataDifference("private-data shape=2 classes=3 clients=4 seed=1", "a/10/0f clients=4 partition=iid seed=1"));
    assertEquals("the run was started without --private-data, this node has it",
        RunDefinition.dataDifference("a/10/0f clients=4 partition=iid seed=1", "private-data shape=2 classes=3 clients=4 seed=1"));
  }
}
