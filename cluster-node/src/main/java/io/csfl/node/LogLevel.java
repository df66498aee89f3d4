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
