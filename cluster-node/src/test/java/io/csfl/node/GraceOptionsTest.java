package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.actor.Server;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** --aggregator-grace, --client-grace and a node's --lost-client-wait reach the server's settings, and bad values are refused in one line. */
class GraceOptionsTest {
  private static Server.Settings settings(String... args) {
    CommandLine.ParseResult parsed = CsflCommand.commandLine().parseArgs(args);
    return ((SimulateCommand) parsed.subcommand().commandSpec().userObject()).federation.serverSettings(0, "", "", java.util.List.of());
  }

  @Test
  void gracesDefaultToTwoMinutesAndTheFlagsSetThem() {
    Server.Settings defaults = settings("simulate");
    assertEquals(Duration.ofMinutes(2), defaults.aggregatorGrace());
    assertEquals(Duration.ofMinutes(2), defaults.clientGrace());
    Server.Settings set = settings("simulate", "--aggregator-grace", "30s", "--client-grace", "5m");
    assertEquals(Duration.ofSeconds(30), set.aggregatorGrace());
    assertEquals(Duration.ofMinutes(5), set.clientGrace());
  }

  @TempDir
  java.nio.file.Path dir;

  /** The settings of the server a node started with these flags would run. */
  private Server.Settings nodeSettings(String... flags) {
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("node", "--role", "server", "--insecure",
        "--dataset", "synthetic:0,0", "--model", "logreg", "--port", "0", "--management-port", "off",
        "--out", dir.resolve("out-" + flags.length).toString()));
    args.addAll(java.util.List.of(flags));
    NodeCommand node = CliTest.parsedNode(args.toArray(String[]::new));
    node.federation.validateWithData();
    return node.plan().server().orElseThrow().settings();
  }

  @Test
  void aNodeServerSamplesAtOnceUnlessToldToWaitForLostClients() {
    assertEquals(Duration.ZERO, nodeSettings().lostClientWait());
    assertEquals(Duration.ofSeconds(30), nodeSettings("--lost-client-wait", "30s").lostClientWait());
  }

  @Test
  void badGracesGetOneLineAndExitCodeTwo() {
    String[][] bad = {
        {"--aggregator-grace", "soon"},
        {"--aggregator-grace", "0s"},
        {"--client-grace", "-1m"},
        {"--client-grace", "2"},
        {"node", "--lost-client-wait", "0s"},
        {"node", "--lost-client-wait", "later"},
    };
    for (String[] given : bad) {
      boolean node = given[0].equals("node");
      String[] flag = node ? new String[] {given[1], given[2]} : given;
      CommandLine cl = CsflCommand.commandLine();
      StringWriter err = new StringWriter();
      cl.setErr(new PrintWriter(err));
      int code = node ? cl.execute("node", "--role", "server", "--insecure", flag[0], flag[1]) : cl.execute("simulate", flag[0], flag[1]);
      String line = err.toString().strip();
      assertEquals(2, code, String.join(" ", flag) + " -> " + line);
      assertEquals(1, line.lines().count(), line);
      assertTrue(line.startsWith("csfl: ") && line.contains(flag[0]), line);
    }
  }
}
