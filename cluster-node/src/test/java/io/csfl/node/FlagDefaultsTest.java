package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FlagDefaultsTest {
  @TempDir
  Path dir;

  private NodeCommand parse(FlagDefaults defaults, String... args) {
    CommandLine cl = CsflCommand.commandLine();
    cl.setDefaultValueProvider(defaults);
    CommandLine.ParseResult result = cl.parseArgs(args);
    return (NodeCommand) result.subcommand().commandSpec().userObject();
  }

  @Test
  void environmentThenConfigFileThenAnnotationAndTheCommandLineWins() throws Exception {
    Path conf = dir.resolve("node.conf");
    Files.writeString(conf, "csfl { port = 25600, seed-nodes = [\"a:1\", \"b:2\"], rounds = 7, client-ids = \"0-4\" }");
    Map<String, String> env = Map.of("CSFL_PORT", "25700", "CSFL_ROLE", "client");
    FlagDefaults defaults = new FlagDefaults(env, FlagDefaults.configFile(new String[] {"node", "--config", conf.toString()}, env));

    NodeCommand fromDefaults = parse(defaults, "node", "--config", conf.toString());
    assertEquals(25700, fromDefaults.port, "the environment beats the file");
    assertEquals(java.util.List.of("a:1", "b:2"), fromDefaults.seedNodes, "a HOCON list becomes a comma list");
    assertEquals(7, fromDefaults.federation.rounds, "federation flags too");
    assertEquals(java.util.List.of("client"), fromDefaults.roles);
    assertEquals("127.0.0.1", fromDefaults.host, "annotation default when neither has it");

    NodeCommand fromFlags = parse(defaults, "node", "--config", conf.toString(), "--port", "25800", "--role", "server");
    assertEquals(25800, fromFlags.port, "a flag beats both");
    assertEquals(java.util.List.of("server"), fromFlags.roles);
  }

  @Test
  void aConfigFileFromTheEnvironmentIsTheNodesConfigAsTheFlagIs() throws Exception {
    Path conf = Files.writeString(dir.resolve("node.conf"), "csfl.port = 25600\nakka.remote.artery.advanced.maximum-frame-size = 2 MiB\n");
    Map<String, String> env = Map.of("CSFL_CONFIG", conf.toString());
    NodeCommand node = parse(new FlagDefaults(env, FlagDefaults.configFile(new String[] {"node"}, env)), "node", "--role", "client");
    assertEquals(conf, node.config, "the file whose akka.* settings the node's actor system takes");
    assertEquals(25600, node.port);
  }

  @Test
  void theConfigFileCanComeFromTheEnvironment() {
    assertEquals(Optional.of(Path.of("/x.conf")), FlagDefaults.configFile(new String[] {"node"}, Map.of("CSFL_CONFIG", "/x.conf")));
    assertEquals(Optional.of(Path.of("/y.conf")), FlagDefaults.configFile(new String[] {"node", "--config=/y.conf"}, Map.of("CSFL_CONFIG", "/x.conf")));
  }
}
