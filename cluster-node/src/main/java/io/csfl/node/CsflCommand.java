package io.csfl.node;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code csfl} command line. */
@Command(name = "csfl", mixinStandardHelpOptions = true, version = "csfl 0.1.0",
    description = "Complement Sparsification federated learning on Akka typed actors.",
    subcommands = {SimulateCommand.class, NodeCommand.class, CertsCommand.class, ReportCommand.class, EvaluateCommand.class,
        CommandLine.HelpCommand.class})
public final class CsflCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try 'csfl simulate --help')");
  }

  public static void main(String[] args) {
    CommandLine cl = commandLine();
    try {
      cl.setDefaultValueProvider(new FlagDefaults(System.getenv(), FlagDefaults.configFile(args, System.getenv())));
    } catch (CommandLine.PicocliException e) {
      System.err.println("csfl: " + e.getMessage());
      System.exit(CommandLine.ExitCode.USAGE);
    }
    exit(cl.execute(args));
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

  /** The command line, for programs that drive csfl in-process; a bad flag or value: one line on stderr, exit code 2. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new CsflCommand());
    cl.setParameterExceptionHandler((ex, args) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println("csfl: " + ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
      err.flush();
      return CommandLine.ExitCode.USAGE;
    });
    return cl;
  }
}
