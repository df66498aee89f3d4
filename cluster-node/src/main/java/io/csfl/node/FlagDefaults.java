package io.csfl.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderClasspath;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigIncluderURL;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigResolver;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.csfl.cluster.ClusterConfig;
import java.io.File;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * Alternatives to flags, for containers and config management: for {@code --seed-nodes}, the
 * environment variable {@code CSFL_SEED_NODES}, else the key {@code csfl.seed-nodes} of a HOCON
 * file given by {@code CSFL_CONFIG}, or by {@code --config FILE} to a command that has that flag.
 * A flag on the command line wins. A command line that asks for help or the version, and a
 * resumed simulation (which runs with the flags it was started with), take neither: nothing
 * there may stop them. {@code simulate --resume} itself comes from the command line only.
 */
final class FlagDefaults implements CommandLine.IDefaultValueProvider {
  private final Map<String, String> env;
  private final boolean reads;
  private final Optional<Path> configFile;
  /** The file, read when a default is first asked of it: a command that takes none never reads it. */
  private Config file;

  /** The defaults of command line {@code args} of {@code root} (the csfl command), from {@code env} and the config file. */
  FlagDefaults(CommandLine root, String[] args, Map<String, String> env) {
    this.env = env;
    CommandLine command = invoked(root, args);
    this.reads = takesDefaults(root, command, args);
    CommandLine.Model.OptionSpec config = command == null ? null : command.getCommandSpec().findOption("--config");
    this.configFile = Optional.ofNullable(config == null ? null : value(config, args))
        .or(() -> Optional.ofNullable(env.get("CSFL_CONFIG")).filter(s -> !s.isBlank()))
        .map(Path::of);
  }

  /** The subcommand {@code args} run, or null: the first argument that is no option, as the csfl command's own options take no value. */
  private static CommandLine invoked(CommandLine root, String[] args) {
    for (String arg : args) {
      if (arg.equals("--")) {
        return null;
      }
      if (!arg.startsWith("-")) {
        return root.getSubcommands().get(arg);
      }
    }
    return null;
  }

  /**
   * Whether {@code args}, which run {@code command}, take defaults at all: not when they ask for
   * help or the version (the help command, or a help or version flag of the csfl command or of
   * {@code command}), nor for {@code simulate --resume}, which runs with the run's saved flags.
   */
  private static boolean takesDefaults(CommandLine root, CommandLine command, String[] args) {
    return !asksForHelp(root, args)
        && !(command != null && command.getCommand() instanceof SimulateCommand && given(command.getCommandSpec().findOption("--resume"), args));
  }

  /**
   * Whether {@code args} of {@code root} (the csfl command) ask for help or the version: the help
   * command, or a help or version flag of the csfl command or of the subcommand they run. Nothing in
   * the environment may stop those.
   */
  static boolean asksForHelp(CommandLine root, String[] args) {
    CommandLine command = invoked(root, args);
    if (command != null && command.getCommand() instanceof CommandLine.HelpCommand) {
      return true;
    }
    return (command == null ? List.of(root) : List.of(root, command)).stream()
        .flatMap(c -> c.getCommandSpec().options().stream())
        .anyMatch(o -> (o.usageHelp() || o.versionHelp()) && given(o, args));
  }

  /** The value {@code args} give {@code option}, as {@code --name VALUE} or {@code --name=VALUE}; null if none. */
  private static String value(CommandLine.Model.OptionSpec option, String[] args) {
    for (int i = 0; i < args.length; i++) {
      for (String name : option.names()) {
        if (args[i].equals(name) && i + 1 < args.length) {
          return args[i + 1];
        }
        if (args[i].startsWith(name + "=")) {
          return args[i].substring(name.length() + 1);
        }
      }
    }
    return null;
  }

  /**
   * The HOCON file {@code p}, its includes (each must exist) and substitutions resolved: against
   * the file, then against {@code env}. A missing or malformed file, a missing include and a
   * substitution with no value are an IllegalArgumentException naming the file.
   */
  static Config parse(Path p, Map<String, String> env) {
    String notAFile = io.csfl.internal.files.RegularFiles.whyNotAFile(p);
    if (notAFile != null) {
      throw new IllegalArgumentException("config file " + p + " " + notAFile);
    }
    try {
      // The absolute path: the includes of a file given without a directory are looked for beside it.
      return ConfigFactory.parseFile(p.toAbsolutePath().toFile(),
              ConfigParseOptions.defaults().setOriginDescription(p.toString()).setIncluder(new RequiredIncludes(null)))
          .resolve(ConfigResolveOptions.noSystem().appendResolver(new Environment(env, null)));
    } catch (ConfigException e) {
      // HOCON's messages start with the file and line; a missing include's has neither.
      throw new IllegalArgumentException("config file " + (e.origin() == null ? p + ": " : "") + withHint(e.getMessage()));
    }
  }

  /**
   * HOCON's parser calls a file that ends inside an object a missing close parenthesis (the
   * message of an unclosed {@code include file(}); the far likelier cause is a {@code '{'} left
   * open, so the message says so too.
   */
  static String withHint(String message) {
    return message.endsWith("expecting a close parentheses ')' here, not: end of file")
        ? message + " (a '{' not closed by a '}'?)"
        : message;
  }

  /**
   * The settings a node's actor system takes from its config file {@code p}, read as for the
   * flags' defaults: without the keys of flags, which are none of Akka's ({@code csfl.rejoin =
   * true} would hide {@code csfl.rejoin.delay}), and without CSFL's settings set to null, which
   * keep their defaults.
   */
  static Config settings(CommandLine.Model.CommandSpec command, Path p) {
    Map<String, String> env = command.commandLine().getDefaultValueProvider() instanceof FlagDefaults defaults ? defaults.env : System.getenv();
    Config settings = parse(p, env);
    for (String flag : flags(command.root())) {
      String key = "csfl." + flag;
      if (settings.hasPath(key) && settings.getValue(key).valueType() != ConfigValueType.OBJECT) {
        settings = settings.withoutPath(key);
      }
    }
    if (settings.root().get("csfl") instanceof ConfigObject csfl) {
      for (String unset : nulls(csfl, List.of("csfl"))) {
        settings = settings.withoutPath(unset);
      }
    }
    return settings;
  }

  /** The paths in {@code object}, which is at {@code path}, that hold null. */
  private static List<String> nulls(ConfigObject object, List<String> path) {
    List<String> found = new ArrayList<>();
    object.forEach((key, value) -> {
      List<String> at = new ArrayList<>(path);
      at.add(key);
      if (value.valueType() == ConfigValueType.NULL) {
        found.add(ConfigUtil.joinPath(at));
      } else if (value.valueType() == ConfigValueType.OBJECT) {
        found.addAll(nulls((ConfigObject) value, at));
      }
    });
    return found;
  }

  @Override
  public String defaultValue(CommandLine.Model.ArgSpec arg) {
    if (!reads || !(arg instanceof CommandLine.Model.OptionSpec option) || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    if (option.longestName().equals("--config")) {
      // The file cannot name itself; CSFL_CONFIG names it as --config does, for its akka.* settings too.
      return configFile.map(Path::toString).orElse(null);
    }
    String fromEnv = env.get(variable(option));
    Config file = file(option.command());
    String key = key(option);
    if (option.longestName().equals("--resume") && option.command().userObject() instanceof SimulateCommand
        && (fromEnv != null && !fromEnv.isBlank() || file.hasPath(key))) {
      // simulate's resume continues one run: as a default it would turn every later simulate into that
      // run. A node's --resume is a switch every server node of a run takes (a container sets it once).
      throw new BadInput(option.command().commandLine(), (fromEnv != null && !fromEnv.isBlank() ? variable(option) + "=" + fromEnv
          : key + " in config file " + configFile.orElseThrow()) + ": --resume is taken from the command line only");
    }
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv;
    }
    // Null leaves the flag at its own default; an object is a section of CSFL's settings (csfl.rejoin.delay).
    if (!file.hasPath(key) || file.getValue(key).valueType() == ConfigValueType.OBJECT) {
      return null;
    }
    try {
      return file.getValue(key).valueType() == ConfigValueType.LIST
          ? file.getStringList(key).stream().collect(Collectors.joining(","))
          : file.getString(key);
    } catch (ConfigException e) {
      throw new BadInput(option.command().commandLine(), "config file " + e.getMessage());
    }
  }

  /** The config file as {@link #parse} reads it and {@link #check} accepts it; empty when there is none. */
  private Config file(CommandLine.Model.CommandSpec command) {
    if (file == null) {
      try {
        Config read = configFile.map(p -> parse(p, env)).orElse(ConfigFactory.empty());
        check(read, command.root());
        file = read;
      } catch (IllegalArgumentException e) {
        throw new BadInput(command.commandLine(), e.getMessage());
      }
    }
    return file;
  }

  /**
   * Refuses a key of the file that CSFL would not read: a {@code csfl.*} key that is neither
   * {@code csfl.<flag>} for a flag of some csfl command (a file may serve simulate and node alike)
   * nor one of CSFL's settings, and a flag's key that holds an object or a list of them. Keys
   * outside {@code csfl} are not CSFL's: Akka's settings, and values for substitutions.
   */
  private void check(Config read, CommandLine.Model.CommandSpec root) {
    ConfigValue csfl = read.root().get("csfl");
    if (csfl == null || csfl.valueType() == ConfigValueType.NULL) {
      return;
    }
    if (csfl.valueType() != ConfigValueType.OBJECT) {
      throw refusal("csfl must hold keys, such as csfl.rounds = 5, not a value");
    }
    Set<String> flags = flags(root);
    Config defaults = ClusterConfig.defaults();
    for (Map.Entry<String, ConfigValue> entry : ((ConfigObject) csfl).entrySet()) {
      String name = entry.getKey();
      ConfigValue value = entry.getValue();
      String key = ConfigUtil.joinPath("csfl", name);
      ConfigValue setting = defaults.hasPath(key) ? defaults.getValue(key) : null;
      boolean section = value.valueType() == ConfigValueType.OBJECT && setting != null && setting.valueType() == ConfigValueType.OBJECT;
      if (setting != null && (section || !flags.contains(name))) {
        checkSetting(List.of("csfl", name), value, setting);
      } else if (!flags.contains(name)) {
        throw refusal("unknown key " + key + " (no csfl command has --" + name + ", and CSFL has no such setting)");
      } else if (value.valueType() == ConfigValueType.OBJECT) {
        throw refusal(key + " must be a value, not an object");
      } else if (value.valueType() == ConfigValueType.LIST && ((ConfigList) value).stream()
          .anyMatch(v -> v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST)) {
        throw refusal(key + " must be a value or a list of values, not a list of objects or lists");
      }
    }
  }

  /**
   * Refuses a key in {@code value} at {@code path} that CSFL's settings there ({@code defaults})
   * lack, except in an Akka dispatcher (a section with a {@code type}), whose many keys are Akka's.
   */
  private void checkSetting(List<String> path, ConfigValue value, ConfigValue defaults) {
    if (defaults.valueType() == ConfigValueType.OBJECT && value.valueType() != ConfigValueType.OBJECT
        && value.valueType() != ConfigValueType.NULL) {
      // A section given a plain value: the node would fail at its start, reading the section.
      throw refusal(ConfigUtil.joinPath(path) + " is a section of settings, not a value");
    }
    if (value.valueType() != ConfigValueType.OBJECT || defaults.valueType() != ConfigValueType.OBJECT
        || ((ConfigObject) defaults).containsKey("type")) {
      return;
    }
    ((ConfigObject) value).forEach((name, inner) -> {
      List<String> at = new ArrayList<>(path);
      at.add(name);
      ConfigValue setting = ((ConfigObject) defaults).get(name);
      if (setting == null) {
        throw refusal("unknown key " + ConfigUtil.joinPath(at) + " (CSFL has no such setting)");
      }
      checkSetting(at, inner, setting);
    });
  }

  private IllegalArgumentException refusal(String problem) {
    return new IllegalArgumentException("config file " + configFile.orElseThrow() + ": " + problem);
  }

  /** The flags the config file may give, as keys below {@code csfl}: every command's options but help, the version and --config. */
  private static Set<String> flags(CommandLine.Model.CommandSpec command) {
    Set<String> flags = new TreeSet<>();
    command.options().stream().filter(o -> !o.usageHelp() && !o.versionHelp() && !o.longestName().equals("--config"))
        .forEach(o -> flags.add(name(o)));
    command.subcommands().values().forEach(sub -> flags.addAll(flags(sub.getCommandSpec())));
    return flags;
  }

  /** {@code seed-nodes} for {@code --seed-nodes}. */
  private static String name(CommandLine.Model.OptionSpec option) {
    return option.longestName().replaceFirst("^-+", "");
  }

  /** The variable that gives {@code option} a default: {@code CSFL_SEED_NODES} for {@code --seed-nodes}. */
  private static String variable(CommandLine.Model.OptionSpec option) {
    return "CSFL_" + name(option).toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** The config file's key that gives {@code option} a default: {@code csfl.seed-nodes} for {@code --seed-nodes}. */
  private static String key(CommandLine.Model.OptionSpec option) {
    return "csfl." + name(option);
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

  /** Substitutions the file cannot resolve itself, from the environment the flags' defaults come from. */
  private record Environment(Map<String, String> env, ConfigResolver fallback) implements ConfigResolver {
    @Override
    public ConfigValue lookup(String path) {
      String value = env.get(path);
      return value != null ? ConfigValueFactory.fromAnyRef(value, "environment variable " + path)
          : fallback == null ? null : fallback.lookup(path);
    }

    @Override
    public ConfigResolver withFallback(ConfigResolver other) {
      return new Environment(env, fallback == null ? other : fallback.withFallback(other));
    }
  }

  /**
   * HOCON's includes, each required as if written {@code include required(...)}: a name that
   * finds no file is a mistake to report, not an empty include.
   */
  private record RequiredIncludes(ConfigIncluder fallback)
      implements ConfigIncluder, ConfigIncluderFile, ConfigIncluderURL, ConfigIncluderClasspath {
    @Override
    public ConfigIncluder withFallback(ConfigIncluder other) {
      return fallback == null ? new RequiredIncludes(other) : this;
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
      return required(what, () -> fallback.include(required(context), what));
    }

    @Override
    public ConfigObject includeFile(ConfigIncludeContext context, File what) {
      return required(what.toString(), () -> ((ConfigIncluderFile) fallback).includeFile(required(context), what));
    }

    @Override
    public ConfigObject includeURL(ConfigIncludeContext context, URL what) {
      return required(what.toString(), () -> ((ConfigIncluderURL) fallback).includeURL(required(context), what));
    }

    @Override
    public ConfigObject includeResources(ConfigIncludeContext context, String what) {
      return required(what, () -> ((ConfigIncluderClasspath) fallback).includeResources(required(context), what));
    }

    private static ConfigIncludeContext required(ConfigIncludeContext context) {
      return context.setParseOptions(context.parseOptions().setAllowMissing(false));
    }

    /** The include {@code what}, or one line saying it was not found (HOCON's own message speaks of the class path). */
    private static ConfigObject required(String what, Supplier<ConfigObject> include) {
      try {
        return include.get();
      } catch (ConfigException.IO e) {
        throw new ConfigException.Generic("include \"" + what + "\" found no file to read");
      }
    }
  }
}
