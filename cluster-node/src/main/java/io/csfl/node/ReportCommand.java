package io.csfl.node;

import io.csfl.metrics.MetricsCsv;
import io.csfl.report.Report;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code csfl report DIR}: charts and summary.md from DIR/metrics.csv. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Render DIR/metrics.csv into accuracy charts (PNG) and DIR/summary.md.")
final class ReportCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "A run directory containing metrics.csv.")
  Path dir;

  @Option(names = "--target", paramLabel = "T", description = "Accuracy target for 'rounds and MB to target'. Default: the one "
      + "the run's summary.md was written for, else 0.70.")
  Double target;

  @Override
  public Integer call() {
    Path csv = dir.resolve("metrics.csv");
    if (!Files.isDirectory(dir)) {
      throw new CommandLine.ParameterException(spec.commandLine(), dir + (Files.exists(dir) ? " is not a directory" : " does not exist")
          + ": give the directory of a run, which holds its metrics.csv");
    }
    if (!Files.exists(csv)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "no metrics.csv in " + dir);
    }
    String notAFile = io.csfl.internal.files.RegularFiles.whyNotAFile(csv);
    if (notAFile != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), csv + " " + notAFile);
    }
    if (target != null && !(target > 0 && target <= 1)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--target must be in (0, 1], got " + target);
    }
    RunLock lock;
    try {
      // A run still writing DIR would replace this report at its end, or find its summary replaced
      // under it; and its metrics.csv, half written, is not what it will be.
      lock = RunLock.acquire(dir, "report");
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("csfl: " + CsflCommand.oneLine(e.getMessage()));
      return CommandLine.ExitCode.USAGE;
    }
    try (lock) {
      String fault = fault(csv);
      if (fault != null) {
        spec.commandLine().getErr().println("csfl: " + CsflCommand.oneLine(fault));
        return CommandLine.ExitCode.USAGE;
      }
      spec.commandLine().getOut().print(Report.render(dir, target == null ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(target)));
    } catch (IOException | IllegalArgumentException | java.io.UncheckedIOException e) {
      spec.commandLine().getErr().println("csfl: cannot write the report: " + failure(dir, e));
      return CommandLine.ExitCode.USAGE;
    }
    spec.commandLine().getOut().println("report: " + dir.resolve(Report.SUMMARY) + " and three PNG charts");
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** Why {@link Report#render} failed on {@code dir}, in one line: which file, and what is wrong with it. */
  static String failure(Path dir, Exception e) {
    if (e instanceof IOException failed) {
      return io.csfl.internal.files.FileProblems.writing(dir, failed);
    }
    return e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException ? e.getMessage() : e.toString();
  }

  /** Why {@code csv} is not a metrics file the report can read, naming the line; null when it is one. */
  static String fault(Path csv) {
    try {
      return MetricsCsv.read(csv).isEmpty() ? csv + " has no rows" : null;
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      return e.getMessage() + (endsInAPartialRow(csv) ? "; the file ends in a row cut short (a crash, or a full disk): "
          + "'csfl simulate --resume' of the run drops that row (a cluster's run: a server node started again with --resume)" : "");
    }
  }

  private static boolean endsInAPartialRow(Path csv) {
    try {
      return Files.size(csv) > 0 && !MetricsCsv.endsWithNewline(csv);
    } catch (IOException e) {
      return false;
    }
  }
}
