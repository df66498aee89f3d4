package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --management-port, --management-host and --rejoin: how they parse, and bad values refused in one line. */
class ManagementOptionsTest {
  private static NodeCommand parse(Map<String, String> env, String... args) {
    CommandLine cl = CsflCommand.commandLine();
    cl.setDefaultValueProvider(new FlagDefaults(cl, args, env));
    return (NodeCommand) cl.parseArgs(args).subcommand().commandSpec().userObject();
  }

  @Test
  void rejoinIsUnsetUntilAFlagOrTheEnvironmentSaysSo() {
    assertNull(parse(Map.of(), "node", "--role", "client").rejoin, "unset: on for client and aggregator nodes, off for servers");
    assertEquals(Boolean.TRUE, parse(Map.of(), "node", "--role", "server", "--rejoin").rejoin);
    assertEquals(Boolean.FALSE, parse(Map.of(), "node", "--role", "client", "--no-rejoin").rejoin);
    assertEquals(Boolean.FALSE, parse(Map.of("CSFL_REJOIN", "false"), "node", "--role", "client").rejoin);
    NodeCommand node = parse(Map.of("CSFL_MANAGEMENT_PORT", "off"), "node", "--role", "client");
    assertEquals("off", node.managementPort);
    assertEquals("127.0.0.1", node.managementHost, "loopback by default");
  }

  @Test
  void aBadManagementPortGetsOneLineAndExitCodeTwo() {
    for (String bad : new String[] {"nope", "-1", "70000"}) {
      CommandLine cl = CsflCommand.commandLine();
      StringWriter err = new StringWriter();
      cl.setErr(new PrintWriter(err));
      int code = cl.execute("node", "--role", "client", "--insecure", "--management-port", bad);
      String line = err.toString().strip();
      assertEquals(2, code, bad + " -> " + line);
      assertEquals(1, line.lines().count(), line);
      assertTrue(line.startsWith("csfl: ") && line.contains("--management-port"), line);
    }
  }
}
