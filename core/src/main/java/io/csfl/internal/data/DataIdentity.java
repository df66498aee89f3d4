package io.csfl.internal.data;

import io.csfl.data.Dataset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One word that tells whether two nodes loaded the same data: the data set's name, its example
 * count and its {@link Dataset#fingerprint}, as {@code fashion-mnist-train/60000/9bff83c9}. Nodes
 * compare it in their data signatures; when two differ, {@link #difference} says how in words,
 * since a digest alone does not tell an operator where to look.
 */
public final class DataIdentity {
  private static final Pattern WORD = Pattern.compile("(.+)/(\\d+)/([0-9a-f]{8})");

  private DataIdentity() {}

  /** The identity of {@code data}. */
  public static String of(Dataset data) {
    return data.name() + "/" + data.size() + "/" + data.fingerprint();
  }

  /**
   * How two identities differ, in words: another data set, another example count, or the same
   * name and count with other contents; empty when either is not an identity or they are equal.
   */
  public static String difference(String theirs, String ours) {
    Matcher their = WORD.matcher(theirs);
    Matcher our = WORD.matcher(ours);
    if (!their.matches() || !our.matches() || theirs.equals(ours)) {
      return "";
    }
    if (!their.group(1).equals(our.group(1))) {
      return "another data set";
    }
    if (!their.group(2).equals(our.group(2))) {
      return "the same data set with " + their.group(2) + " training examples against " + our.group(2);
    }
    return "the same data set and example count with other contents: another file, or other preprocessing "
        + "(standardization, class count)";
  }
}
