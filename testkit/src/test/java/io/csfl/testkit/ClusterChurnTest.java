package io.csfl.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.metrics.RoundMetrics;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Federations over three ActorSystems joined in a cluster on loopback: a client node shut down
 * mid-run, one that joins a running federation, and one that is shut down and comes back.
 */
class ClusterChurnTest {
  @Test
  void aKilledNodesClientsAreMissingFromItsRoundOn() {
    FederationResult result = Blobs.federation(6).perRound(6).rounds(4).nodes(3)
        .churn(Churn.seeded(1).killNodeAt(3, "clients-2"))
        .run();

    List<String> killed = result.clientsOn("clients-2");
    List<String> kept = result.clientsOn("clients-1");
    assertEquals(3, killed.size());
    assertEquals(4, result.rounds().size(), "every round completed");
    for (int r = 1; r <= 2; r++) {
      assertEquals(6, result.round(r).clientsCompleted(), "round " + r + ", before the kill: " + result.round(r));
    }
    for (int r = 3; r <= 4; r++) {
      RoundMetrics m = result.round(r);
      assertEquals(3, m.clientsCompleted(), "round " + r + ", after the kill: only clients-1's clients: " + m);
      assertTrue(m.clientsSelected() >= m.clientsCompleted(), m.toString());
      assertTrue(Collections.disjoint(result.trained(r), killed), "round " + r + ": " + result.trained(r));
      assertTrue(result.trained(r).containsAll(kept), "round " + r + ": " + result.trained(r));
    }
  }

  @Test
  void aLateNodesClientsTakePartAfterItJoins() {
    int rounds = 5;
    FederationResult result = Blobs.federation(6).perRound(6).rounds(rounds).nodes(3)
        .churn(Churn.seeded(1).joinLateAt(2, "clients-2"))
        .run();

    List<String> late = result.clientsOn("clients-2");
    assertEquals(rounds, result.rounds().size(), "every round completed");
    assertEquals(3, result.round(1).clientsCompleted(), "round 1: only clients-1 was up");
    assertTrue(Collections.disjoint(result.trained(1), late), "round 1: " + result.trained(1));
    assertTrue(result.trained(rounds).containsAll(late), "the last round: " + result.trained(rounds));
    assertEquals(6, result.round(rounds).clientsCompleted(), "the last round: " + result.round(rounds));
  }

  @Test
  void aKilledNodeThatRejoinsHasItsClientsTrainedAgain() {
    int rounds = 6;
    FederationResult result = Blobs.federation(6).perRound(6).rounds(rounds).nodes(3)
        .churn(Churn.seeded(1).killNodeAt(2, "clients-2").rejoinAt(4, "clients-2"))
        .run();

    List<String> away = result.clientsOn("clients-2");
    assertEquals(rounds, result.rounds().size(), "every round completed");
    assertEquals(6, result.round(1).clientsCompleted(), "round 1, before the kill: " + result.round(1));
    assertTrue(result.trained(1).containsAll(away), "round 1: " + result.trained(1));
    for (int r = 2; r <= 3; r++) {
      assertEquals(3, result.round(r).clientsCompleted(), "round " + r + ", while the node is down: " + result.round(r));
      assertTrue(Collections.disjoint(result.trained(r), away), "round " + r + ": " + result.trained(r));
    }
    assertTrue(result.trained(rounds).containsAll(away), "the last round: " + result.trained(rounds));
    assertEquals(6, result.round(rounds).clientsCompleted(), "the last round: " + result.round(rounds));
  }

  /**
   * A client on the other node that drops out is seen to go at once, and its round does not wait
   * for its timeout: whether or not the server started before the client node was up, which
   * varies from run to run (hence three runs).
   */
  @Test
  void aClientThatDropsOnAnotherNodeIsSeenToGoAtOnce() {
    for (int run = 1; run <= 3; run++) {
      FederationResult result = Blobs.federation(8).perRound(4).rounds(3).seed(3).nodes(2).roundTimeout(Duration.ofSeconds(60))
          .churn(Churn.seeded(5).dropRate(0.2)).run();
      List<String> remote = result.clientsOn("clients-1");
      boolean droppedThere = false;
      for (RoundMetrics m : result.rounds()) {
        assertTrue(m.wallMs() < 30_000, "run " + run + ", round " + m.round() + " waited for its timeout: " + m);
        droppedThere |= m.clientsCompleted() < m.clientsSelected();
      }
      assertTrue(droppedThere, "run " + run + ": a client dropped out");
      assertEquals(8, remote.size(), "every client lives on the client node");
    }
  }
}
