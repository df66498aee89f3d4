package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FlagDefaultsTest {
  @TempDir
  Path dir;

  /** The command {@code args} run, parsed with the defaults of {@code env} and its config file, as {@link CsflCommand#main} does. */
  @SuppressWarnings("unchecked")
  private static <T> T parse(Map<String, String> env, String... args) {
    CommandLine cl = CsflCommand.commandLine();
    cl.setDefaultValueProvider(new FlagDefaults(cl, args, env));
    CommandLine.ParseResult result = cl.parseArgs(args);
    return (T) result.subcommand().commandSpec().userObject();
  }

  @Test
  void environmentThenConfigFileThenAnnotationAndTheCommandLineWins() throws Exception {
    Path conf = dir.resolve("node.conf");
    Files.writeString(conf, "csfl { port = 25600, seed-nodes = [\"a:1\", \"b:2\"], rounds = 7, client-ids = \"0-4\" }");
    Map<String, String> env = Map.of("CSFL_PORT", "25700", "CSFL_ROLE", "client");

    NodeCommand fromDefaults = parse(env, "node", "--config", conf.toString());
    assertEquals(25700, fromDefaults.port, "the environment beats the file");
    assertEquals(List.of("a:1", "b:2"), fromDefaults.seedNodes, "a HOCON list becomes a comma list");
    assertEquals(7, fromDefaults.federation.rounds, "federation flags too");
    assertEquals(List.of("client"), fromDefaults.roles);
    assertEquals("127.0.0.1", fromDefaults.host, "annotation default when neither has it");

    NodeCommand fromFlags = parse(env, "node", "--config", conf.toString(), "--port", "25800", "--role", "server");
    assertEquals(25800, fromFlags.port, "a flag beats both");
    assertEquals(List.of("server"), fromFlags.roles);
  }

  @Test
  void aConfigFileFromTheEnvironmentIsTheNodesConfigAsTheFlagIs() throws Exception {
    Path conf = Files.writeString(dir.resolve("node.conf"), "csfl.port = 25600\nakka.remote.artery.advanced.maximum-frame-size = 2 MiB\n");
    NodeCommand node = parse(Map.of("CSFL_CONFIG", conf.toString()), "node", "--role", "client");
    assertEquals(conf, node.config, "the file whose akka.* settings the node's actor system takes");
    assertEquals(25600, node.port);
  }

  @Test
  void theFlagNamesTheFileOnlyForACommandThatHasIt() throws Exception {
    Path env = Files.writeString(dir.resolve("env.conf"), "csfl.rounds = 3\n");
    Path flag = Files.writeString(dir.resolve("flag.conf"), "csfl.rounds = 4\n");
    Map<String, String> environment = Map.of("CSFL_CONFIG", env.toString());
    assertEquals(4, ((NodeCommand) parse(environment, "node", "--role", "client", "--config=" + flag)).federation.rounds);
    assertEquals(4, ((NodeCommand) parse(environment, "-q", "node", "--role", "client", "--config", flag.toString())).federation.rounds);
    // simulate has no --config (CliTest: it refuses the flag without reading the file).
    assertEquals(3, ((SimulateCommand) parse(environment, "simulate")).federation.rounds, "CSFL_CONFIG's");
  }

  @Test
  void substitutionsResolveAgainstTheFileThenTheEnvironment() throws Exception {
    Path conf = Files.writeString(dir.resolve("s.conf"), String.join("\n",
        "x = 7", "csfl.rounds = ${x}", "csfl.seed = ${SEED}", "csfl.lr = 0.5", "csfl.lr = ${?NO_SUCH_VARIABLE}", ""));
    SimulateCommand simulate = parse(Map.of("CSFL_CONFIG", conf.toString(), "SEED", "42"), "simulate");
    assertEquals(7, simulate.federation.rounds, "from the file");
    assertEquals(42, simulate.federation.seed, "from the environment");
    assertEquals(0.5, simulate.federation.lr, "an optional substitution with no value keeps the value before it");
  }

  @Test
  void aNullValueLeavesTheFlagAtItsDefault() throws Exception {
    Path conf = Files.writeString(dir.resolve("null.conf"), "csfl.rounds = 9\ncsfl.rounds = null\n");
    assertEquals(30, ((SimulateCommand) parse(Map.of("CSFL_CONFIG", conf.toString()), "simulate")).federation.rounds);
  }

  @Test
  void anotherCommandsFlagsCsflsSettingsAndKeysOutsideCsflAreAccepted() throws Exception {
    Path conf = Files.writeString(dir.resolve("shared.conf"), String.join("\n",
        "csfl.role = client", "csfl.days = 30", "csfl.rounds = 5", "csfl.rejoin.delay = 10s", "csfl.transfer.window = 4",
        "csfl.training-dispatcher.thread-pool-executor.core-pool-size-min = 2", "csfl.tls-warm-up.bytes = 0",
        "foo.bar = 3", "akka.loglevel = DEBUG", ""));
    assertEquals(5, ((SimulateCommand) parse(Map.of("CSFL_CONFIG", conf.toString()), "simulate")).federation.rounds);
    NodeCommand node = parse(Map.of("CSFL_CONFIG", conf.toString()), "node");
    assertEquals(List.of("client"), node.roles);
    assertNull(node.rejoin, "csfl.rejoin holds the setting csfl.rejoin.delay, not a value of --rejoin");
  }

  @Test
  void aNodesSettingsAreTheFileWithoutFlagsAndNulls() throws Exception {
    Path conf = Files.writeString(dir.resolve("node.conf"), String.join("\n",
        "csfl.rejoin = true", "csfl.port = 25600", "csfl.transfer.window = null", "csfl.transfer.chunk-size = 64 KiB",
        "akka.loglevel = DEBUG", ""));
    CommandLine cl = CsflCommand.commandLine();
    String[] args = {"node", "--role", "client", "--config", conf.toString()};
    cl.setDefaultValueProvider(new FlagDefaults(cl, args, Map.of()));
    NodeCommand node = (NodeCommand) cl.parseArgs(args).subcommand().commandSpec().userObject();
    assertEquals(Boolean.TRUE, node.rejoin);
    Config settings = FlagDefaults.settings(node.spec, conf).withFallback(io.csfl.cluster.ClusterConfig.defaults());
    assertEquals(java.time.Duration.ofSeconds(5), settings.getDuration("csfl.rejoin.delay"), "--rejoin's key hides no setting");
    assertFalse(settings.hasPath("csfl.port"));
    assertEquals(8, settings.getInt("csfl.transfer.window"), "null: the default");
    assertEquals(64 * 1024, settings.getBytes("csfl.transfer.chunk-size"));
    assertEquals("DEBUG", settings.getString("akka.loglevel"));
  }
}
