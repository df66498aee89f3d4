package io.csfl.node;

import picocli.CommandLine;

/**
 * A bad value that was not typed on the command line: a {@code CSFL_*} variable, a key of the
 * config file, a run's saved flags. Its message names where the value came from; the command's
 * --help has nothing to add, so the line does not point to it.
 */
final class BadInput extends CommandLine.ParameterException {
  private static final long serialVersionUID = 1L;

  BadInput(CommandLine commandLine, String message) {
    super(commandLine, message);
  }
}
