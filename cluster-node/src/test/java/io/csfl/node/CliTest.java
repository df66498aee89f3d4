package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line in-process, as a user meets it: what it prints, and its exit codes. */
class CliTest {
  @TempDir
  Path dir;

  record Result(int exitCode, String out, String err) {
    /** Asserts the run failed as a bad input does: exit 2 and exactly one line on stderr, containing {@code text}. */
    void isOneLineUsageError(String text) {
      assertEquals(2, exitCode, err);
      List<String> lines = err.lines().toList();
      assertEquals(1, lines.size(), "one line on stderr, got: " + err);
      assertTrue(lines.get(0).startsWith("csfl: ") && lines.get(0).contains(text), lines.get(0));
    }
  }

  /** The log levels before a test: a -v or -q given to the in-process command line sets them for the whole JVM. */
  private final Map<String, ch.qos.logback.classic.Level> levels = new java.util.HashMap<>();

  @org.junit.jupiter.api.BeforeEach
  void keepLogLevels() {
    if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      for (String name : List.of(org.slf4j.Logger.ROOT_LOGGER_NAME, "akka")) {
        levels.put(name, context.getLogger(name).getLevel());
      }
    }
  }

  /** Later test classes in this JVM (clusters whose tests read WARNING events) see the levels they would alone. */
  @org.junit.jupiter.api.AfterEach
  void restoreLogLevels() {
    if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      levels.forEach((name, level) -> context.getLogger(name).setLevel(level));
    }
  }

  static Result run(String... args) {
    return run(Map.of(), args);
  }

  /** What {@code action} prints on System.out (the start-up and progress lines), which it does not reach meanwhile. */
  static String stdoutOf(Runnable action) {
    return printedOn(System.out, System::setOut, action);
  }

  /** What {@code action} prints on System.err (warnings the command prints itself), which it does not reach meanwhile. */
  static String stderrOf(Runnable action) {
    return printedOn(System.err, System::setErr, action);
  }

  private static String printedOn(java.io.PrintStream stream, java.util.function.Consumer<java.io.PrintStream> set, Runnable action) {
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    try {
      set.accept(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
      action.run();
    } finally {
      set.accept(stream);
    }
    return printed.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Runs with {@code env} as the environment: its CSFL_* variables and CSFL_CONFIG file give defaults, as in {@link CsflCommand#main}. */
  static Result run(Map<String, String> env, String... args) {
    CommandLine cl = CsflCommand.commandLine();
    cl.setDefaultValueProvider(new FlagDefaults(cl, args, env));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void reportOnAMalformedOrMissingMetricsFileIsOneLine() throws Exception {
    run("report", dir.resolve("nowhere").toString()).isOneLineUsageError(dir.resolve("nowhere") + " does not exist: give the directory of a run");
    run("report", dir.toString()).isOneLineUsageError("no metrics.csv in " + dir);
    Files.writeString(dir.resolve("metrics.csv"), "algorithm,round\nfoo,bar\n");
    run("report", dir.toString()).isOneLineUsageError("line 1 is not the header");
    Files.writeString(dir.resolve("metrics.csv"), io.csfl.metrics.RoundMetrics.CSV_HEADER + "\n"
        + "cs,1,0.5,1.0,10,10,2,2,5,1,1,9\ncs,two,0.5,1.0,10,10,2,2,5,1,1,9\n");
    run("report", dir.toString()).isOneLineUsageError("metrics.csv line 3: ");
    Files.writeString(dir.resolve("metrics.csv"), io.csfl.metrics.RoundMetrics.CSV_HEADER + "\ncs,1,0.5\n");
    run("report", dir.toString()).isOneLineUsageError("line 2: metrics row has 3 fields");
    // Values no run writes: the summary would count, chart and sum them as if they were rounds.
    Map<String, String> refused = Map.ofEntries(
        Map.entry("cs,1,0.5,-3,10,10,2,2,5,1,1,9", "line 2: loss must not be negative, got -3"),
        Map.entry("cs,1,0.5,1.0,10,10,2,2,5,1,1,9\ncs,3,0.5,1.0,10,10,2,2,5,1,1,9\ncs,2,0.5,1.0,10,10,2,2,5,1,1,9",
            "line 4: round 2 of cs comes after its round 3 (line 3); a run writes its rounds in order"),
        Map.entry("cs,1,NaN,1.0,10,10,2,2,5,1,1,9", "line 2: accuracy must be in [0, 1], got NaN"),
        Map.entry("cs,1,1.5,1.0,10,10,2,2,5,1,1,9", "line 2: accuracy must be in [0, 1], got 1.5"),
        Map.entry("cs,-3,0.5,1.0,10,10,2,2,5,1,1,9", "line 2: round must be at least 1, got -3"),
        Map.entry("cs,1,0.5,1.0,-10,10,2,2,5,1,1,9", "line 2: bytes_down must not be negative, got -10"),
        Map.entry("cs,1,0.5,1.0,10,10,2,2,5,1,1,-9", "line 2: wall_ms must not be negative, got -9"),
        Map.entry("cs,two,0.5,1.0,10,10,2,2,5,1,1,9", "line 2: round is not a whole number: 'two'"),
        Map.entry("cs,1,0.5,1.0,10,10,2,3,5,1,1,9", "line 2: clients_completed (3) exceeds clients_selected (2)"),
        Map.entry("cs,1,0.5,1.0,10,10,2,2,5,1,1,9\nfedavg,1,0.5,1.0,10,10,2,2,5,1,1,9\ncs,1,0.6,1.0,10,10,2,2,5,1,1,9",
            "line 4: round 1 of cs appears twice (also on line 2)"));
    refused.forEach((rows, text) -> {
      try {
        Files.writeString(dir.resolve("metrics.csv"), io.csfl.metrics.RoundMetrics.CSV_HEADER + "\n" + rows + "\n");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      run("report", dir.toString()).isOneLineUsageError(dir.resolve("metrics.csv") + " " + text);
    });
    // A diverged model's loss is NaN or infinite: such a run is still reported. Rounds may end early
    // (a run that stopped), and a spreadsheet may have saved the file with a byte-order mark.
    Files.writeString(dir.resolve("metrics.csv"), "\uFEFF" + io.csfl.metrics.RoundMetrics.CSV_HEADER
        + "\ncs,1,0.1,NaN,10,10,2,2,5,1,1,9\ncs,2,0.1,Infinity,10,10,2,2,5,1,1,9\n");
    assertEquals(0, run("report", dir.toString()).exitCode());
  }

  @Test
  void anOutputOrCheckpointDirectoryThatIsAFileIsOneLineSayingSo() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
    run("simulate", "--out", file.toString(), "--rounds", "1").isOneLineUsageError("--out " + file + " is not a directory");
    run("simulate", "--out", dir.resolve("run").toString(), "--checkpoint-dir", file.toString(), "--rounds", "1")
        .isOneLineUsageError("--checkpoint-dir " + file + " is not a directory");
    run("node", "--insecure", "--role", "server", "--port", "0", "--checkpoint-dir", file.toString())
        .isOneLineUsageError("--checkpoint-dir " + file + " is not a directory");
    // A server node's --out that cannot be made is refused at its start, not when the server starts there.
    run("node", "--insecure", "--role", "server", "--port", "0", "--dataset", "synthetic:1,1", "--model", "logreg",
        "--out", file.resolve("out").toString()).isOneLineUsageError("--out " + file.resolve("out") + ": cannot write the run's files");
  }

  @Test
  void aPortInUseIsOneLineNamingIt() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      int port = taken.getLocalPort();
      Result r = run("node", "--role", "aggregator", "--insecure", "--host", "127.0.0.1", "--port", String.valueOf(port));
      r.isOneLineUsageError("port " + port + " on 127.0.0.1 is in use");
      assertEquals("csfl: port " + port + " on 127.0.0.1 is in use", r.err().strip());
      // The health endpoint's port too, before the node starts without one.
      run("node", "--role", "aggregator", "--insecure", "--host", "127.0.0.1", "--port", "0", "--management-port", String.valueOf(port))
          .isOneLineUsageError("--management-port: port " + port + " on 127.0.0.1 is in use");
    }
    run("node", "--role", "aggregator", "--insecure", "--port", "25999", "--management-port", "25999")
        .isOneLineUsageError("--management-port 25999 is --port's too");
    // A bad management host is named as the flag it came with.
    run("node", "--role", "aggregator", "--insecure", "--port", "0", "--management-port", "25998", "--management-host", "a b")
        .isOneLineUsageError("--management-host 'a b' is not a host name or IP address");
    run("node", "--role", "aggregator", "--insecure", "--port", "0", "--management-port", "25998", "--management-host", "no-such-host.invalid")
        .isOneLineUsageError("--management-host: host no-such-host.invalid does not resolve");
  }

  /**
   * A --resume that cannot do what it says is warned about once the node's flags are accepted, before
   * it starts: a server node that is its own only seed would found a cluster apart from the run's
   * running nodes, and a node without the server role ignores the switch. A refused command line
   * stays one line.
   */
  @Test
  void aResumeThatCannotWorkAsMeantIsWarnedAbout() throws Exception {
    NodeCommand soleSeed = parsedNode("node", "--role", "server", "--resume", "--insecure", "--host", "127.0.0.1", "--port", "25520");
    assertTrue(soleSeed.resumeWarning(List.of("127.0.0.1:25520")).orElseThrow().startsWith("--resume with this node as its only seed"
        + " node: if the run's other nodes still run, this node does not join them"));
    assertTrue(soleSeed.resumeWarning(List.of()).isPresent(), "port 0 without seeds joins itself");
    assertTrue(soleSeed.resumeWarning(List.of("127.0.0.1:25520", "127.0.0.1:25521")).isEmpty(), "another seed node listed");
    assertEquals("--resume is for a node with the server role; this node (client) ignores it",
        parsedNode("node", "--role", "client", "--client-ids", "0-1", "--resume", "--insecure").resumeWarning(List.of("127.0.0.1:25520")).orElseThrow());
    assertTrue(parsedNode("node", "--role", "server", "--insecure").resumeWarning(List.of("127.0.0.1:25520")).isEmpty(), "no --resume");
    // A refusal comes alone: the node does not start, so there is nothing to warn of.
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      run("node", "--role", "server", "--resume", "--insecure", "--host", "127.0.0.1", "--port", String.valueOf(taken.getLocalPort()),
          "--out", dir.resolve("resume-refused").toString()).isOneLineUsageError("is in use");
    }
  }

  /** The {@code node} command {@code args} (from "node" on) parse to, its flags set and nothing run or checked. */
  static NodeCommand parsedNode(String... args) {
    return CsflCommand.commandLine().parseArgs(args).subcommand().commandSpec().commandLine().getCommand();
  }

  @Test
  void akkasBindFailureIsFoundAmongTheCauses() {
    RuntimeException akka = new RuntimeException("Failed to bind TCP", new IllegalStateException(new BindException("Address already in use")));
    BindException found = NodeAddress.bindException(akka);
    assertEquals("port 7 on h is in use", NodeAddress.bindFailure("h", 7, found));
    assertNull(NodeAddress.bindException(new RuntimeException("other")));
  }

  @Test
  void badAddressesAreOneLineBeforeAkkaSeesThem() {
    run("node", "--role", "client", "--insecure", "--seed-nodes", "not a host").isOneLineUsageError("'not a host' is not HOST:PORT");
    run("node", "--role", "client", "--insecure", "--seed-nodes", "10.0.0.1:25520,b:99999").isOneLineUsageError("'b:99999'");
    run("node", "--role", "client", "--insecure", "--host", "not a host").isOneLineUsageError("--host 'not a host'");
    run("node", "--role", "client", "--insecure", "--host", "::1")
        .isOneLineUsageError("--host '::1' is not a host name or IP address (an IPv6 address goes in brackets: [::1])");
    // Not the node itself, as no --seed-nodes would be.
    run("node", "--role", "client", "--insecure", "--seed-nodes", ",").isOneLineUsageError("--seed-nodes names no HOST:PORT");
    // Port 0 binds any free port, and reaches no node: a node would retry it for ever.
    run("node", "--role", "client", "--insecure", "--seed-nodes", "127.0.0.1:0").isOneLineUsageError("names port 0, where no node listens");
    run("node", "--role", "client", "--insecure", "--port", "0", "--dataset", "synthetic:1,1", "--model", "logreg", "--client-ids", "0-99999999999")
        .isOneLineUsageError("--client-ids 0-99999999999 must lie within 0-29");
  }

  @Test
  void aNodeTrainsCsByDefaultAndRefusesSeveralAlgorithms() {
    CommandLine.ParseResult node = CsflCommand.commandLine().parseArgs("node", "--role", "client");
    assertEquals(List.of("cs"), ((NodeCommand) node.subcommand().commandSpec().userObject()).federation.algorithms);
    CommandLine.ParseResult simulate = CsflCommand.commandLine().parseArgs("simulate");
    assertEquals(List.of("fedavg", "cs"), ((SimulateCommand) simulate.subcommand().commandSpec().userObject()).federation.algorithms);
    run("node", "--role", "client", "--insecure", "--algorithm", "fedavg,cs").isOneLineUsageError("a cluster trains one algorithm");
  }

  @Test
  void badValuesAreOneLineAndExitTwo() {
    Map<List<String>, String> bad = Map.ofEntries(
        Map.entry(List.of("simulate", "--round-timeout", "99999999999999999999h"), "longer than"),
        Map.entry(List.of("simulate", "--round-timeout", "10000h"), "longer than 200 days"),
        Map.entry(List.of("simulate", "--client-grace", "-5s"), "is not a duration"),
        Map.entry(List.of("simulate", "--density", "0"), "--density must be in (0, 1]"),
        Map.entry(List.of("simulate", "--uplink-density", "5"), "--uplink-density must be in (0, 1]"),
        Map.entry(List.of("simulate", "--clients", "-3"), "--clients must be positive"),
        Map.entry(List.of("simulate", "--optimizer", "adam", "--momentum", "0.9"), "momentum is for SGD only"),
        Map.entry(List.of("simulate", "--partition", "zipf:2"), "bad partition 'zipf:2'"),
        Map.entry(List.of("node", "--role", "client", "--insecure", "--algorithm", "magic"), "unknown algorithm 'magic'"),
        Map.entry(List.of("simulate", "--sparsity-end", "2"), "--sparsity-end must be in [0, 1), got 2.0"),
        Map.entry(List.of("simulate", "--sparsity", "-0.5"), "--sparsity must be in [0, 1), got -0.5"),
        Map.entry(List.of("simulate", "--algorithm", "cs:2"), "bad sparsity in 'cs:2' (expected cs:S with S in [0, 1))"),
        // Names as the strategies read them: the same algorithm twice, whatever its spelling.
        Map.entry(List.of("simulate", "--algorithm", "CS,cs"), "--algorithm lists cs twice"),
        Map.entry(List.of("simulate", "--algorithm", "fedavg, Fedavg"), "--algorithm lists fedavg twice"),
        // A stray comma is refused, not dropped: the run would compare fewer algorithms than asked.
        Map.entry(List.of("simulate", "--algorithm", "fedavg,"), "--algorithm has an empty name in 'fedavg,'"),
        Map.entry(List.of("simulate", "--algorithm", "fedavg,,cs"), "--algorithm has an empty name in 'fedavg,,cs'"),
        Map.entry(List.of("node", "--role", "client", "--insecure", "--algorithm", "cs,"), "--algorithm has an empty name in 'cs,'"),
        Map.entry(List.of("simulate", "--out", ""), "--out must name a directory, got an empty path"),
        Map.entry(List.of("node", "--role", "client", "--insecure", "--port", "-1"), "--port must be in 0..65535, got -1"),
        Map.entry(List.of("node", "--role", "client", "--insecure", "--port", "70000"), "--port must be in 0..65535, got 70000"),
        Map.entry(List.of("node", "--role", "client", "--insecure", "--port", "0", "--dataset", "synthetic:1,1", "--client-ids", "5-2"),
            "--client-ids 5-2 runs backwards"),
        Map.entry(List.of("simulate", "--resume", ""), "--resume must name a directory, got an empty path"),
        // Read only as a regular file, never more than a layer list needs: a device never ends.
        Map.entry(List.of("simulate", "--dataset", "synthetic:1,1", "--model", "@/dev/zero"),
            "--model @/dev/zero: cannot read it: /dev/zero: not a regular file"),
        Map.entry(List.of("simulate", "--partition", "dirichlet:abc"), "bad partition 'dirichlet:abc': ALPHA must be a number, got 'abc'"),
        Map.entry(List.of("simulate", "--partition", "dirichlet:NaN"), "ALPHA must be a number, got 'nan'"),
        Map.entry(List.of("simulate", "--partition", "dirichlet:1e999"), "ALPHA must be a finite number, got '1e999'"),
        Map.entry(List.of("simulate", "--partition", "shards:2.5"), "bad partition 'shards:2.5': K must be a whole number, got '2.5'"),
        Map.entry(List.of("simulate", "-v", "-q"), "--verbose and --quiet exclude each other"),
        Map.entry(List.of("evaluate", "--model-spec", "@missing.model", "--model", "m.safetensors", "--dataset", "synthetic:1,1"),
            "--model-spec @missing.model: no such file"),
        Map.entry(List.of("evaluate", "--model-spec", "bogus", "--model", "m.safetensors", "--dataset", "synthetic:1,1"),
            "--model-spec bogus: unknown model 'bogus'"));
    bad.forEach((args, text) -> run(args.toArray(String[]::new)).isOneLineUsageError(text));
  }

  @Test
  void aBadValueFromTheEnvironmentOrTheConfigFileNamesWhereItCameFrom() throws Exception {
    Path negative = Files.writeString(dir.resolve("negative.conf"), "csfl.rounds = -4\n");
    Path object = Files.writeString(dir.resolve("object.conf"), "csfl.rounds { a = 1 }\n");
    Path listOfLists = Files.writeString(dir.resolve("lists.conf"), "csfl.seed-nodes = [[\"a:1\"]]\n");
    Path partition = Files.writeString(dir.resolve("partition.conf"), "csfl.partition = \"zipf:2\"\n");
    Map<List<String>, String> bad = Map.ofEntries(
        Map.entry(List.of("CSFL_ROUNDS=-1", "simulate"), "csfl: CSFL_ROUNDS=-1: --rounds must be positive"),
        Map.entry(List.of("CSFL_ROUNDS=abc", "simulate"), "csfl: CSFL_ROUNDS=abc: Invalid value for option '--rounds': 'abc' is not an int"),
        Map.entry(List.of("CSFL_CONFIG=" + negative, "simulate"), "csfl: csfl.rounds = -4 in config file " + negative + ": --rounds must be positive"),
        Map.entry(List.of("node", "--role", "server", "--insecure", "--config", negative.toString()),
            "csfl: csfl.rounds = -4 in config file " + negative + ": --rounds must be positive"),
        Map.entry(List.of("CSFL_CONFIG=" + object, "simulate"), "csfl: config file " + object + ": csfl.rounds must be a value, not an object"),
        Map.entry(List.of("node", "--role", "client", "--insecure", "--config", listOfLists.toString()),
            "csfl: config file " + listOfLists + ": csfl.seed-nodes must be a value or a list of values, not a list of objects or lists"),
        Map.entry(List.of("CSFL_CONFIG=" + partition, "simulate"), "csfl: csfl.partition = zipf:2 in config file " + partition + ": bad partition 'zipf:2'"),
        // A model that does not fit the data, refused by csfl-core in its own words.
        Map.entry(List.of("CSFL_MODEL=dense:5", "simulate", "--dataset", "synthetic:1,1"), "csfl: CSFL_MODEL=dense:5: --model: last layer dense:5 must have 10 outputs"),
        // Given on the command line, the value is the command line's: its --help explains it.
        Map.entry(List.of("CSFL_ROUNDS=5", "CSFL_SEED=3", "simulate", "--rounds", "-1"), "csfl: --rounds must be positive (see 'csfl simulate --help')"),
        Map.entry(List.of("CSFL_ROUNDS=-1", "simulate", "--rounds=-2"), "csfl: --rounds must be positive (see 'csfl simulate --help')"),
        // A run's end event lists its rounds, and every list a message carries is bounded.
        Map.entry(List.of("simulate", "--rounds", "65537"), "csfl: --rounds must be at most 65536, got 65537 (see 'csfl simulate --help')"));
    bad.forEach((envAndArgs, line) -> {
      Map<String, String> env = new java.util.HashMap<>();
      envAndArgs.stream().filter(s -> s.startsWith("CSFL_")).forEach(s -> env.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1)));
      Result r = run(env, envAndArgs.stream().filter(s -> !s.startsWith("CSFL_")).toArray(String[]::new));
      r.isOneLineUsageError(line);
      assertTrue(r.err().startsWith(line) && (line.contains("--help") || !r.err().contains("--help")), envAndArgs + ": " + r.err());
    });
  }

  @Test
  void aConfigFileThatCsflWouldNotReadAsWrittenIsOneLineNamingIt() throws Exception {
    Path present = Files.writeString(dir.resolve("present.conf"), "csfl.rounds = 2\n");
    Map<String, String> files = Map.of(
        "x = 1\ncsfl.rounds = ${NOPE}\n", "2: Could not resolve substitution to a value: ${NOPE}",
        "csfl.roundz = 3\n", "unknown key csfl.roundz (no csfl command has --roundz, and CSFL has no such setting)",
        "csfl.roundz = null\n", "unknown key csfl.roundz",
        "csfl.transfer.windw = 3\n", "unknown key csfl.transfer.windw (CSFL has no such setting)",
        "csfl.transfer = 5\n", "csfl.transfer is a section of settings, not a value",
        "csfl.config = other.conf\n", "unknown key csfl.config",
        "csfl = 3\n", "csfl must hold keys",
        "include \"" + present + "\"\ninclude \"missing.conf\"\n", "include \"missing.conf\" found no file to read",
        "include file(\"" + dir.resolve("missing.conf") + "\")\n", "include \"" + dir.resolve("missing.conf") + "\" found no file to read",
        // HOCON's own words blame a parenthesis; the likelier culprit is named beside them.
        "csfl {\n  rounds = 3\n", "3: expecting a close parentheses ')' here, not: end of file (a '{' not closed by a '}'?)");
    int i = 0;
    for (Map.Entry<String, String> bad : files.entrySet()) {
      Path conf = Files.writeString(dir.resolve("bad" + i++ + ".conf"), bad.getKey());
      // Bad flags too: a file that is not read lets them be refused instead, at once.
      for (List<String> args : List.of(List.of("simulate", "--rounds", "0"), List.of("report", dir.toString()))) {
        Result r = run(Map.of("CSFL_CONFIG", conf.toString()), args.toArray(String[]::new));
        r.isOneLineUsageError("config file " + conf + ": " + bad.getValue());
        assertFalse(r.err().contains("--help"), r.err());
      }
    }
    Path conf = Files.writeString(dir.resolve("node.conf"), "csfl.roundz = 3\n");
    run("node", "--role", "client", "--insecure", "--config", conf.toString())
        .isOneLineUsageError("config file " + conf + ": unknown key csfl.roundz");
    // Settings that only the node's actors read are read at its start too: one line, not a node
    // whose actor fails to start while the node waits.
    for (var bad : List.of(
        Map.entry("csfl.client-pool.settle = banana\n", "csfl.client-pool.settle"),
        Map.entry("csfl.training-dispatcher.thread-pool-executor.fixed-pool-size = -3\n", "fixed-pool-size must be positive, got -3"),
        Map.entry("csfl.transfer.window = -1\n", "csfl.transfer.window must be positive, got -1"),
        Map.entry("csfl.rejoin.delay = -5s\n", "csfl.rejoin.delay must not be negative"),
        Map.entry("csfl.server.start-wait-report = -1s\n", "csfl.server.start-wait-report must not be negative"),
        Map.entry("csfl.codec.max-parameters = 0\n", "csfl.codec.max-parameters: max parameters must be in 1.."),
        Map.entry("akka.loglevel = LOUD\n", "akka.loglevel must be one of OFF, ERROR, WARNING, INFO, DEBUG, got LOUD"),
        // Read by Akka's system actors as they start, which Akka logs with a stack trace.
        Map.entry("akka.cluster.split-brain-resolver.stable-after = banana\n", "Invalid value at 'stable-after'"),
        Map.entry("akka.cluster.failure-detector.heartbeat-interval = 0s\n", "failure-detector.heartbeat-interval must be > 0"),
        Map.entry("akka.cluster.singleton.hand-over-retry-interval = banana\n", "Invalid value at 'hand-over-retry-interval'"),
        Map.entry("akka.cluster.typed.receptionist.pruning-interval = banana\n", "Invalid value at 'pruning-interval'"),
        Map.entry("akka.remote.artery.advanced.outbound-message-queue-size = -1\n", "outbound-message-queue-size must be more than zero"),
        Map.entry("akka.remote.artery.advanced.tcp.connection-timeout = banana\n", "Invalid value at 'connection-timeout'"),
        Map.entry("akka.cluster.split-brain-resolver.active-strategy = static-quorum\n"
            + "akka.cluster.split-brain-resolver.static-quorum.quorum-size = banana\n", "quorum-size"))) {
      Path file = Files.writeString(dir.resolve("actors.conf"), bad.getKey());
      Result r = run("node", "--role", "client", "--insecure", "--port", "0", "--config", file.toString());
      r.isOneLineUsageError(bad.getValue());
      // Refused before the node starts, not by Akka as it starts (which also ends in one line for some settings).
      assertFalse(r.err().contains("did not start"), r.err());
    }
  }

  @Test
  void aCommandWithoutConfigRefusesTheFlagAndDoesNotReadItsFile() throws Exception {
    Path conf = Files.writeString(dir.resolve("bad.conf"), "csfl.rounds = abc\n");
    Result r = run("simulate", "--config", conf.toString());
    r.isOneLineUsageError("Unknown options: '--config', '" + conf + "'");
    assertFalse(r.err().contains("csfl.rounds"), r.err());
  }

  @Test
  void helpTheVersionAndAResumeReadNoConfigFileNorVariable() throws Exception {
    Path malformed = Files.writeString(dir.resolve("bad.conf"), "csfl.rounds = \n=\n");
    Map<String, String> env = Map.of("CSFL_CONFIG", malformed.toString(), "CSFL_ROUNDS", "abc");
    assertEquals(2, run(env, "simulate").exitCode(), "the same environment stops a run");
    run(Map.of("CSFL_CONFIG", malformed.toString()), "simulate").isOneLineUsageError("config file " + malformed + ": 2: ");
    for (List<String> args : List.of(List.of("--version"), List.of("-V"), List.of("--help"), List.of("simulate", "--help"),
        List.of("node", "-h"), List.of("help", "simulate"))) {
      Result r = run(env, args.toArray(String[]::new));
      assertEquals(0, r.exitCode(), args + ": " + r.err());
      assertEquals("", r.err(), args.toString());
    }
    assertTrue(run(env, "simulate", "--help").out().contains("Default: 30"), "the flags' own defaults");
    Path saved = dir.resolve("run");
    Files.createDirectories(saved);
    Files.writeString(saved.resolve(SimulateCommand.RUN_FLAGS), "[\"--rounds=-1\"]");
    run(env, "simulate", "--resume", saved.toString()).isOneLineUsageError(saved.resolve(SimulateCommand.RUN_FLAGS)
        + ": --rounds must be positive; the saved run cannot be resumed");
  }

  /** Each refusal names what is wrong with the path it was given, and a refused run leaves no directory behind. */
  @Test
  void aRefusalNamesWhatIsWrongWithItsPath() throws Exception {
    Path file = Files.writeString(dir.resolve("precious.txt"), "mine");
    Path adir = Files.createDirectories(dir.resolve("adir"));
    run(Map.of("CSFL_CONFIG", adir.toString()), "simulate").isOneLineUsageError("config file " + adir + " is a directory, not a file");
    run("report", file.toString()).isOneLineUsageError(file + " is not a directory: give the directory of a run");
    Files.createDirectories(dir.resolve("run/metrics.csv"));
    run("report", dir.resolve("run").toString()).isOneLineUsageError(dir.resolve("run/metrics.csv") + " is a directory, not a file");
    run("evaluate", "--model", "").isOneLineUsageError("--model must name a file, got an empty path");
    Files.writeString(adir.resolve("model-cs.safetensors"), "");
    Files.writeString(adir.resolve("model-fedavg.safetensors"), "");
    run("evaluate", "--model", adir.resolve("model.safetensors").toString(), "--data-dir", SimulateCommandTest.repoData().toString())
        .isOneLineUsageError(adir.resolve("model.safetensors")
        + " does not exist; its directory holds model-cs.safetensors, model-fedavg.safetensors");
    run("simulate", "--model", "@", "--rounds", "1", "--data-dir", SimulateCommandTest.repoData().toString(), "--out", dir.resolve("m").toString())
        .isOneLineUsageError("--model @: name the file of a layer list after '@'");
    run("simulate", "--data-dir", file.toString(), "--rounds", "1", "--out", dir.resolve("d").toString())
        .isOneLineUsageError(file + " (--data-dir): not a directory");
    // Files a run writes, without a run's flags: no run to continue.
    Path user = Files.createDirectories(dir.resolve("user"));
    Files.writeString(user.resolve("metrics.csv"), "my,own\n");
    run("simulate", "--out", user.toString(), "--rounds", "1", "--data-dir", SimulateCommandTest.repoData().toString()).isOneLineUsageError("--out " + user + " holds metrics.csv, which a run writes");
    // Refused after the data loaded and the directories were locked: what the run made goes again.
    Path fresh = dir.resolve("fresh");
    run("simulate", "--out", fresh.toString(), "--rounds", "1", "--data-dir", SimulateCommandTest.repoData().toString(),
        "--initial-model", file.toString()).isOneLineUsageError("--initial-model");
    assertFalse(Files.exists(fresh), "nothing left of the refused run");
    assertEquals("my,own\n", Files.readString(user.resolve("metrics.csv")), "a user's file is left alone");
    Path existing = Files.createDirectories(dir.resolve("existing"));
    run("simulate", "--out", existing.toString(), "--rounds", "1", "--data-dir", SimulateCommandTest.repoData().toString(),
        "--initial-model", file.toString()).isOneLineUsageError("--initial-model");
    assertTrue(Files.isDirectory(existing), "a directory the user made stays");
  }

  /** A report of a run that a crash cut short says how to mend it. */
  @Test
  void aReportOfARowCutShortSaysTheResumeDropsIt() throws Exception {
    Files.writeString(dir.resolve("metrics.csv"), io.csfl.metrics.RoundMetrics.CSV_HEADER + "\ncs,1,0.5,1.0,10,10,2,2,5,1,1,9\ncs,2,0.5");
    run("report", dir.toString()).isOneLineUsageError("line 3: metrics row has 3 fields, expected 12: cs,2,0.5; the file ends in a row cut "
        + "short (a crash, or a full disk): 'csfl simulate --resume' of the run drops that row (a cluster's run: a server node started again with --resume)");
  }

  /** A resume as a default would turn every later simulate into the run it names, or refuse all of them. */
  @Test
  void resumeIsTakenFromTheCommandLineOnly() throws Exception {
    Path saved = Files.createDirectories(dir.resolve("run"));
    run(Map.of("CSFL_RESUME", saved.toString()), "simulate", "--rounds", "1")
        .isOneLineUsageError("CSFL_RESUME=" + saved + ": --resume is taken from the command line only");
    run(Map.of("CSFL_RESUME", saved.toString()), "simulate")
        .isOneLineUsageError("CSFL_RESUME=" + saved + ": --resume is taken from the command line only");
    Path conf = Files.writeString(dir.resolve("c.conf"), "csfl.resume = \"" + saved + "\"\n");
    run(Map.of("CSFL_CONFIG", conf.toString()), "simulate")
        .isOneLineUsageError("csfl.resume in config file " + conf + ": --resume is taken from the command line only");
    // A node's --resume is a switch every server node of a run takes, and a container sets it once (docker-compose.yml).
    Result node = run(Map.of("CSFL_RESUME", "true"), "node", "--role", "server", "--port", "70000");
    node.isOneLineUsageError("--port must be in 0..65535, got 70000");
  }

  /**
   * Every service of docker/docker-compose.yml gives {@code node} its flags as CSFL_* variables:
   * each must name a flag of node, and node must parse the values of each service (a value a flag
   * refuses, or a variable refused as a default, would stop that container at its start).
   */
  @Test
  void theComposeFilesVariablesAreFlagsNodeTakes() throws Exception {
    List<String> lines = Files.readAllLines(SimulateCommandTest.repoData().getParent().getParent().resolve("docker/docker-compose.yml"));
    java.util.regex.Pattern variable = java.util.regex.Pattern.compile("^\\s+(CSFL_[A-Z_]+):\\s*\"?([^\"#]*?)\"?\\s*$");
    Map<String, String> federation = new java.util.LinkedHashMap<>();
    Map<String, Map<String, String>> services = new java.util.LinkedHashMap<>();
    Map<String, String> current = federation;
    boolean inServices = false;
    for (String line : lines) {
      if (line.equals("services:")) {
        inServices = true;
      } else if (inServices && line.matches("^  [a-z-]+:$")) {
        current = new java.util.LinkedHashMap<>();
        services.put(line.trim().replace(":", ""), current);
      } else if (line.matches("^[a-z].*")) {
        inServices = false;
      }
      if (line.contains("<<: *federation")) {
        current.putAll(federation);
      }
      java.util.regex.Matcher m = variable.matcher(line);
      if (m.matches()) {
        current.put(m.group(1), m.group(2));
      }
    }
    services.values().removeIf(env -> !env.containsKey("CSFL_ROLE"));
    assertEquals(List.of("server", "server-standby", "aggregator", "client"), List.copyOf(services.keySet()));
    CommandLine.Model.CommandSpec node = CsflCommand.commandLine().getSubcommands().get("node").getCommandSpec();
    services.forEach((service, env) -> {
      for (String key : env.keySet()) {
        String flag = "--" + key.substring("CSFL_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        assertTrue(node.findOption(flag) != null, service + ": " + key + " is no flag of node");
      }
      CommandLine cl = CsflCommand.commandLine();
      cl.setDefaultValueProvider(new FlagDefaults(cl, new String[] {"node"}, env));
      CommandLine.ParseResult parsed = cl.parseArgs("node");
      NodeCommand command = (NodeCommand) parsed.subcommand().commandSpec().userObject();
      assertEquals(env.get("CSFL_ROLE"), String.join(",", command.roles), service);
      assertEquals("true".equals(env.get("CSFL_RESUME")), command.resume, service);
    });
  }

  @Test
  void certificateLifetimesAreCheckedBeforeAnythingIsWritten() throws Exception {
    Path out = dir.resolve("fed");
    run("certs", "--out", out.toString(), "--nodes", "a", "--days", "99999999")
        .isOneLineUsageError("--days 99999999 ends after 9999-12-31");
    run("certs", "--out", out.toString(), "--nodes", "a", "--ca-days", "99999999")
        .isOneLineUsageError("--ca-days 99999999 ends after 9999-12-31");
    run("certs", "--out", out.toString(), "--nodes", "a", "--days", "0").isOneLineUsageError("--days must be at least 1, got 0");
    run("certs", "--out", out.toString(), "--nodes", "a", "--days", "4000", "--ca-days", "10")
        .isOneLineUsageError("--days 4000 would outlive the CA (--ca-days 10)");
    assertFalse(Files.exists(out), "nothing written");
    // An empty --out would write the CA's key into the working directory.
    run("certs", "--out", "", "--nodes", "a").isOneLineUsageError("--out must name a directory, got an empty path");
    assertFalse(Files.exists(Path.of("ca")), "nothing written in the working directory");

    assertEquals(0, run("certs", "--out", out.toString(), "--nodes", "a", "--days", "10", "--ca-days", "10").exitCode());
    java.security.cert.X509Certificate ca = certificate(out.resolve("ca/ca.crt"));
    assertEquals(ca.getNotAfter(), certificate(out.resolve("a/tls.crt")).getNotAfter(), "as long as the CA");
    // Issued from that CA later, a node certificate of the default 365 days would outlive it.
    Result r = run("certs", "--out", out.toString(), "--nodes", "b", "--add-nodes");
    r.isOneLineUsageError("--days 365 would outlive the CA in " + out.resolve("ca") + ", which expires on ");
    assertTrue(r.err().contains("give --days 9 or less"), r.err());
    // The CA's lifetime was set when it was made; a new one given with --add-nodes would be ignored.
    run("certs", "--out", out.toString(), "--nodes", "b", "--add-nodes", "--days", "5", "--ca-days", "20")
        .isOneLineUsageError("--ca-days is the lifetime of a new CA; --add-nodes issues from the CA in " + out.resolve("ca"));
    assertFalse(Files.exists(out.resolve("b")), "nothing written");
    assertEquals(0, run("certs", "--out", out.toString(), "--nodes", "b", "--add-nodes", "--days", "9").exitCode());
    assertFalse(certificate(out.resolve("b/tls.crt")).getNotAfter().after(ca.getNotAfter()));
  }

  /** A name given twice would have its directory issued twice, or its second entry dropped without a word. */
  @Test
  void aNodeNamedTwiceIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path out = dir.resolve("fed");
    run("certs", "--out", out.toString(), "--nodes", "a,b,a").isOneLineUsageError("--nodes: 'a' is named twice");
    run("certs", "--out", out.toString(), "--nodes", "a:server,a:client").isOneLineUsageError("--nodes: 'a' is named twice");
    assertFalse(Files.exists(out), "nothing written");
  }

  /** A CA whose key is not its certificate's would sign certificates that every node refuses. */
  @Test
  void aCaKeyOfAnotherCertificateIsRefused() throws Exception {
    Path one = dir.resolve("one");
    Path two = dir.resolve("two");
    assertEquals(0, run("certs", "--out", one.toString(), "--nodes", "a").exitCode());
    assertEquals(0, run("certs", "--out", two.toString(), "--nodes", "a").exitCode());
    Files.copy(two.resolve("ca/ca.crt"), one.resolve("ca/ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    run("certs", "--out", one.toString(), "--nodes", "z", "--add-nodes")
        .isOneLineUsageError("cannot read the CA in " + one.resolve("ca") + ": ca.key is not the key of ca.crt");
    assertFalse(Files.exists(one.resolve("z")), "nothing issued");
  }

  /** Renewing "main" (no roles given) keeps main's roles; roles given replace them. */
  @Test
  void aRenewalWithoutRolesKeepsTheCertificatesRoles() throws Exception {
    Path out = dir.resolve("fed");
    assertEquals(0, run("certs", "--out", out.toString(), "--nodes", "main:server+aggregator,c1").exitCode());
    java.math.BigInteger before = certificate(out.resolve("main/tls.crt")).getSerialNumber();
    String printed = stdoutOf(() -> assertEquals(0, run("certs", "--out", out.toString(), "--nodes", "main,c2", "--add-nodes").exitCode()));
    assertTrue(printed.contains("renewed main, roles [aggregator, server] (kept from its certificate)"), printed);
    assertTrue(printed.contains("issued c2, roles [client]: "), printed);
    java.security.cert.X509Certificate renewed = certificate(out.resolve("main/tls.crt"));
    assertNotEquals(before, renewed.getSerialNumber(), "a new certificate");
    assertEquals(Set.of("server", "aggregator"), io.csfl.cluster.CertificateRoles.of(renewed));
    assertEquals(0, run("certs", "--out", out.toString(), "--nodes", "main:client", "--add-nodes").exitCode());
    assertEquals(Set.of("client"), io.csfl.cluster.CertificateRoles.of(certificate(out.resolve("main/tls.crt"))));
    // An unreadable certificate has no roles to keep: the renewal names them.
    Files.writeString(out.resolve("c1/tls.crt"), "not a certificate");
    run("certs", "--out", out.toString(), "--nodes", "c1", "--add-nodes")
        .isOneLineUsageError(out.resolve("c1/tls.crt") + " cannot be read to keep its roles");
    run("certs", "--out", out.toString(), "--nodes", "a,b,a").isOneLineUsageError("--nodes: 'a' is named twice");
  }

  private static java.security.cert.X509Certificate certificate(Path pem) throws Exception {
    try (var in = Files.newInputStream(pem)) {
      return (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  @Test
  void aResumeWhoseSavedFlagsAreRefusedNamesTheFileNotTheCommandLine() throws Exception {
    Path saved = dir.resolve("run");
    Files.createDirectories(saved);
    Files.writeString(saved.resolve(SimulateCommand.RUN_FLAGS), "[\"--rounds=-1\", \"--dataset=synthetic:1,1\"]");
    Result r = run("simulate", "--resume", saved.toString());
    r.isOneLineUsageError(saved.resolve(SimulateCommand.RUN_FLAGS) + ": --rounds must be positive; the saved run cannot be resumed");
    assertFalse(r.err().contains("--help"), r.err());
    Files.writeString(saved.resolve(SimulateCommand.RUN_FLAGS), "[\"--rounds=x\"]");
    run("simulate", "--resume", saved.toString()).isOneLineUsageError(saved.resolve(SimulateCommand.RUN_FLAGS)
        + ": Invalid value for option '--rounds': 'x' is not an int; the saved run cannot be resumed");
    // A file that is no JSON list is named as such, not as missing.
    Files.writeString(saved.resolve(SimulateCommand.RUN_FLAGS), "{bad");
    run("simulate", "--resume", saved.toString()).isOneLineUsageError("--resume " + saved + ": "
        + saved.resolve(SimulateCommand.RUN_FLAGS) + " is not the run's flags (a JSON list of words): ");
    Files.delete(saved.resolve(SimulateCommand.RUN_FLAGS));
    run("simulate", "--resume", saved.toString()).isOneLineUsageError("--resume " + saved + ": no run to continue there (no "
        + SimulateCommand.RUN_FLAGS + ", which every run writes as it starts)");
  }

  /** A value csfl-core refuses is named by its flag, so the line says where it came from as for any other flag. */
  @Test
  void aValueTheLibraryRefusesNamesItsFlagAndWhereItCameFrom() {
    Map<Map<String, String>, String> bad = Map.of(
        Map.of("CSFL_BATCH_SIZE", "0"), "csfl: CSFL_BATCH_SIZE=0: --batch-size must be positive, got 0",
        Map.of("CSFL_LR", "-1"), "csfl: CSFL_LR=-1: --lr must be a positive number, got -1.0",
        Map.of("CSFL_LOCAL_EPOCHS", "0"), "csfl: CSFL_LOCAL_EPOCHS=0: --local-epochs must be positive, got 0",
        Map.of("CSFL_SERVER_RATE", "0"), "csfl: CSFL_SERVER_RATE=0: --server-rate must be a positive number, got 0.0",
        Map.of("CSFL_WARMUP_ROUNDS", "-1"), "csfl: CSFL_WARMUP_ROUNDS=-1: --warmup-rounds must be >= 0, got -1",
        Map.of("CSFL_DROP_RATE", "2"), "csfl: CSFL_DROP_RATE=2: --drop-rate and --straggler-rate must be >= 0");
    bad.forEach((env, line) -> run(env, "simulate").isOneLineUsageError(line));
    run("simulate", "--batch-size", "0").isOneLineUsageError("csfl: --batch-size must be positive, got 0 (see 'csfl simulate --help')");
  }

  /** A CS warm-up as long as the run would make every row of the CS algorithm a dense FedAvg's. */
  @Test
  void clientIdsOnANodeThatHostsNoClientsAreRefused() {
    run("node", "--role", "server,aggregator", "--insecure", "--port", "0", "--dataset", "synthetic:1,1", "--model", "logreg",
        "--client-ids", "0-3").isOneLineUsageError("--client-ids 0-3 names the clients a node with the client role hosts, and this node's"
        + " roles are [server, aggregator]: add the client role, or leave --client-ids out");
    // From the environment, it is named as such.
    run(Map.of("CSFL_CLIENT_IDS", "auto"), "node", "--role", "aggregator", "--insecure", "--port", "0", "--dataset", "synthetic:1,1",
        "--model", "logreg").isOneLineUsageError("CSFL_CLIENT_IDS=auto: --client-ids auto names the clients");
  }

  @Test
  void aWarmUpAsLongAsTheRunIsRefusedWhenCsRuns() {
    run("simulate", "--algorithm", "fedavg,cs-1bit", "--rounds", "5", "--warmup-rounds", "5")
        .isOneLineUsageError("csfl: --warmup-rounds 5 leaves cs-1bit no round to prune in (--rounds 5); the warm-up must be shorter than the run");
    run(Map.of("CSFL_WARMUP_ROUNDS", "9"), "simulate", "--algorithm", "CS:0.7", "--rounds", "3")
        .isOneLineUsageError("CSFL_WARMUP_ROUNDS=9: --warmup-rounds 9 leaves cs:0.7 no round to prune in (--rounds 3)");
  }

  /**
   * A hidden layer that starts at zero (with a zero bias) never learns, and the run would train
   * for nothing without a word: it is run, with one warning line. A zero last layer learns.
   */
  @Test
  void anInitialModelWithAZeroHiddenLayerRunsWithAWarning() throws Exception {
    float[] some = new float[60 * 4];
    java.util.Arrays.fill(some, 0.1f);
    String warning = "csfl: WARNING: --initial-model %s: dense1/kernel is all zeros, and a hidden layer that starts at zero may never learn";
    for (boolean zeroHidden : new boolean[] {true, false}) {
      Path file = dir.resolve("zero-" + zeroHidden + ".safetensors");
      io.csfl.checkpoint.SafeTensors.write(file, io.csfl.checkpoint.TensorFile.EMPTY
          .withF32("dense1/kernel", new long[] {60, 4}, zeroHidden ? new float[60 * 4] : some).withF32("dense1/bias", new long[] {4}, new float[4])
          .withF32("dense2/kernel", new long[] {4, 10}, new float[40]).withF32("dense2/bias", new long[] {10}, new float[10]));
      Result[] result = new Result[1];
      String stderr = stderrOf(() -> result[0] = run(withOut(new String[] {"--dataset", "synthetic:1,1", "--model", "dense:4,dense:10",
          "--per-round", "2", "--rounds", "1", "--initial-model", file.toString()}, dir.resolve("out-" + zeroHidden))));
      assertEquals(0, result[0].exitCode(), result[0].err());
      List<String> warned = stderr.lines().filter(l -> l.startsWith("csfl: WARNING: --initial-model")).toList();
      assertEquals(zeroHidden ? List.of(String.format(warning, file)) : List.of(),
          warned.stream().map(l -> l.substring(0, Math.min(l.length(), String.format(warning, file).length()))).toList(), stderr);
    }
  }

  @Test
  void anInitialModelOfTheRightShapeButNotFiniteIsOneLineNamingTheFile() throws Exception {
    float[] kernel = new float[60 * 10];
    kernel[0] = Float.NaN;
    Path file = dir.resolve("nan.safetensors");
    io.csfl.checkpoint.SafeTensors.write(file, io.csfl.checkpoint.TensorFile.EMPTY.withF32("dense1/kernel", new long[] {60, 10}, kernel)
        .withF32("dense1/bias", new long[] {10}, new float[10]));
    run("simulate", "--dataset", "synthetic:1,1", "--model", "logreg", "--initial-model", file.toString())
        .isOneLineUsageError("--initial-model " + file + ": tensor dense1/kernel: value 0 is not finite: NaN");
  }

  @Test
  void savedFlagsThatAreNoRunsFlagsAreOneLine() throws Exception {
    Path saved = Files.createDirectories(dir.resolve("run"));
    Files.writeString(saved.resolve(SimulateCommand.RUN_FLAGS), "[\"--rounds=3\"]");
    Result threads = run("simulate", "--resume", saved.toString(), "--threads", "0");
    threads.isOneLineUsageError("--threads must be positive");
    assertFalse(threads.err().contains(SimulateCommand.RUN_FLAGS), "the command line's value, not the saved flags': " + threads.err());
    Files.writeString(saved.resolve(SimulateCommand.RUN_FLAGS), "[null, \"--rounds=3\"]");
    run("simulate", "--resume", saved.toString()).isOneLineUsageError(saved.resolve(SimulateCommand.RUN_FLAGS) + " holds no run's flags");
    // Saved flags that name a run to resume: another directory (which must stay untouched), or this one.
    Path other = Files.createDirectories(dir.resolve("other"));
    Files.writeString(other.resolve(SimulateCommand.RUN_FLAGS), "[\"--rounds=3\"]");
    for (Path named : List.of(other, saved)) {
      Files.writeString(saved.resolve(SimulateCommand.RUN_FLAGS), "[\"--resume=" + named + "\"]");
      run("simulate", "--resume", saved.toString()).isOneLineUsageError(saved.resolve(SimulateCommand.RUN_FLAGS)
          + " holds --resume, which no run's flags do");
    }
    try (var left = Files.list(other)) {
      assertEquals(List.of(other.resolve(SimulateCommand.RUN_FLAGS)), left.toList(), "the other directory is untouched");
    }
  }

  /**
   * The summary lists the algorithms in --algorithm's order, after a fresh run and after a resume
   * from checkpoints alike (whose map of checkpoints by algorithm once had no order).
   */
  @Test
  void theSummaryListsTheAlgorithmsInTheOrderGivenAlsoAfterAResume() throws Exception {
    List<String> given = List.of("topk", "fedavg", "stc", "cs", "pqsu");
    Path out = dir.resolve("ordered");
    String[] flags = withOut(new String[] {"--dataset", "synthetic:1,1", "--model", "logreg", "--per-round", "2", "--rounds", "1",
        "--algorithm", String.join(",", given)}, out);
    assertEquals(0, run(flags).exitCode());
    assertEquals(given, algorithmsInSummary(out), "a fresh run");
    for (int resume = 1; resume <= 2; resume++) {
      assertEquals(0, run("simulate", "--resume", out.toString()).exitCode());
      assertEquals(given, algorithmsInSummary(out), "resume " + resume);
    }
  }

  /** The first cells of summary.md's table rows that name an algorithm, in order. */
  private static List<String> algorithmsInSummary(Path out) throws java.io.IOException {
    return Files.readAllLines(out.resolve("summary.md")).stream().filter(l -> l.startsWith("| "))
        .map(l -> l.substring(2, l.indexOf('|', 2)).trim()).filter(cell -> cell.matches("[a-z]+") && !cell.equals("algorithm")).toList();
  }

  /**
   * A node's server claims --out and its checkpoint directory as a simulation locks them: while
   * another run holds either, the claim fails with the reason the server waits on; the claim
   * holds both until given up, and one directory inside the other is locked once.
   */
  @Test
  void aServerNodesClaimLocksItsDirectoriesAgainstOtherRuns() throws Exception {
    Path out = dir.resolve("node-out");
    Path elsewhere = dir.resolve("node-checkpoints");
    try (RunLock other = RunLock.acquire(elsewhere, "--out")) {
      IllegalStateException held = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
          () -> NodeCommand.runClaim(out, elsewhere).get());
      assertTrue(held.getMessage().contains(elsewhere + " is in use by another csfl run"), held.getMessage());
    }
    AutoCloseable claim = NodeCommand.runClaim(out, elsewhere).get();
    for (Path claimed : List.of(out, elsewhere)) {
      IllegalArgumentException busy = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> RunLock.acquire(claimed, "report"));
      assertTrue(busy.getMessage().contains("in use by another csfl run"), busy.getMessage());
    }
    claim.close();
    RunLock.acquire(out, "report").close();
    RunLock.acquire(elsewhere, "report").close();
    // The default layout: checkpoints inside --out.
    NodeCommand.runClaim(out, out.resolve("checkpoints")).get().close();
  }

  /**
   * Another process's lock, the operating system's, not this JVM's record of its own: a server's
   * claim waits for it (IllegalStateException), a lock of this process and a report are refused,
   * and the claim goes ahead once that process has exited.
   */
  @Test
  void anotherProcesssLockIsWaitedForByAServerAndRefusedByARun() throws Exception {
    Path out = dir.resolve("held-out");
    Path checkpoints = dir.resolve("held-checkpoints");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process holder = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), RunLockHolder.class.getName(),
        out.toString(), checkpoints.toString()).redirectErrorStream(true).start();
    try {
      java.io.BufferedReader said = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream()));
      assertEquals("locked", said.readLine(), "the holder locked both directories");
      IllegalStateException held = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
          () -> NodeCommand.runClaim(out, checkpoints).get());
      assertTrue(held.getMessage().contains(out + " is in use by another csfl run"), held.getMessage());
      org.junit.jupiter.api.Assertions.assertThrows(RunLock.InUse.class, () -> RunLock.acquire(checkpoints, "--checkpoint-dir"));
      Files.writeString(out.resolve("metrics.csv"), io.csfl.metrics.RoundMetrics.CSV_HEADER + "\ncs,1,0.5,1.0,10,10,2,2,5,1,1,9\n");
      run("report", out.toString()).isOneLineUsageError("report " + out + " is in use by another csfl run");
    } finally {
      holder.getOutputStream().close();
      assertTrue(holder.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the holder exits once its input ends");
    }
    NodeCommand.runClaim(out, checkpoints).get().close();
  }

  /** What a user put in --out, or another run writing there now, is not overwritten; nor does a run train for nothing. */
  @Test
  void aRunRefusesADirectoryItWouldOverwriteOrThatAnotherRunWrites() throws Exception {
    String[] small = {"--dataset", "synthetic:1,1", "--model", "logreg", "--per-round", "2", "--rounds", "1"};
    Path notes = Files.createDirectories(dir.resolve("notes"));
    Files.writeString(notes.resolve("summary.md"), "my notes");
    run(withOut(small, notes)).isOneLineUsageError("--out " + notes + " holds summary.md, which a run writes");
    assertEquals("my notes", Files.readString(notes.resolve("summary.md")));

    Path busy = dir.resolve("busy");
    try (RunLock other = RunLock.acquire(busy, "--out")) {
      run(withOut(small, busy)).isOneLineUsageError("--out " + busy + " is in use by another csfl run");
    }
    assertFalse(Files.exists(busy.resolve("metrics.csv")));
    // A resume refused its directory says so before it says where it would have continued.
    Path done = dir.resolve("done");
    assertEquals(0, run(withOut(small, done)).exitCode());
    String printed;
    try (RunLock other = RunLock.acquire(done, "--out")) {
      printed = stdoutOf(() -> run("simulate", "--resume", done.toString()).isOneLineUsageError(done + " is in use by another csfl run"));
    }
    assertFalse(printed.contains("complete, all"), printed);

    Path inTheWay = Files.writeString(dir.resolve("in-the-way"), "a file where the checkpoints' parent should be");
    Path blocked = dir.resolve("blocked");
    List<String> args = new java.util.ArrayList<>(List.of(withOut(small, blocked)));
    args.addAll(List.of("--checkpoint-dir", inTheWay.resolve("checkpoints").toString()));
    run(args.toArray(String[]::new)).isOneLineUsageError("cannot write the run's files: " + inTheWay.resolve("checkpoints"));
    assertFalse(Files.exists(blocked.resolve("metrics.csv")), "refused before the first round");
    IllegalArgumentException unwritable = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> SimulateCommand.requireWritable(inTheWay.resolve("c")));
    assertTrue(unwritable.getMessage().startsWith("--checkpoint-dir " + inTheWay.resolve("c") + ": a checkpoint cannot be written there: "),
        unwritable.getMessage());

    Path shared = Files.createDirectories(dir.resolve("shared-checkpoints"));
    Files.writeString(shared.resolve("fedavg-round-000001.safetensors"), "another run's");
    List<String> intoShared = new java.util.ArrayList<>(List.of(withOut(small, dir.resolve("fresh"))));
    intoShared.addAll(List.of("--checkpoint-dir", shared.toString()));
    run(intoShared.toArray(String[]::new)).isOneLineUsageError("--checkpoint-dir " + shared + " holds another run's checkpoints");

    // The lock ends with the run: the same directory takes a run afterwards.
    assertEquals(0, run(withOut(small, busy)).exitCode());
  }

  private static String[] withOut(String[] args, Path out) {
    List<String> all = new java.util.ArrayList<>(List.of("simulate", "--out", out.toString()));
    all.addAll(List.of(args));
    return all.toArray(String[]::new);
  }

  /** Several algorithms side by side, cs at another sparsity among them: each runs under its own name. */
  @Test
  void csAtAGivenSparsityRunsBesideOthers() throws Exception {
    Path out = dir.resolve("sparsities");
    Result r = run("simulate", "--dataset", "synthetic:1,1", "--model", "logreg", "--per-round", "2", "--rounds", "1",
        "--algorithm", "fedavg,cs:0.70", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    // Under one name however the sparsity is written.
    assertEquals(List.of("fedavg", "cs:0.7"), io.csfl.metrics.MetricsCsv.read(out.resolve("metrics.csv")).stream()
        .map(io.csfl.metrics.RoundMetrics::algorithm).toList());
    run("simulate", "--algorithm", "cs:0.5,CS:.50", "--out", dir.resolve("twice").toString()).isOneLineUsageError("--algorithm lists cs:0.5 twice");
    run("simulate", "--algorithm", "cs,cs:0.5", "--out", dir.resolve("twice").toString())
        .isOneLineUsageError("--algorithm lists cs and cs:0.5, one algorithm at --sparsity 0.5 run twice");
    // With a schedule cs differs from cs:S at its first sparsity.
    Result scheduled = run("simulate", "--dataset", "synthetic:1,1", "--model", "logreg", "--per-round", "2", "--rounds", "2",
        "--algorithm", "cs,cs:0.5", "--sparsity-end", "0.8", "--out", dir.resolve("scheduled").toString());
    assertEquals(0, scheduled.exitCode(), scheduled.err());
  }

  /** Names given as flags mean the same in any case: in the checks and in what nodes and resumed runs compare. */
  @Test
  void namesInFlagsAreReadInAnyCase() throws Exception {
    CommandLine.ParseResult node = CsflCommand.commandLine().parseArgs("node", "--role", "Server,CLIENT", "--partition", "IID",
        "--optimizer", "SGD", "--pruner", "GLOBAL", "--aggregation", "Trimmed-Mean:0.1", "--engine", "Java");
    NodeCommand parsed = (NodeCommand) node.subcommand().commandSpec().userObject();
    assertEquals(List.of("server", "client"), parsed.roles);
    assertEquals(List.of("iid", "sgd", "global", "trimmed-mean:0.1", "java"), List.of(parsed.federation.partitionOption,
        parsed.federation.optimizer, parsed.federation.pruner, parsed.federation.aggregation, parsed.federation.engine));
    Path out = dir.resolve("cases");
    Result r = run("simulate", "--dataset", "synthetic:1,1", "--model", "logreg", "--per-round", "2", "--rounds", "1",
        "--algorithm", "FedAvg", "--pruner", "GLOBAL", "--optimizer", "SGD", "--partition", "IID", "--aggregation", "Median",
        "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
  }

  @Test
  void anEngineThatIsNotOnTheClassPathIsOneLine() {
    // This module's tests run without trainer-djl, as the default build does.
    run("simulate", "--engine", "pytorch").isOneLineUsageError("training engine 'pytorch' is not on the class path (available: java)");
    run("node", "--role", "client", "--insecure", "--engine", "pytorch").isOneLineUsageError("training engine 'pytorch'");
    run("simulate", "--engine", "tensorflow").isOneLineUsageError("training engine 'tensorflow' is not on the class path");
    CommandLine.ParseResult simulate = CsflCommand.commandLine().parseArgs("simulate");
    assertEquals("java", ((SimulateCommand) simulate.subcommand().commandSpec().userObject()).federation.trainingEngine().name());
  }

  @Test
  void anUnwritableOutputDirectoryIsOneLine() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "");
    Result r = run("simulate", "--data-dir", SimulateCommandTest.repoData().toString(), "--clients", "2", "--per-round", "1",
        "--rounds", "1", "--out", file.resolve("out").toString());
    r.isOneLineUsageError("cannot write the run's files: " + file.resolve("out") + ": " + file + " is a file, not a directory");
    assertFalse(r.err().contains("Exception"), r.err());
  }

  @Test
  void aRunStartedWithALogLevelCanBeResumed() {
    assertEquals(List.of("--rounds", "3"), SimulateCommand.ownFlags(List.of("-v", "simulate", "-vv", "--rounds", "-q", "3", "--verbose")));
  }

  @Test
  void versionNamesTheReleaseTheCommitTheJdkAndTheKernels() {
    Result r = run("--version");
    assertEquals(0, r.exitCode());
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.get(0).matches("csfl \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), lines.get(0));
    assertTrue(lines.get(1).startsWith("commit "), lines.get(1));
    assertTrue(lines.get(2).startsWith("JDK " + Runtime.version().feature()), lines.get(2));
    assertTrue(lines.get(3).startsWith("kernels: "), lines.get(3));
    assertFalse(r.out().contains("${"), r.out());
  }

  /** A command that runs out of heap, as building a model too large for it does. */
  @CommandLine.Command(name = "greedy")
  static final class Greedy implements Runnable {
    @Override
    public void run() {
      throw new OutOfMemoryError("Java heap space");
    }
  }

  @Test
  void runningOutOfHeapIsOneLineSayingHowToGiveMore() {
    CommandLine cl = new CommandLine(new Greedy());
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    assertEquals(1, CsflCommand.execute(cl, new String[0]));
    List<String> lines = err.toString().lines().toList();
    assertEquals(1, lines.size(), err.toString());
    assertTrue(lines.get(0).startsWith("csfl: out of memory: the run needs more than the JVM's heap of "), lines.get(0));
    assertTrue(CsflCommand.outOfMemory(1L << 30).contains("heap of 1.0 GiB") && CsflCommand.outOfMemory(1L << 30).endsWith("-Xmx2g"),
        CsflCommand.outOfMemory(1L << 30));
    assertTrue(CsflCommand.outOfMemory(256L << 20).contains("heap of 256 MiB."), CsflCommand.outOfMemory(256L << 20));
    assertTrue(CsflCommand.outOfMemory(6L << 30).endsWith("-Xmx12g"), CsflCommand.outOfMemory(6L << 30));
  }

  @Test
  void helpGroupsEveryOptionUnderAHeading() {
    for (String command : List.of("simulate", "node")) {
      CommandLine cl = CsflCommand.commandLine().getSubcommands().get(command);
      Map<String, ?> groups = OptionGroups.grouped(cl.getCommandSpec());
      assertFalse(groups.containsKey(OptionGroups.OTHER), command + ": add these options to a group of OptionGroups: "
          + groups.get(OptionGroups.OTHER));
      String help = run(command, "--help").out();
      for (String heading : groups.keySet()) {
        assertTrue(help.contains("\n" + heading + "\n"), command + " --help lacks " + heading + ":\n" + help);
      }
      assertTrue(help.contains("Default: "), help);
    }
    String top = run("--help").out();
    for (String command : List.of("simulate", "node", "certs", "report", "evaluate")) {
      assertTrue(top.lines().anyMatch(l -> l.startsWith("  " + command + " ") && l.endsWith(".")),
          "one line for " + command + " in:\n" + top);
    }
  }
}
