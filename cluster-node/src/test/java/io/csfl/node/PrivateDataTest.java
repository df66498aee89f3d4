package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.cluster.NodePlan;
import io.csfl.metrics.MetricsCsv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code csfl node --private-data}: each site trains the clients it hosts on its own file, the
 * server evaluates on its own test set, and the nodes agree on the data's schema, not the data.
 */
class PrivateDataTest {
  @TempDir
  Path dir;

  /** The centre of each class's features: three classes apart in four features. */
  private static final double[][] CENTRES = {{2, 0, 0, 1}, {0, 2, 0, -1}, {0, 0, 2, 0}};

  /** {@code rows} examples of {@code classes}, drawn around their centres, as CSV with the features in {@code columns}' order. */
  private Path csv(String name, int[] classes, int rows, String columns, long seed) throws IOException {
    Random rng = new Random(seed);
    List<String> columnNames = List.of(columns.split(","));
    StringBuilder text = new StringBuilder(columns).append(",label\n");
    for (int r = 0; r < rows; r++) {
      int c = classes[rng.nextInt(classes.length)];
      double[] x = new double[4];
      for (int j = 0; j < 4; j++) {
        x[j] = CENTRES[c][j] + 0.7 * rng.nextGaussian();
      }
      for (String column : columnNames) {
        text.append(String.format(java.util.Locale.ROOT, "%.3f,", x[column.charAt(0) - 'a']));
      }
      text.append(c).append('\n');
    }
    return Files.writeString(dir.resolve(name), text);
  }

  private static final List<String> FEDERATION = List.of("--insecure", "--private-data", "--clients", "4", "--per-round", "4",
      "--min-completed", "4", "--local-epochs", "1", "--model", "logreg", "--algorithm", "fedavg", "--lr", "0.05",
      "--label-column", "label", "--classes", "3", "--management-port", "off");

  private static List<String> args(List<String> node, String... more) {
    List<String> all = new ArrayList<>(List.of("node"));
    all.addAll(node);
    all.addAll(FEDERATION);
    all.addAll(List.of(more));
    return all;
  }

  /** A node started with {@code args}, its flags and data checked as the node checks them. */
  private static NodeCommand node(List<String> args) {
    NodeCommand node = CliTest.parsedNode(args.toArray(String[]::new));
    node.validateFederation();
    node.federation.validateWithData();
    return node;
  }

  /** What the clients of a node started with {@code args} say at the handshake about their data and training. */
  private static String clientSignature(List<String> args) {
    NodeCommand node = node(args);
    return node.federation.clientSignature(node.federation.data().train());
  }

  /** A TCP port on loopback that was free a moment ago, for the seed node that the other must name. */
  private static int freePort() throws IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Test
  void twoSitesThatEachLackAClassTrainOneModelThatKnowsThemAll() throws Exception {
    // Site A has classes 0 and 1, site B 1 and 2: either alone could classify about two thirds of the server's test
    // set (0.70 when both sites have 0 and 1).
    Path siteA = csv("site-a.csv", new int[] {0, 1}, 400, "a,b,c,d", 1);
    Path siteB = csv("site-b.csv", new int[] {1, 2}, 400, "a,b,c,d", 2);
    Path test = csv("test.csv", new int[] {0, 1, 2}, 300, "a,b,c,d", 3);
    Path config = Files.writeString(dir.resolve("node.conf"), "akka.actor.serialize-messages = on\n");
    Path out = dir.resolve("out");
    int seedPort = freePort();
    List<String> a = args(List.of("--role", "server,aggregator,client", "--port", String.valueOf(seedPort), "--client-ids", "0-1",
        "--dataset", "csv:" + siteA, "--test-file", test.toString(), "--out", out.toString()),
        "--rounds", "6", "--exit-when-done", "--config", config.toString());
    // Site B names no test set: a site that only trains needs none.
    List<String> b = args(List.of("--role", "client", "--port", "0", "--seed-nodes", "127.0.0.1:" + seedPort, "--client-ids", "2-3",
        "--dataset", "csv:" + siteB), "--rounds", "6", "--exit-when-done", "--config", config.toString());

    ExecutorService nodes = Executors.newFixedThreadPool(2);
    try {
      Future<Integer> server = nodes.submit(() -> CsflCommand.commandLine().execute(a.toArray(String[]::new)));
      Future<Integer> client = nodes.submit(() -> CsflCommand.commandLine().execute(b.toArray(String[]::new)));
      assertEquals(0, server.get(5, TimeUnit.MINUTES), "site A's node (the server) finished the run");
      assertEquals(0, client.get(1, TimeUnit.MINUTES), "site B's node finished with it");
    } finally {
      nodes.shutdownNow();
    }
    List<io.csfl.metrics.RoundMetrics> rows = MetricsCsv.read(out.resolve("metrics.csv"));
    assertEquals(6, rows.size());
    // Every round needs all four clients, so both sites trained in each.
    rows.forEach(r -> assertEquals(4, r.clientsCompleted(), r.toString()));
    double accuracy = rows.get(rows.size() - 1).accuracy();
    assertTrue(accuracy > 0.8, "the model classifies all three classes, which no site has alone: accuracy " + accuracy);

    // Site A evaluates the model on its own file, which has two of the model's three classes: with --classes.
    String model = out.resolve("model.safetensors").toString();
    List<String> evaluate = List.of("evaluate", "--model", model, "--dataset", "csv:" + siteA, "--label-column", "label",
        "--test-file", siteA.toString());
    CliTest.run(evaluate.toArray(String[]::new)).isOneLineUsageError("(the data have 2 classes, the model 3: give --classes 3)");
    List<String> withClasses = new ArrayList<>(evaluate);
    withClasses.addAll(List.of("--classes", "3"));
    CliTest.Result scored = CliTest.run(withClasses.toArray(String[]::new));
    assertEquals(0, scored.exitCode(), scored.err());
    assertTrue(scored.out().contains(": accuracy 0."), scored.out());
    // The model file records the columns it was trained on: the same ones in another order would be other inputs.
    Path swapped = csv("swapped.csv", new int[] {0, 1, 2}, 60, "b,a,c,d", 4);
    CliTest.run("evaluate", "--model", model, "--dataset", "csv:" + swapped, "--label-column", "label", "--test-file", swapped.toString(),
        "--classes", "3").isOneLineUsageError("the model was trained on other CSV feature columns: feature 1 is 'b' here, 'a' in training");
    // Nor does a run start from it on such a file.
    CliTest.run("simulate", "--dataset", "csv:" + swapped, "--label-column", "label", "--test-fraction", "0.2", "--classes", "3",
        "--model", "logreg", "--clients", "2", "--per-round", "2", "--rounds", "1", "--initial-model", model, "--out",
        dir.resolve("from-swapped").toString()).isOneLineUsageError("--initial-model " + model + ": the model was trained on other CSV");
  }

  @Test
  void sitesAgreeOnTheDataSchemaNotOnTheData() throws Exception {
    Path siteA = csv("site-a.csv", new int[] {0, 1}, 200, "a,b,c,d", 1);
    Path siteB = csv("site-b.csv", new int[] {1, 2}, 150, "a,b,c,d", 2);
    Path swapped = csv("site-c.csv", new int[] {1, 2}, 150, "b,a,c,d", 2);
    Path test = csv("test.csv", new int[] {0, 1, 2}, 90, "a,b,c,d", 3);
    NodePlan server = node(args(List.of("--role", "server", "--dataset", "csv:" + siteA, "--test-file", test.toString(),
        "--out", dir.resolve("out").toString()))).plan();
    io.csfl.actor.Server.Settings settings = server.server().orElseThrow().settings();
    assertEquals(0, settings.examplesPerClient().length, "no server can know what a site's clients hold");

    List<String> siteNode = List.of("--role", "client", "--client-ids", "2-3", "--dataset", "csv:" + siteB);
    NodePlan site = node(args(siteNode)).plan();
    String expected = settings.dataSignature();
    String signature = clientSignature(args(siteNode));
    assertEquals(expected, signature, "another file of the same columns and classes is welcome");
    assertTrue(signature.contains("columns=a,b,c,d") && signature.contains("classes=3"), signature);
    assertEquals(2, site.clients().orElseThrow().to() - site.clients().orElseThrow().from() + 1);

    String other = clientSignature(args(List.of("--role", "client", "--client-ids", "2-3", "--dataset", "csv:" + swapped)));
    assertNotEquals(expected, other, "the same features in another order would mean other things to the model");
    assertTrue(other.contains("columns=b,a,c,d"), other);
    // A name with a space (or a comma) stays one word of the signature, readable in a refusal.
    Path spaced = csv("site-d.csv", new int[] {1, 2}, 150, "a b,b,c,d", 2);
    String words = clientSignature(args(List.of("--role", "client", "--client-ids", "2-3", "--dataset", "csv:" + spaced)));
    assertTrue(words.contains(" columns=a+b,b,c,d "), words);
  }

  @Test
  void serverNodesOfOneRunMayShareAndHoldOutTheirOwnDataTheirOwnWay() throws Exception {
    Path siteA = csv("site-a.csv", new int[] {0, 1}, 200, "a,b,c,d", 1);
    Path siteB = csv("site-b.csv", new int[] {1, 2}, 150, "a,b,c,d", 2);
    Path test = csv("test.csv", new int[] {0, 1, 2}, 90, "a,b,c,d", 3);
    String out = dir.resolve("out").toString();
    node(args(List.of("--role", "server,client", "--client-ids", "0-1", "--dataset", "csv:" + siteA, "--test-file", test.toString(),
        "--out", out))).plan();
    // A standby at the other site continues the same run from the same checkpoints, with its own split and hold-out.
    node(args(List.of("--role", "server,client", "--client-ids", "2-3", "--dataset", "csv:" + siteB, "--test-fraction", "0.2",
        "--partition", "shards:2", "--out", out))).plan();
    assertTrue(Files.readString(dir.resolve("out/checkpoints/" + RunDefinition.FILE)).contains("\"--classes\" : \"3\""));
  }

  @Test
  void anIdxSiteNamesItsShapeAndTheClassesItWasGiven() {
    List<String> idx = List.of("node", "--role", "client", "--insecure", "--private-data", "--clients", "4", "--per-round", "4",
        "--client-ids", "0-3", "--dataset", "idx:" + SimulateCommandTest.repoData(), "--model", "logreg");
    String ten = clientSignature(idx);
    assertTrue(ten.startsWith("private-data shape=1x28x28 classes=10 clients=4 "), ten);
    List<String> twelve = new ArrayList<>(idx);
    twelve.addAll(List.of("--classes", "12"));
    assertTrue(clientSignature(twelve).startsWith("private-data shape=1x28x28 classes=12 "), clientSignature(twelve));
  }

  @Test
  void aTrainingIdxSiteNeedsNoTestFiles() throws Exception {
    Path site = Files.createDirectories(dir.resolve("idx-site"));
    for (String file : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")) {
      Files.createSymbolicLink(site.resolve(file), SimulateCommandTest.repoData().resolve(file).toAbsolutePath());
    }
    NodeCommand node = node(List.of("node", "--role", "client", "--insecure", "--private-data", "--clients", "4", "--per-round", "4",
        "--client-ids", "0-3", "--dataset", "idx:" + site, "--model", "logreg"));
    assertEquals(60000, node.federation.data().train().size());
    assertEquals(4, node.plan().clients().orElseThrow().to() + 1);
  }

  @Test
  void aModelOfOtherColumnsIsToldWhereTheyDifferAndHowMany() throws Exception {
    DataOptions data = new DataOptions();
    data.dataset = "csv:" + csv("four.csv", new int[] {1, 2}, 10, "a,b,c,d", 2);
    data.labelColumn = "label";
    assertEquals(null, data.columnsRefusal("a,b,c,d"));
    assertTrue(data.columnsRefusal("a,b,c").startsWith("the model was trained on other CSV feature columns: feature 4 is 'd' here, "
        + "'(none)' in training (3 columns in training, 4 here)"), data.columnsRefusal("a,b,c"));
    // A list too long to record whole is compared by its hash, and still counted.
    assertTrue(data.columnsRefusal("70000#0badc0de").contains("columns (70000 columns in training, 4 here)"), data.columnsRefusal("70000#0badc0de"));
  }

  /**
   * A model file records whether its CSV features were standardized: evaluated, or started from,
   * on features scaled otherwise, it would read other inputs than it learned from and give an
   * accuracy that means nothing (it did: 0.468 against 0.774, exit 0).
   */
  @Test
  void aModelIsUsedOnlyOnFeaturesScaledAsItWasTrainedOn() throws Exception {
    Path train = csv("scaled.csv", new int[] {0, 1, 2}, 300, "a,b,c,d", 5);
    Path test = csv("scaled-test.csv", new int[] {0, 1, 2}, 90, "a,b,c,d", 6);
    List<String> data = List.of("--dataset", "csv:" + train, "--label-column", "label", "--test-file", test.toString());
    List<String> run = new ArrayList<>(List.of("simulate", "--algorithm", "fedavg", "--model", "logreg", "--clients", "2", "--per-round", "2",
        "--rounds", "1", "--local-epochs", "1", "--standardize", "--out", dir.resolve("standardized").toString()));
    run.addAll(data);
    CliTest.Result trained = CliTest.run(run.toArray(String[]::new));
    assertEquals(0, trained.exitCode(), trained.err());
    String model = dir.resolve("standardized").resolve("model.safetensors").toString();
    List<String> evaluate = new ArrayList<>(List.of("evaluate", "--model", model));
    evaluate.addAll(data);
    CliTest.run(evaluate.toArray(String[]::new)).isOneLineUsageError(model + ": the model was trained on standardized features: give --standardize");
    evaluate.add("--standardize");
    CliTest.Result scored = CliTest.run(evaluate.toArray(String[]::new));
    assertEquals(0, scored.exitCode(), scored.err());
    assertTrue(scored.out().contains(": accuracy 0."), scored.out());
    // A run on raw features does not start from it, and a model of raw features does not serve a standardized run.
    List<String> from = new ArrayList<>(List.of("simulate", "--algorithm", "fedavg", "--model", "logreg", "--clients", "2", "--per-round", "2",
        "--rounds", "1", "--initial-model", model, "--out", dir.resolve("from-standardized").toString()));
    from.addAll(data);
    CliTest.run(from.toArray(String[]::new)).isOneLineUsageError("--initial-model " + model + ": the model was trained on standardized features");
    run.remove("--standardize");
    run.set(run.indexOf(dir.resolve("standardized").toString()), dir.resolve("raw").toString());
    assertEquals(0, CliTest.run(run.toArray(String[]::new)).exitCode());
    String raw = dir.resolve("raw").resolve("model.safetensors").toString();
    evaluate.set(evaluate.indexOf(model), raw);
    CliTest.run(evaluate.toArray(String[]::new)).isOneLineUsageError(raw + ": the model was trained on the features as the file gives them,"
        + " not standardized: leave out --standardize");
  }

  @Test
  void aSitesClientsShareItsOwnFile() throws Exception {
    Path site = csv("site.csv", new int[] {1, 2}, 150, "a,b,c,d", 2);
    NodeCommand node = node(args(List.of("--role", "client", "--client-ids", "1-3", "--dataset", "csv:" + site)));
    List<int[]> shares = node.federation.siteShares(node.federation.data().train(), 1, 3);
    assertEquals(3, shares.size(), "one share per hosted client");
    assertEquals(150, shares.stream().mapToInt(s -> s.length).sum(), "the site's examples, all of them");
    assertEquals(150, shares.stream().flatMapToInt(java.util.Arrays::stream).distinct().count(), "each example in one share");
  }

  @Test
  void flagsThatCannotWorkWithPrivateDataAreOneLine() throws Exception {
    String data = "csv:" + csv("site.csv", new int[] {1, 2}, 3, "a,b,c,d", 2);
    String twos = "csv:" + csv("twos.csv", new int[] {2}, 3, "a,b,c,d", 2);
    CliTest.run("node", "--role", "client", "--insecure", "--private-data", "--dataset", data, "--label-column", "label", "--classes", "3")
        .isOneLineUsageError("--private-data needs --clients N");
    CliTest.run("node", "--role", "client", "--insecure", "--private-data", "--clients", "4", "--dataset", "synthetic:1,1")
        .isOneLineUsageError("is generated alike on every node");
    CliTest.run("node", "--role", "client", "--insecure", "--private-data", "--clients", "4", "--dataset", data, "--label-column", "label",
        "--classes", "3", "--standardize").isOneLineUsageError("--standardize would scale each site's features by its own statistics");
    CliTest.run("node", "--role", "client", "--insecure", "--private-data", "--clients", "4", "--dataset", data, "--label-column", "label")
        .isOneLineUsageError("--private-data with --dataset csv:FILE needs --classes N");
    CliTest.run("node", "--role", "client", "--insecure", "--private-data", "--clients", "4", "--dataset", data, "--label-column", "label",
        "--classes", "3", "--per-round", "2", "--partition", "natural").isOneLineUsageError("--partition natural cannot be used");
    CliTest.run("node", "--role", "client", "--insecure", "--private-data", "--clients", "4", "--dataset", data, "--label-column", "label",
        "--classes", "3", "--per-round", "2", "--client-ids", "auto", "--port", "0").isOneLineUsageError("not auto");
    // Three rows for four clients.
    CliTest.run("node", "--role", "client", "--insecure", "--private-data", "--clients", "4", "--dataset", data, "--label-column", "label",
        "--classes", "3", "--per-round", "2", "--port", "0", "--client-ids", "0-3")
        .isOneLineUsageError("3 training examples, too few for --partition iid to share among the 4 clients this node hosts");
    // Without a range a site would host every client, as each other site would.
    CliTest.run("node", "--role", "client", "--insecure", "--private-data", "--clients", "4", "--dataset", data, "--label-column", "label",
        "--classes", "3", "--per-round", "2", "--port", "0").isOneLineUsageError("give the clients this site hosts with --client-ids A-B");
    // Forgotten, --dataset would be the public Fashion-MNIST on every site that forgot it.
    CliTest.run("node", "--role", "client", "--insecure", "--private-data", "--clients", "4", "--per-round", "2", "--client-ids", "0-3")
        .isOneLineUsageError("--dataset fashion-mnist (the default) is the same public data on every node");
    // A site that evaluates (the server's) needs a test set; a training site does not.
    CliTest.run("node", "--role", "server", "--insecure", "--private-data", "--clients", "4", "--dataset", data, "--label-column", "label",
        "--classes", "3", "--per-round", "2", "--port", "0").isOneLineUsageError("needs a test set");
    // A label past --classes names its row.
    CliTest.run("node", "--role", "client", "--insecure", "--private-data", "--clients", "1", "--per-round", "1", "--dataset", twos,
        "--label-column", "label", "--classes", "2", "--port", "0").isOneLineUsageError("is out of range: the classes are 0 to 1");
  }
}
