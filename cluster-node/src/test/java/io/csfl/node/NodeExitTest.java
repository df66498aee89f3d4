package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code csfl node}'s exit paths: an aborted run exits 3, and a server node refuses an --out that holds a run unless resumed. */
class NodeExitTest {
  @TempDir
  Path out;

  private static int node(StringWriter err, String... args) {
    CommandLine cl = CsflCommand.commandLine();
    cl.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 1];
    all[0] = "node";
    System.arraycopy(args, 0, all, 1, args.length);
    return cl.execute(all);
  }

  /** One node with every role, on a free port, whose only client cannot fill a round that needs two. */
  private String[] abortingNode(String... more) {
    String[] base = {"--role", "server,aggregator,client", "--insecure", "--port", "0",
        "--data-dir", SimulateCommandTest.repoData().toString(), "--clients", "4", "--per-round", "2", "--min-completed", "2",
        "--min-clients", "1", "--client-ids", "0-0", "--client-grace", "1s", "--rounds", "2", "--local-epochs", "1",
        "--eval-examples", "500", "--out", out.toString(), "--exit-when-done"};
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  void anAbortedRunExitsThreeAndAFreshStartIntoItIsRefused() throws Exception {
    StringWriter err = new StringWriter();
    String printed = CliTest.stdoutOf(() -> assertEquals(3, node(err, abortingNode()), err.toString()));
    // Started with --port 0, the node names the port it bound, not 0.
    java.util.regex.Matcher started = java.util.regex.Pattern.compile("csfl node akka://csfl@127\\.0\\.0\\.1:(\\d+) at 127\\.0\\.0\\.1:(\\d+),")
        .matcher(printed);
    assertTrue(started.find(), printed);
    assertEquals(started.group(1), started.group(2));
    assertTrue(Files.exists(out.resolve("metrics.csv")), "the server opened metrics.csv when it started");

    // A checkpoint makes the directory hold a run: a fresh server node refuses it, naming --resume.
    Files.createDirectories(out.resolve("checkpoints"));
    Files.writeString(out.resolve("checkpoints").resolve("fedavg-round-000001.safetensors"), "not a checkpoint");
    StringWriter refused = new StringWriter();
    assertEquals(2, node(refused, abortingNode()));
    String line = refused.toString().strip();
    assertEquals(1, line.lines().count(), line);
    assertTrue(line.contains("already holds a run") && line.contains("--resume"), line);

    // With --resume it starts; the unreadable checkpoint is reported and round 1 is run again, and aborted again.
    StringWriter resumed = new StringWriter();
    assertEquals(3, node(resumed, abortingNode("--resume")), resumed.toString());
  }
}
