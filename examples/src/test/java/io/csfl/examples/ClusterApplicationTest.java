package io.csfl.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Server;
import io.csfl.examples.ClusterApplication.Inventory;
import io.csfl.examples.ClusterApplication.Nodes;
import io.csfl.metrics.RoundMetrics;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClusterApplicationTest {
  private static final int ROUNDS = 3;

  @Test
  void theShopKeepsAnsweringWhileCsTrainsInsideItsCluster() throws Exception {
    CompletableFuture<Nodes> started = new CompletableFuture<>();
    Map<Integer, Inventory.Stock> answeredAfterRound = new ConcurrentHashMap<>();
    // The server calls this with each committed round, before it publishes the round and before the
    // run can finish: after rounds 1 and 2 the shop is asked, from the second frontend, while the
    // federation is still running.
    Server.Checkpointer askTheShop = c -> {
      if (c.round() < ROUNDS) {
        Nodes nodes = started.orTimeout(1, TimeUnit.MINUTES).join();
        answeredAfterRound.put(c.round(), ClusterApplication.stock(nodes.frontends().get(1), "apples").join());
      }
    };
    Nodes nodes = ClusterApplication.start(ROUNDS, 2,
        ConfigFactory.parseString("akka.actor.serialize-messages = on"), askTheShop);
    started.complete(nodes);
    try {
      Server.Finished finished = assertInstanceOf(Server.Finished.class, nodes.done().get(5, TimeUnit.MINUTES));

      assertEquals(ROUNDS, finished.rounds().size(), "every round completed");
      for (RoundMetrics round : finished.rounds()) {
        assertTrue(round.clientsCompleted() > 0, "clients trained in round " + round.round());
      }
      double majority = OwnTrainerFederationTest.majorityShare(ClusterApplication.Federation.create().data().test());
      double last = finished.rounds().get(ROUNDS - 1).accuracy();
      assertTrue(last > majority, "accuracy " + last + ", not above always answering one class: " + majority);
      assertEquals(Map.of(1, new Inventory.Stock("apples", 12), 2, new Inventory.Stock("apples", 12)), answeredAfterRound);
      // And after training, from the other frontend.
      assertEquals(new Inventory.Stock("pears", 3),
          ClusterApplication.stock(nodes.frontends().get(0), "pears").get(1, TimeUnit.MINUTES));
    } finally {
      nodes.stop();
    }
  }
}
