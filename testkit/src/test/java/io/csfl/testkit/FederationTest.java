package io.csfl.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.actor.ChurnModel;
import io.csfl.actor.Client;
import io.csfl.metrics.RoundMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Federations in one ActorSystem: metrics of every round, and seeded churn that repeats exactly. */
class FederationTest {
  @Test
  void aRunInOneSystemReportsEveryRound() {
    FederationResult result = Blobs.federation(6).perRound(3).rounds(3).run();

    assertEquals(3, result.rounds().size());
    for (int r = 1; r <= 3; r++) {
      RoundMetrics m = result.round(r);
      assertEquals(r, m.round());
      assertEquals("cs", m.algorithm());
      assertEquals(3, m.clientsSelected(), "round " + r);
      assertEquals(3, m.clientsCompleted(), "round " + r);
      assertEquals(3, result.trained(r).size(), "round " + r);
      assertTrue(m.bytesDown() > 0 && m.bytesUp() > 0, "round " + r + " moved bytes: " + m);
      assertTrue(m.accuracy() >= 0 && m.accuracy() <= 1 && Double.isFinite(m.loss()), "round " + r + ": " + m);
    }
    assertEquals(result.clientsOn(Federation.SERVER_NODE).size(), 6, "one node hosts every client");
  }

  @Test
  void theSameSeedsGiveTheSameRun() {
    Churn churn = Churn.seeded(7).dropRate(0.15).stragglers(0.2, Duration.ofMillis(50));
    FederationResult a = Blobs.federation(8).perRound(5).rounds(4).seed(3).churn(churn).run();
    FederationResult b = Blobs.federation(8).perRound(5).rounds(4).seed(3).churn(churn).run();

    List<Set<String>> trainedA = new ArrayList<>();
    for (int r = 1; r <= 4; r++) {
      assertEquals(a.trained(r), b.trained(r), "round " + r + ": the same clients trained");
      assertEquals(comparable(a.round(r)), comparable(b.round(r)), "round " + r + ": the same metrics");
      // Each round message names its collector's reply address, whose actor uid (up to 10 digits) and
      // name differ from run to run: up to 16 bytes per message sent.
      assertEquals(a.round(r).bytesDown(), b.round(r).bytesDown(), 16.0 * a.round(r).clientsSelected(), "round " + r);
      trainedA.add(a.trained(r));
    }
    int dropped = 0;
    for (int r = 1; r <= 4; r++) {
      dropped += a.round(r).clientsSelected() - a.round(r).clientsCompleted();
    }
    assertTrue(dropped > 0, "the churn took some clients out: " + a.rounds());

    FederationResult other = Blobs.federation(8).perRound(5).rounds(4).seed(3).churn(Churn.seeded(8).dropRate(0.15)).run();
    List<Set<String>> trainedOther = new ArrayList<>();
    for (int r = 1; r <= 4; r++) {
      trainedOther.add(other.trained(r));
    }
    assertNotEquals(trainedA, trainedOther, "another churn seed, other clients out");
  }

  @Test
  void aClientThatDroppedIsNotSampledAgainHoweverLateItsEndReachesTheServer() {
    // The round's collector and the server both watch a selected client; the next round must not
    // depend on which of them learns first that a dropped client is gone.
    Churn churn = Churn.seeded(3).dropRate(0.3);
    FederationResult first = Blobs.federation(10).perRound(5).rounds(4).seed(1).churn(churn).run();
    for (int run = 2; run <= 8; run++) {
      FederationResult again = Blobs.federation(10).perRound(5).rounds(4).seed(1).churn(churn).run();
      for (int r = 1; r <= 4; r++) {
        assertEquals(first.trained(r), again.trained(r), "run " + run + ", round " + r + ": the same clients trained");
      }
    }
  }

  @Test
  void stragglersWithinTheDeadlineStillComplete() {
    Churn churn = Churn.seeded(3).stragglers(0.5, Duration.ofMillis(100));
    FederationResult result = Blobs.federation(6).perRound(6).rounds(3).churn(churn).run();

    ChurnModel model = new ChurnModel(0, 0.5, 3);
    long late = IntStream.rangeClosed(1, 3).mapToLong(r -> IntStream.range(0, 6)
        .filter(i -> model.fate(Client.id(i), r) == ChurnModel.Fate.STRAGGLE).count()).sum();
    assertTrue(late > 0, "the seed makes some clients straggle");
    for (int r = 1; r <= 3; r++) {
      assertEquals(6, result.trained(r).size(), "round " + r + ": the stragglers trained too");
      assertEquals(6, result.round(r).clientsCompleted(), "round " + r + ": and their updates arrived in time");
    }
  }

  /**
   * Wall-clock fields differ from run to run, and so do the downlink's bytes by a few: its
   * messages carry the paths of actors named per run. Everything else must not.
   */
  private static RoundMetrics comparable(RoundMetrics m) {
    return new RoundMetrics(m.algorithm(), m.round(), m.accuracy(), m.loss(), 0, m.bytesUp(),
        m.clientsSelected(), m.clientsCompleted(), 0, 0, 0, 0);
  }

  @Test
  void aDescriptionThatCannotRunIsRefusedBeforeAnythingStarts() {
    assertThrows(IllegalArgumentException.class,
        () -> Blobs.federation(6).nodes(3).churn(Churn.seeded(1).killNodeAt(2, "clients-7")).build(),
        "an unknown node");
    assertThrows(IllegalArgumentException.class,
        () -> Blobs.federation(6).nodes(3).rounds(3).churn(Churn.seeded(1).killNodeAt(4, "clients-1")).build(),
        "a round past the end");
    assertThrows(IllegalArgumentException.class, () -> Churn.seeded(1).killNodeAt(1, "clients-1"), "round 1 is not churn");
    assertThrows(IllegalArgumentException.class, () -> Churn.seeded(1).dropRate(0.7).stragglers(0.5, Duration.ZERO),
        "rates adding up to more than 1");
    assertThrows(IllegalArgumentException.class, () -> Blobs.federation(6).perRound(2).minCompleted(3).build());
    assertThrows(IllegalArgumentException.class, () -> Blobs.federation(6).clientGrace(Duration.ofSeconds(-1)));
    // A split that cannot be made: the natural one needs groups, and the blobs have none.
    IllegalArgumentException noGroups = assertThrows(IllegalArgumentException.class,
        () -> Blobs.federation(6).data(Blobs.data(240, 1), io.csfl.data.Partitioner.parse("natural")).build());
    assertTrue(noGroups.getMessage().contains("needs groups"), noGroups.getMessage());
    assertFalse(Blobs.federation(6).nodes(3).build().clientsByNode().get("clients-2").isEmpty());
    // What is missing is named.
    IllegalArgumentException bare = assertThrows(IllegalArgumentException.class, () -> Federation.builder().clients(2).build());
    assertTrue(bare.getMessage().endsWith("missing: the trainer, the evaluator, the data, the partitioner"), bare.getMessage());
  }

  @Test
  void aNodesEventsMustBeAbleToHappenInTheirOrder() {
    Churn churn = Churn.seeded(1);
    for (Churn allowed : List.of(churn.killNodeAt(2, "clients-1").rejoinAt(3, "clients-1"),
        churn.rejoinAt(4, "clients-1").killNodeAt(2, "clients-1"),
        churn.joinLateAt(2, "clients-1").killNodeAt(3, "clients-1").rejoinAt(4, "clients-1").killNodeAt(5, "clients-1"))) {
      assertFalse(Blobs.federation(6).nodes(3).rounds(5).churn(allowed).build().clientsByNode().isEmpty(), allowed.toString());
    }
    Map<Churn, String> refused = Map.of(
        churn.rejoinAt(3, "clients-1"), "node clients-1 is not down to rejoin (rejoinAt needs a killNodeAt in an earlier round): rejoinAt(3)",
        churn.killNodeAt(3, "clients-1").rejoinAt(3, "clients-1"), "node clients-1 has two events in one round",
        churn.killNodeAt(2, "clients-1").joinLateAt(4, "clients-1"), "node clients-1 can only join late as its first event",
        churn.killNodeAt(2, "clients-1").killNodeAt(4, "clients-1"), "node clients-1 is not up to be killed: killNodeAt(4) after killNodeAt(2)",
        churn.joinLateAt(3, "clients-2").killNodeAt(2, "clients-2"), "node clients-2 can only join late as its first event",
        churn.killNodeAt(2, "clients-1").rejoinAt(3, "clients-1").rejoinAt(4, "clients-1"), "node clients-1 is not down to rejoin");
    refused.forEach((events, reason) -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Blobs.federation(6).nodes(3).rounds(5).churn(events).build(), events.toString());
      assertTrue(e.getMessage().startsWith(reason), e.getMessage());
    });
  }
}
