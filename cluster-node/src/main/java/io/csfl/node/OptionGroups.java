package io.csfl.node;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The option list of {@code simulate --help} and {@code node --help} under headings. The options
 * stay plain fields (a picocli {@code @ArgGroup} would leave its fields unset, defaults included,
 * whenever none of its options is given); only the help text groups them, by the table below.
 */
final class OptionGroups {
  /** Heading, then the options under it in the order shown. */
  static final Map<String, List<String>> GROUPS = groups();
  /** Where an option missing from {@link #GROUPS} is shown; tests keep it empty. */
  static final String OTHER = "Other options:";

  private OptionGroups() {}

  private static Map<String, List<String>> groups() {
    Map<String, List<String>> g = new LinkedHashMap<>();
    g.put("Data:", List.of("--dataset", "--private-data", "--data-dir", "--label-column", "--group-column", "--test-file", "--test-fraction",
        "--standardize", "--classes", "--clients", "--partition", "--seed", "--eval-examples"));
    g.put("Model and training:", List.of("--model", "--initial-model", "--local-epochs", "--batch-size", "--optimizer", "--lr",
        "--momentum", "--engine", "--threads"));
    g.put("Algorithm:", List.of("--algorithm", "--sparsity", "--sparsity-end", "--server-rate", "--warmup-rounds",
        "--downlink-history", "--pruner", "--density", "--uplink-density", "--aggregation", "--clip-norm"));
    g.put("Federation:", List.of("--rounds", "--per-round", "--min-completed", "--over-select", "--round-timeout",
        "--aggregator-grace", "--client-grace", "--drop-rate", "--straggler-rate", "--attack", "--attackers"));
    g.put("Cluster:", List.of("--role", "--host", "--port", "--seed-nodes", "--client-ids", "--min-clients", "--lost-client-wait", "--tls-dir",
        "--insecure", "--config", "--exit-when-done", "--rejoin", "--management-host", "--management-port"));
    g.put("Output:", List.of("--out", "--target", "--checkpoint-dir", "--keep-checkpoints", "--resume"));
    g.put("General:", List.of("--verbose", "--quiet", "--help", "--version"));
    return g;
  }

  /** Renders {@code cl}'s options under the headings of {@link #GROUPS}, from then on. */
  static void install(CommandLine cl) {
    // Dozens of options: the synopsis says [OPTIONS] and the groups below list them.
    cl.getCommandSpec().usageMessage().abbreviateSynopsis(true);
    cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST, OptionGroups::render);
    cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST_HEADING, help -> "");
  }

  /** The visible options of a command by heading, in the order of {@link #GROUPS}; unlisted ones under {@link #OTHER}. */
  static Map<String, List<OptionSpec>> grouped(CommandLine.Model.CommandSpec spec) {
    Map<String, List<OptionSpec>> out = new LinkedHashMap<>();
    List<OptionSpec> visible = spec.options().stream().filter(o -> !o.hidden()).toList();
    GROUPS.forEach((heading, names) -> {
      List<OptionSpec> in = new ArrayList<>();
      for (String name : names) {
        visible.stream().filter(o -> o.longestName().equals(name)).findFirst().ifPresent(in::add);
      }
      if (!in.isEmpty()) {
        out.put(heading, in);
      }
    });
    List<OptionSpec> other = visible.stream()
        .filter(o -> GROUPS.values().stream().noneMatch(names -> names.contains(o.longestName()))).toList();
    if (!other.isEmpty()) {
      out.put(OTHER, other);
    }
    return out;
  }

  private static String render(CommandLine.Help help) {
    StringBuilder text = new StringBuilder();
    grouped(help.commandSpec()).forEach((heading, options) -> {
      CommandLine.Help.Layout layout = help.createDefaultLayout();
      options.forEach(o -> layout.addOption(o, help.parameterLabelRenderer()));
      text.append(System.lineSeparator()).append(heading).append(System.lineSeparator()).append(layout);
    });
    return text.toString();
  }
}
