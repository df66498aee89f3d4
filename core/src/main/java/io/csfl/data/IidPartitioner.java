package io.csfl.data;

import io.csfl.internal.data.Shuffle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Shuffles and deals out near-equal slices. */
final class IidPartitioner implements Partitioner {
  @Override
  public List<int[]> split(Dataset data, int clients, Random rng) {
    Partitioner.requireClients(data, clients);
    int[] order = Shuffle.range(data.size(), rng);
    List<int[]> out = new ArrayList<>(clients);
    for (int c = 0; c < clients; c++) {
      int from = (int) ((long) c * order.length / clients);
      int to = (int) ((long) (c + 1) * order.length / clients);
      int[] part = Arrays.copyOfRange(order, from, to);
      Arrays.sort(part);
      out.add(part);
    }
    return out;
  }

  @Override
  public String spec() {
    return "iid";
  }
}
