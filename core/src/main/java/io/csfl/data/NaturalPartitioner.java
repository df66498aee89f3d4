package io.csfl.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The split the data came with, {@code natural}: one client per group (the user, writer or device
 * of each example), client i holding group i. It draws nothing, so the seed does not matter, and
 * the number of clients must be the number of groups.
 */
final class NaturalPartitioner implements Partitioner {
  @Override
  public List<int[]> split(Dataset data, int clients, Random rng) {
    if (!data.hasGroups()) {
      throw new IllegalArgumentException("the natural split needs groups, and " + data.name()
          + " has none (a CSV file needs a group column; synthetic data has its devices)");
    }
    if (clients != data.groupCount()) {
      throw new IllegalArgumentException("the natural split makes one client per group: " + data.name() + " has "
          + data.groupCount() + " groups, so the number of clients must be " + data.groupCount() + ", not " + clients);
    }
    int[] counts = new int[clients];
    for (int i = 0; i < data.size(); i++) {
      counts[data.group(i)]++;
    }
    List<int[]> out = new ArrayList<>(clients);
    for (int c : counts) {
      out.add(new int[c]);
    }
    int[] fill = new int[clients];
    for (int i = 0; i < data.size(); i++) {
      int g = data.group(i);
      out.get(g)[fill[g]++] = i;
    }
    return out;
  }

  @Override
  public String spec() {
    return NATURAL;
  }
}
