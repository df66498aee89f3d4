package io.csfl.data;

import io.csfl.internal.data.Shuffle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * McMahan et al.'s pathological non-IID split: sort by label, cut into clients * K equal shards,
 * give each client K random shards (so about K classes each).
 */
final class ShardPartitioner implements Partitioner {
  private final int shardsPerClient;

  ShardPartitioner(int shardsPerClient) {
    if (shardsPerClient <= 0) {
      throw new IllegalArgumentException("shards per client must be positive, got " + shardsPerClient);
    }
    this.shardsPerClient = shardsPerClient;
  }

  @Override
  public List<int[]> split(Dataset data, int clients, Random rng) {
    Partitioner.requireClients(data, clients);
    // As a long: clients times a large shard count passes the int range.
    long wanted = (long) clients * shardsPerClient;
    if (wanted > data.size()) {
      throw new IllegalArgumentException(wanted + " shards need at least as many examples, have " + data.size());
    }
    int shards = (int) wanted;
    Integer[] byLabel = Arrays.stream(Shuffle.range(data.size(), rng)).boxed().toArray(Integer[]::new);
    Arrays.sort(byLabel, Comparator.comparingInt(data::label));
    int[] shardOrder = Shuffle.range(shards, rng);
    List<int[]> out = new ArrayList<>(clients);
    for (int c = 0; c < clients; c++) {
      List<Integer> mine = new ArrayList<>();
      for (int k = 0; k < shardsPerClient; k++) {
        int shard = shardOrder[c * shardsPerClient + k];
        int from = (int) ((long) shard * byLabel.length / shards);
        int to = (int) ((long) (shard + 1) * byLabel.length / shards);
        mine.addAll(Arrays.asList(byLabel).subList(from, to));
      }
      out.add(mine.stream().mapToInt(Integer::intValue).sorted().toArray());
    }
    return out;
  }

  @Override
  public String spec() {
    return "shards:" + shardsPerClient;
  }
}
