package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ClientSharesTest {
  private static final int CLIENTS = 1000;

  private static List<String> nodes(int count) {
    return IntStream.range(0, count).mapToObj(i -> "akka://csfl@10.0.0." + (i + 2) + ":25520").toList();
  }

  private static Map<Integer, String> owners(List<String> members) {
    Map<Integer, String> owners = new HashMap<>();
    for (String member : members) {
      for (int client : ClientShares.of(member, members, CLIENTS)) {
        assertEquals(null, owners.put(client, member), "client " + client + " is hosted twice");
      }
    }
    assertEquals(CLIENTS, owners.size(), "every client is hosted");
    return owners;
  }

  @Test
  void everyClientIsHostedExactlyOnceAndTheSharesAreRoughlyEven() {
    List<String> members = nodes(4);
    Map<Integer, String> owners = owners(members);
    for (String member : members) {
      long share = owners.values().stream().filter(member::equals).count();
      assertTrue(share > 200 && share < 300, member + " hosts " + share + " of " + CLIENTS);
    }
  }

  @Test
  void aLeavingNodeGivesUpOnlyItsOwnClients() {
    List<String> members = nodes(5);
    Map<Integer, String> before = owners(members);
    List<String> survivors = new ArrayList<>(members);
    String gone = survivors.remove(2);
    Map<Integer, String> after = owners(survivors);
    before.forEach((client, owner) -> {
      if (!owner.equals(gone)) {
        assertEquals(owner, after.get(client), "client " + client + " moved between survivors");
      }
    });
  }

  @Test
  void aJoiningNodeTakesClientsButNothingElseMoves() {
    List<String> members = new ArrayList<>(nodes(3));
    Map<Integer, String> before = owners(members);
    String joiner = "akka://csfl@10.0.0.99:25520";
    members.add(joiner);
    Map<Integer, String> after = owners(members);
    long taken = after.values().stream().filter(joiner::equals).count();
    assertTrue(taken > 150, "the new node takes about a quarter of the clients, took " + taken);
    after.forEach((client, owner) -> assertTrue(owner.equals(joiner) || owner.equals(before.get(client)),
        "client " + client + " moved from " + before.get(client) + " to " + owner));
  }

  @Test
  void aNodeOutsideThePoolIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> ClientShares.of("akka://csfl@10.0.0.1:1", nodes(2), CLIENTS));
  }
}
