package io.csfl.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * Alternatives to flags, for containers and config management: for {@code --seed-nodes}, the
 * environment variable {@code CSFL_SEED_NODES}, else the key {@code csfl.seed-nodes} of a HOCON
 * file given by {@code --config FILE} or {@code CSFL_CONFIG}. A flag on the command line wins.
 */
final class FlagDefaults implements CommandLine.IDefaultValueProvider {
  private final Map<String, String> env;
  private final Config file;

  FlagDefaults(Map<String, String> env, Optional<Path> configFile) {
    this.env = env;
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
    String name = option.longestName().replaceFirst("^-+", "");
    String fromEnv = env.get("CSFL_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv;
    }
    String key = "csfl." + name;
    if (!file.hasPath(key)) {
      return null;
    }
    try {
      return file.getValue(key).valueType() == ConfigValueType.LIST
          ? file.getStringList(key).stream().collect(Collectors.joining(","))
          : file.getString(key);
    } catch (ConfigException e) {
      throw new CommandLine.PicocliException("config file: " + e.getMessage());
    }
  }
}
