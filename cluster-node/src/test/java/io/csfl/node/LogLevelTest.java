package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** CSFL_LOG_LEVEL names a level or is refused: logback would read any other word as DEBUG. */
class LogLevelTest {
  @Test
  void aLevelInAnyCaseOrNoneIsTakenAndAnythingElseIsRefusedNamingTheLevels() {
    assertNull(LogLevel.refusal(null));
    assertNull(LogLevel.refusal(""));
    assertNull(LogLevel.refusal("info"));
    assertNull(LogLevel.refusal("WARN"));
    assertEquals("CSFL_LOG_LEVEL 'verbose' is not a log level: give one of ERROR, WARN, INFO, DEBUG, TRACE",
        LogLevel.refusal("verbose"));
  }

  /** Help and the version are never stopped by the environment, a bad level included. */
  @Test
  void aBadLevelDoesNotStopHelpOrTheVersion() {
    picocli.CommandLine cl = CsflCommand.commandLine();
    for (String[] args : new String[][] {{"simulate", "--help"}, {"--version"}, {"-V"}, {"help", "simulate"}, {"node", "-h"}}) {
      assertNull(LogLevel.refusal("LOUD", FlagDefaults.asksForHelp(cl, args)), String.join(" ", args));
    }
    for (String[] args : new String[][] {{"simulate", "--rounds", "1"}, {"report", "x"}, {}}) {
      assertEquals("CSFL_LOG_LEVEL 'LOUD' is not a log level: give one of ERROR, WARN, INFO, DEBUG, TRACE",
          LogLevel.refusal("LOUD", FlagDefaults.asksForHelp(cl, args)), String.join(" ", args));
    }
  }

  @Test
  void aBlankLevelIsWarnAndOneWithSpacesIsTheLevelItNames() {
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.classic.Level before = root.getLevel();
    try {
      root.setLevel(ch.qos.logback.classic.Level.DEBUG);
      LogLevel.applyEnvironment("");
      assertEquals(ch.qos.logback.classic.Level.WARN, root.getLevel(), "set but empty, as unset");
      LogLevel.applyEnvironment(" info ");
      assertEquals(ch.qos.logback.classic.Level.INFO, root.getLevel());
    } finally {
      root.setLevel(before);
    }
  }
}
