package io.csfl.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code -v}, {@code -vv} and {@code -q}: the logback level of CSFL's and Akka's loggers. Without
 * them the level is logback.xml's: {@code $CSFL_LOG_LEVEL}, else WARN.
 */
final class LogLevel {
  private LogLevel() {}

  /** The levels {@code CSFL_LOG_LEVEL} may name; logback would take anything else for DEBUG. */
  static final java.util.List<String> NAMES = java.util.List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");

  /** Why {@code value} (of {@code CSFL_LOG_LEVEL}) is not a level, or null when it is one or is unset. */
  static String refusal(String value) {
    return value == null || value.isBlank() || NAMES.contains(value.strip().toUpperCase(java.util.Locale.ROOT)) ? null
        : "CSFL_LOG_LEVEL '" + value + "' is not a log level: give one of " + String.join(", ", NAMES);
  }

  /** As {@link #refusal(String)}, but null for a command line that asks for help or the version, which nothing in the environment may stop. */
  static String refusal(String value, boolean asksForHelp) {
    return asksForHelp ? null : refusal(value);
  }

  /**
   * Sets the level {@code CSFL_LOG_LEVEL} names, as logback.xml would, but for a value logback reads
   * wrongly: a blank one (set but empty: logback takes it for DEBUG; WARN, as unset) or one with
   * spaces around the name. Call after {@link #refusal} found nothing wrong with {@code value}.
   */
  static void applyEnvironment(String value) {
    if (value != null && LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(value.isBlank() ? Level.WARN : Level.toLevel(value.strip(), Level.WARN));
    }
  }

  static void apply(int verbose, boolean quiet) {
    if (verbose == 0 && !quiet) {
      return;
    }
    Level level = quiet ? Level.ERROR : verbose == 1 ? Level.INFO : Level.DEBUG;
    if (level == Level.DEBUG) {
      // Akka filters its events by akka.loglevel (INFO in application.conf) before they reach logback.
      System.setProperty("akka.loglevel", "DEBUG");
      com.typesafe.config.ConfigFactory.invalidateCaches();
    }
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(level);
      context.getLogger("akka").setLevel(level);
    }
  }
}
