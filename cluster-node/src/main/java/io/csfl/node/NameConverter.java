package io.csfl.node;

import java.util.Locale;
import picocli.CommandLine;

/**
 * Reads a flag's name-like value (a role, an optimizer, a pruner, a partition) in lower case, so
 * that {@code --role Server} and {@code --partition IID} mean what they say everywhere: in the
 * checks, and in the run definition and data signature that nodes and resumed runs compare.
 */
final class NameConverter implements CommandLine.ITypeConverter<String> {
  @Override
  public String convert(String value) {
    return value.toLowerCase(Locale.ROOT);
  }
}
