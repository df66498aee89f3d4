package io.csfl.node;

import io.csfl.nn.NetworkTrainer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code csfl} command line. */
@Command(name = "csfl", mixinStandardHelpOptions = true, versionProvider = CsflCommand.Version.class,
    description = "Complement Sparsification federated learning on Akka typed actors.",
    commandListHeading = "%nCommands:%n",
    subcommands = {SimulateCommand.class, NodeCommand.class, CertsCommand.class, ReportCommand.class, EvaluateCommand.class,
        CommandLine.HelpCommand.class})
public final class CsflCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
      description = "Log more: -v at INFO (cluster membership, rounds), -vv at DEBUG. Default: WARN, or $CSFL_LOG_LEVEL.")
  boolean[] verbose = new boolean[0];

  @Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT, description = "Log errors only.")
  boolean quiet;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try 'csfl simulate --help')");
  }

  public static void main(String[] args) {
    CommandLine cl = commandLine();
    String level = System.getenv("CSFL_LOG_LEVEL");
    String badLevel = LogLevel.refusal(level, FlagDefaults.asksForHelp(cl, args));
    if (badLevel != null) {
      System.err.println("csfl: " + badLevel);
      System.exit(CommandLine.ExitCode.USAGE);
    }
    if (LogLevel.refusal(level) == null) {
      LogLevel.applyEnvironment(level);
    }
    cl.setDefaultValueProvider(new FlagDefaults(cl, args, System.getenv()));
    exit(execute(cl, args));
  }

  /**
   * Runs {@code cl} on {@code args}; a command that runs out of heap on the command's thread (a
   * model too large to build, say) prints one line saying so and exits with code 1, as a failure
   * no check foresaw, instead of a stack trace.
   */
  static int execute(CommandLine cl, String[] args) {
    try {
      return cl.execute(args);
    } catch (OutOfMemoryError e) {
      // The command's own data (a model built, a file read) are garbage now: there is room for a line.
      cl.getErr().println("csfl: " + outOfMemory(Runtime.getRuntime().maxMemory()));
      cl.getErr().flush();
      return CommandLine.ExitCode.SOFTWARE;
    }
  }

  /**
   * The line for a command that ran out of heap: what holds the memory, and how to give more.
   * Training holds the model many times over (the global model; each training thread's copy with
   * its gradients and optimiser state; the messages, serialized), so a large --model, or many
   * training threads, can need many times its own size.
   */
  static String outOfMemory(long maxHeap) {
    String heap = maxHeap < 1L << 30 ? (maxHeap >> 20) + " MiB" : String.format(java.util.Locale.ROOT, "%.1f GiB", maxHeap / (double) (1L << 30));
    return "out of memory: the run needs more than the JVM's heap of " + heap + ". Training holds the model many times over (the"
        + " global model, each training thread's copy with its gradients and optimizer state, the messages), so give a smaller --model,"
        + " fewer --threads, or more heap, e.g. CSFL_JAVA_OPTS=-Xmx" + Math.max(2, 2 * (int) Math.ceil(maxHeap / (double) (1L << 30))) + "g";
  }

  /**
   * Exits with {@code code}. Exiting runs the JVM's shutdown hooks (Akka's among them), each with
   * its own bound; should they together still hang, the process is halted a minute later, so that
   * no process outlives its work.
   */
  private static void exit(int code) {
    Thread halt = new Thread(() -> {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        return;
      }
      System.err.println("csfl: the shutdown hooks did not finish within 60 s; halting");
      Runtime.getRuntime().halt(code);
    }, "csfl-exit-bound");
    halt.setDaemon(true);
    halt.start();
    System.exit(code);
  }

  /**
   * The command line, for programs that drive csfl in-process: a bad flag or value prints one line
   * on stderr and returns exit code 2; a failure no check foresaw prints one line and returns 1,
   * with the stack trace only under {@code --verbose}.
   */
  public static CommandLine commandLine() {
    CsflCommand root = new CsflCommand();
    CommandLine cl = new CommandLine(root);
    // --model @FILE names a layer-list file that the command reads itself.
    cl.setExpandAtFiles(false);
    cl.setParameterExceptionHandler((ex, args) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println("csfl: " + oneLine(usageError(ex, args)));
      err.flush();
      return CommandLine.ExitCode.USAGE;
    });
    cl.setExecutionStrategy(parsed -> {
      if (root.verbose.length > 0 && root.quiet) {
        throw new CommandLine.ParameterException(parsed.asCommandLineList().get(parsed.asCommandLineList().size() - 1),
            "--verbose and --quiet exclude each other");
      }
      LogLevel.apply(root.verbose.length, root.quiet);
      return new CommandLine.RunLast().execute(parsed);
    });
    cl.setExecutionExceptionHandler((ex, command, parsed) -> {
      PrintWriter err = command.getErr();
      if (root.verbose.length > 0) {
        ex.printStackTrace(err);
      }
      err.println("csfl: " + oneLine(command.getCommandSpec().qualifiedName() + " failed: " + ex)
          + (root.verbose.length > 0 ? "" : " (run with --verbose for the stack trace)"));
      err.flush();
      return CommandLine.ExitCode.SOFTWARE;
    });
    for (String grouped : List.of("simulate", "node")) {
      OptionGroups.install(cl.getSubcommands().get(grouped));
    }
    // One line each in 'csfl --help', and the first line of each command's own help.
    HEADERS.forEach((name, header) -> cl.getSubcommands().get(name).getCommandSpec().usageMessage().header(header));
    return cl;
  }

  /**
   * The line of a bad flag or value: the refusal, pointing to the command's --help when it is about
   * a flag typed on the command line, or prefixed with where the value came from when a
   * {@code CSFL_*} variable or the config file gave it ({@link FlagDefaults#origin}).
   */
  static String usageError(CommandLine.ParameterException ex, String[] args) {
    if (ex instanceof BadInput || ex.getCause() instanceof BadInput) {
      return (ex instanceof BadInput ? ex : ex.getCause()).getMessage();
    }
    String origin = ex.getCommandLine().getDefaultValueProvider() instanceof FlagDefaults defaults
        ? defaults.origin(ex.getCommandLine().getCommandSpec(), ex.getMessage(), args) : null;
    return origin != null ? origin + ": " + ex.getMessage()
        : ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')";
  }

  /** The most characters of a refusal's text a line shows: a value quoted from a file can be megabytes long. */
  static final int MAX_LINE_CHARS = 1000;

  /**
   * {@code message} as one line: line breaks quoted from an input (a CSV cell, a tensor's name)
   * shown as {@code \n} and {@code \r}, other control characters as spaces, and cut to
   * {@link #MAX_LINE_CHARS} characters, so that a refusal stays the one line a script reads.
   */
  static String oneLine(String message) {
    String line = message.replace("\r", "\\r").replace("\n", "\\n").replaceAll("\\p{Cntrl}", " ");
    return line.length() <= MAX_LINE_CHARS ? line
        : line.substring(0, MAX_LINE_CHARS) + "... (" + line.length() + " characters in all)";
  }

  private static final Map<String, String> HEADERS = Map.of(
      "simulate", "Train and compare algorithms on a federation simulated in one JVM.",
      "node", "Run one node of a CSFL cluster: server, aggregator and/or clients.",
      "certs", "Create a federation's CA and node certificates for mutual TLS.",
      "report", "Draw a run's accuracy charts and summary.md from its metrics.csv.",
      "evaluate", "Print the test accuracy and loss of a saved model.");

  /**
   * {@code --version}: the release from the pom, the commit the jar was built from when the build
   * knew it, the JDK, and which training kernels this JVM runs (SIMD needs the Vector API module).
   */
  static final class Version implements CommandLine.IVersionProvider {
    static final String RESOURCE = "version.properties";

    @Override
    public String[] getVersion() {
      Properties p = built();
      return new String[] {
          "csfl " + p.getProperty("version", "unknown"),
          "commit " + known(p.getProperty("commit")),
          "JDK " + Runtime.version() + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.vm.name") + ")",
          "kernels: " + NetworkTrainer.kernel()};
    }

    /** The properties Maven filtered into the jar at build time. */
    static Properties built() {
      Properties p = new Properties();
      try (InputStream in = CsflCommand.class.getResourceAsStream(RESOURCE)) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        // A jar without the file still reports what the JVM knows.
      }
      return p;
    }

    /** The build writes the commit when git could tell it; otherwise the placeholder is left, or nothing. */
    private static String known(String commit) {
      return commit == null || commit.isBlank() || commit.contains("${") ? "unknown (built without git)" : commit.trim();
    }
  }
}
