package io.csfl.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Which clients each node of the shared pool hosts, decided by rendezvous (highest random weight)
 * hashing: client {@code i} goes to the member whose hash with {@code i} is highest. Every node
 * computes the same answer from the same member list, with no coordination, and the answer moves
 * as few clients as possible when membership changes: a node that leaves gives up only its own
 * clients (the survivors keep theirs, so rounds in progress on them are not disturbed), and a node
 * that joins takes only clients that now hash highest to it.
 *
 * <p>The price is balance: shares are even only on average (30 clients on 3 nodes are split about
 * 10 +- 3 each). An exactly even split would move survivors' clients at every change.
 */
public final class ClientShares {
  private ClientShares() {}

  /** The clients of {@code 0 .. total-1} that {@code self} hosts among {@code members} (addresses), ascending. */
  public static List<Integer> of(String self, Collection<String> members, int total) {
    if (!members.contains(self)) {
      throw new IllegalArgumentException(self + " is not one of the pool members " + members);
    }
    List<Integer> mine = new ArrayList<>();
    for (int client = 0; client < total; client++) {
      if (owner(client, members).equals(self)) {
        mine.add(client);
      }
    }
    return mine;
  }

  /** The member that hosts {@code client}; ties, which need a 64-bit hash collision, go to the smaller address. */
  public static String owner(int client, Collection<String> members) {
    String best = null;
    long bestWeight = 0;
    for (String member : members) {
      long weight = weight(member, client);
      if (best == null || Long.compareUnsigned(weight, bestWeight) > 0
          || (weight == bestWeight && member.compareTo(best) < 0)) {
        best = member;
        bestWeight = weight;
      }
    }
    return best;
  }

  /** A well-mixed 64-bit hash of the pair, the same on every JVM (it depends on the characters only). */
  private static long weight(String member, int client) {
    long h = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < member.length(); i++) {
      h = mix(h ^ member.charAt(i));
    }
    return mix(h ^ (client * 0xC2B2AE3D27D4EB4FL));
  }

  /** The finaliser of SplitMix64: every input bit affects every output bit. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
