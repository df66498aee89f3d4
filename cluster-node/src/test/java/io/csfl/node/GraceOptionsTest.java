package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.actor.Server;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --aggregator-grace and --client-grace reach the server's settings, and bad values are refused in one line. */
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

  @Test
  void badGracesGetOneLineAndExitCodeTwo() {
    String[][] bad = {
        {"--aggregator-grace", "soon"},
        {"--aggregator-grace", "0s"},
        {"--client-grace", "-1m"},
        {"--client-grace", "2"},
    };
    for (String[] flag : bad) {
      CommandLine cl = CsflCommand.commandLine();
      StringWriter err = new StringWriter();
      cl.setErr(new PrintWriter(err));
      int code = cl.execute("simulate", flag[0], flag[1]);
      String line = err.toString().strip();
      assertEquals(2, code, String.join(" ", flag) + " -> " + line);
      assertEquals(1, line.lines().count(), line);
      assertTrue(line.startsWith("csfl: ") && line.contains(flag[0]), line);
    }
  }
}
