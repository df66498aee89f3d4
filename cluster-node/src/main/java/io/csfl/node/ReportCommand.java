package io.csfl.node;

import io.csfl.report.Report;
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

  @Option(names = "--target", defaultValue = "0.70", description = "Accuracy target for 'rounds and MB to target'. Default: ${DEFAULT-VALUE}.")
  double target;

  @Override
  public Integer call() throws Exception {
    if (!java.nio.file.Files.isRegularFile(dir.resolve("metrics.csv"))) {
      throw new CommandLine.ParameterException(spec.commandLine(), "no metrics.csv in " + dir);
    }
    if (!(target > 0 && target <= 1)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--target must be in (0, 1], got " + target);
    }
    System.out.print(Report.render(dir, target));
    System.out.println("report: " + dir.resolve(Report.SUMMARY) + " and three PNG charts");
    return 0;
  }
}
