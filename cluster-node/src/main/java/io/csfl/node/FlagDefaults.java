package io.csfl.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * Alternatives to flags, for containers and config management: for {@code --seed-nodes}, the
 * environment variable {@code CSFL_SEED_NODES}, else the key {@code csfl.seed-nodes} of a HOCON
 * file given by {@code --config FILE} or {@code CSFL_CONFIG}. A flag on the command line wins.
 */
final class FlagDefaults implements CommandLine.IDefaultValueProvider {
  private final Map<String, String> env;
  private final Optional<Path> configFile;
  private final Config file;

  FlagDefaults(Map<String, String> env, Optional<Path> configFile) {
    this.env = env;
    this.configFile = configFile;
    this.file = configFile.map(FlagDefaults::parse).orElse(ConfigFactory.empty());
  }

  /** The HOCON file {@code p}, or an empty config for null; a missing or malformed file is an IllegalArgumentException. */
  static Config parse(Path p) {
    if (p == null) {
      return ConfigFactory.empty();
    }
    if (!Files.isRegularFile(p)) {
      throw new IllegalArgumentException("config file " + p + " does not exist");
    }
    try {
      return ConfigFactory.parseFile(p.toFile());
    } catch (ConfigException e) {
      throw new IllegalArgumentException("config file " + e.getMessage());
    }
  }

  /** The config file named on the command line ({@code --config FILE} or {@code --config=FILE}) or in CSFL_CONFIG. */
  static Optional<Path> configFile(String[] args, Map<String, String> env) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        return Optional.of(Path.of(args[i + 1]));
      }
      if (args[i].startsWith("--config=")) {
        return Optional.of(Path.of(args[i].substring("--config=".length())));
      }
    }
    return Optional.ofNullable(env.get("CSFL_CONFIG")).filter(s -> !s.isBlank()).map(Path::of);
  }

  @Override
  public String defaultValue(CommandLine.Model.ArgSpec arg) {
    if (!(arg instanceof CommandLine.Model.OptionSpec option)) {
      return null;
    }
    if (option.longestName().equals("--config")) {
      // The file cannot name itself; CSFL_CONFIG names it as --config does, for its akka.* settings too.
      String fromEnv = env.get("CSFL_CONFIG");
      return fromEnv == null || fromEnv.isBlank() ? null : fromEnv;
    }
    String fromEnv = env.get(variable(option));
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv;
    }
    String key = key(option);
    if (!file.hasPath(key)) {
      return null;
    }
    ConfigValue value = file.getValue(key);
    String refusal = value.valueType() == ConfigValueType.OBJECT ? " must be a value, not an object"
        : value.valueType() == ConfigValueType.LIST && ((ConfigList) value).stream()
            .anyMatch(v -> v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST)
            ? " must be a value or a list of values, not a list of objects or lists" : null;
    if (refusal != null) {
      throw new BadInput(option.command().commandLine(), "config file " + configFile.orElseThrow() + ": " + key + refusal);
    }
    try {
      return value.valueType() == ConfigValueType.LIST
          ? file.getStringList(key).stream().collect(Collectors.joining(","))
          : file.getString(key);
    } catch (ConfigException e) {
      throw new BadInput(option.command().commandLine(), "config file " + e.getMessage());
    }
  }

  /** The variable that gives {@code option} a default: {@code CSFL_SEED_NODES} for {@code --seed-nodes}. */
  private static String variable(CommandLine.Model.OptionSpec option) {
    return "CSFL_" + option.longestName().replaceFirst("^-+", "").toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** The config file's key that gives {@code option} a default: {@code csfl.seed-nodes} for {@code --seed-nodes}. */
  private static String key(CommandLine.Model.OptionSpec option) {
    return "csfl." + option.longestName().replaceFirst("^-+", "");
  }

  /**
   * Where the values came from that a refusal of {@code command} speaks of, when a {@code CSFL_*}
   * variable or the config file gave them rather than {@code args}: {@code CSFL_ROUNDS=-1}, or
   * {@code csfl.rounds = -4 in config file F}, joined by "and"; null when the refusal names no
   * such option (by its name, or by its value in quotes) and so is about the command line's.
   */
  String origin(CommandLine.Model.CommandSpec command, String refusal, String[] args) {
    List<String> origins = new ArrayList<>();
    for (CommandLine.Model.OptionSpec option : command.options()) {
      if (option.longestName().equals("--config") || given(option, args)) {
        continue;
      }
      String value;
      try {
        value = defaultValue(option);
      } catch (CommandLine.ParameterException refused) {
        // A key the parse refused already: it is no value this refusal can be about.
        continue;
      }
      if (value == null || !(names(refusal, option) || refusal.contains("'" + value + "'"))) {
        continue;
      }
      String fromEnv = env.get(variable(option));
      origins.add(fromEnv != null && !fromEnv.isBlank() ? variable(option) + "=" + fromEnv
          : key(option) + " = " + value + " in config file " + configFile.orElseThrow());
    }
    return origins.isEmpty() ? null : String.join(" and ", origins);
  }

  /** Whether {@code args} give {@code option}, as {@code --name VALUE} or {@code --name=VALUE}. */
  private static boolean given(CommandLine.Model.OptionSpec option, String[] args) {
    return Arrays.stream(args).anyMatch(a -> Arrays.stream(option.names()).anyMatch(n -> a.equals(n) || a.startsWith(n + "=")));
  }

  /** Whether {@code text} names {@code option}: {@code --sparsity} does not name {@code --sparsity-end}. */
  private static boolean names(String text, CommandLine.Model.OptionSpec option) {
    return Arrays.stream(option.names()).anyMatch(n -> Pattern.compile("(?<![\\w-])" + Pattern.quote(n) + "(?![\\w-])").matcher(text).find());
  }
}
