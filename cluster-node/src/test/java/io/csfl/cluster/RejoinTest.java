package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Down;
import akka.cluster.typed.Join;
import akka.management.javadsl.AkkaManagement;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.metrics.RoundMetrics;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FederatedStrategy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client node that the cluster downs while it is alive comes back by itself: a new ActorSystem
 * at the same address joins again, its clients register with the server again, and they train in
 * the next round. Without rejoin, a downed node stays down.
 */
class RejoinTest {
  /** The rejoining node keeps its address, as a real node does. */
  private static final int CLIENT_PORT = LoopbackPorts.free();
  /** Its health endpoint, which every incarnation binds again. */
  private static final int MANAGEMENT_PORT = LoopbackPorts.free();
  private static final Config FAST_REJOIN = ConfigFactory.parseString("csfl.rejoin.delay = 1s").withFallback(ChurnTest.NODE_CONFIG);
  private final List<ActorSystem<?>> systems = new CopyOnWriteArrayList<>();
  private final ExecutorService runner = Executors.newSingleThreadExecutor();

  @TempDir
  Path out;

  @AfterEach
  void stopAll() {
    systems.forEach(ActorSystem::terminate);
    runner.shutdownNow();
  }

  private ActorSystem<Void> start(NodePlan plan, int port, ActorSystem<?> joinTo) {
    return start(plan, port, joinTo, FAST_REJOIN);
  }

  private ActorSystem<Void> start(NodePlan plan, int port, ActorSystem<?> joinTo, Config config) {
    ActorSystem<Void> system = ActorSystem.create(NodeGuardian.create(plan), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", port, plan.roles(),
            joinTo == null ? List.of() : List.of("127.0.0.1:" + joinTo.address().getPort().get()), config));
    systems.add(system);
    if (joinTo == null) {
      Cluster.get(system).manager().tell(Join.create(system.address()));
    }
    return system;
  }

  /** Runs {@link Rejoin#run} on the test's thread, recording every incarnation it starts. */
  private CompletableFuture<Integer> rejoining(boolean rejoin, List<ActorSystem<Void>> incarnations,
                                                         Supplier<ActorSystem<Void>> start) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return Rejoin.run(() -> {
          ActorSystem<Void> s = start.get();
          incarnations.add(s);
          return s;
        }, rejoin);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, runner);
  }

  /** Waits up to 90 s for {@code condition}, checking every 100 ms; fails naming {@code what}. */
  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("within 90 s: " + what);
      }
      Thread.sleep(100);
    }
  }

  /** The new incarnation's health endpoint, on the port the first one had, reports ready. */
  private static void awaitReady() throws InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    URI ready = URI.create("http://127.0.0.1:" + MANAGEMENT_PORT + "/ready");
    await(() -> {
      try {
        return http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
      } catch (java.io.IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }, "the rejoined node's endpoint reports ready");
  }

  private static boolean up(ActorSystem<?> system) {
    return Cluster.get(system).selfMember().status() == MemberStatus.up();
  }

  private static Optional<CoordinatedShutdown.Reason> reason(ActorSystem<?> system) {
    return CoordinatedShutdown.get(Adapter.toClassic(system)).getShutdownReason();
  }

  @Test
  void aDownedClientNodeRejoinsAndItsClientsTrainInTheNextRound() throws Exception {
    FederatedStrategy cs = new ComplementSparsification(CsOptions.defaults());
    Dataset data = ChurnTest.randomData(64, 1);
    Architecture mlp = Architecture.mlp();
    // One round over 3 clients, which starts only when all 3 are registered: the rejoined node's two and a third.
    Server.Settings settings = Server.Settings.builder("cs").rounds(1).clientsPerRound(3)
        .roundTimeout(Duration.ofSeconds(60)).minCompleted(3).minClients(3).dataSignature(ChurnTest.SIGNATURE)
        .build();
    CompletableFuture<List<RoundMetrics>> done = new CompletableFuture<>();
    NodePlan serverPlan = new NodePlan(Set.of(NodePlan.SERVER, NodePlan.AGGREGATOR),
        Optional.of(new NodePlan.AggregatorPart(cs, mlp.initialModel(1), 1)), Optional.empty(),
        Optional.of(new NodePlan.ServerPart(settings, Evaluator.of(mlp, data), out.resolve("metrics.csv"), done::complete)));
    ActorSystem<Void> server = start(serverPlan, 0, null);

    ChurnTest.TestTrainer trainer = new ChurnTest.TestTrainer(0, false);
    NodePlan clientPlan = ChurnTest.clientPlan(cs, data, ChurnTest.SIGNATURE, trainer, 0, 1);
    List<ActorSystem<Void>> incarnations = new CopyOnWriteArrayList<>();
    CompletableFuture<Integer> last = rejoining(true, incarnations, () -> {
      ActorSystem<Void> s = start(clientPlan, CLIENT_PORT, server,
          ClusterConfig.management("127.0.0.1", MANAGEMENT_PORT, 2).withFallback(FAST_REJOIN));
      AkkaManagement.get(s).start();
      return s;
    });

    await(() -> incarnations.size() == 1 && up(incarnations.get(0)), "the client node is up");
    ActorSystem<Void> first = incarnations.get(0);
    Cluster.get(server).manager().tell(new Down(first.address()));
    first.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(Optional.of(CoordinatedShutdown.clusterDowningReason()), reason(first), "the cluster downed it");

    await(() -> incarnations.size() == 2 && up(incarnations.get(1)), "a new incarnation is up");
    ActorSystem<Void> second = incarnations.get(1);
    assertEquals(first.address(), second.address(), "the same address");
    assertNotEquals(Cluster.get(first).selfMember().uniqueAddress(), Cluster.get(second).selfMember().uniqueAddress(),
        "a new incarnation");
    assertFalse(done.isDone(), "no round before the third client");
    awaitReady();

    start(ChurnTest.clientPlan(cs, data, ChurnTest.SIGNATURE, new ChurnTest.TestTrainer(0, false), 2, 2), 0, server);
    List<RoundMetrics> rounds = done.get(120, TimeUnit.SECONDS);
    assertEquals(1, rounds.size());
    assertEquals(3, rounds.get(0).clientsCompleted(), "the rejoined node's two clients trained, with the third");
    assertTrue(trainer.calls.get() >= 2, "on the rejoined node");

    second.terminate(); // not a downing: the loop ends, with the exit code of an ordinary end
    assertEquals(0, last.get(60, TimeUnit.SECONDS));
    assertEquals(2, incarnations.size());
  }

  @Test
  void withoutRejoinADownedNodeStaysDown() throws Exception {
    ActorSystem<Void> seed = start(new NodePlan(Set.of(), Optional.empty(), Optional.empty(), Optional.empty()), 0, null);
    List<ActorSystem<Void>> incarnations = new CopyOnWriteArrayList<>();
    CompletableFuture<Integer> last = rejoining(false, incarnations,
        () -> start(new NodePlan(Set.of(NodePlan.AGGREGATOR), Optional.empty(), Optional.empty(), Optional.empty()), 0, seed));
    await(() -> incarnations.size() == 1 && up(incarnations.get(0)), "the node is up");
    Cluster.get(seed).manager().tell(new Down(incarnations.get(0).address()));
    assertEquals(NodeLifetime.REMOVED_EXIT_CODE, last.get(60, TimeUnit.SECONDS), "the exit code of a downed node");
    assertEquals(Optional.of(CoordinatedShutdown.clusterDowningReason()), reason(incarnations.get(0)));
    Thread.sleep(2000); // longer than the rejoin delay
    assertEquals(1, incarnations.size(), "no second incarnation");
  }

  @Test
  void aDownedNodeWhoseSystemDoesNotStopExitsRemovedInsteadOfRejoining() throws Exception {
    ActorSystem<Void> seed = start(new NodePlan(Set.of(), Optional.empty(), Optional.empty(), Optional.empty()), 0, null);
    List<ActorSystem<Void>> incarnations = new CopyOnWriteArrayList<>();
    CompletableFuture<Integer> last = CompletableFuture.supplyAsync(() -> {
      try {
        return Rejoin.run(() -> {
          ActorSystem<Void> s = start(new NodePlan(Set.of(NodePlan.AGGREGATOR), Optional.empty(), Optional.empty(), Optional.empty()), 0, seed);
          incarnations.add(s);
          return s;
        }, true, Duration.ofSeconds(2));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, runner);
    await(() -> incarnations.size() == 1 && up(incarnations.get(0)), "the node is up");
    // An actor busy for longer than the grace keeps the downed system from stopping, as a frozen one did.
    java.util.concurrent.CountDownLatch working = new java.util.concurrent.CountDownLatch(1);
    akka.actor.typed.ActorRef<String> busy = incarnations.get(0).systemActorOf(akka.actor.typed.javadsl.Behaviors.<String>receiveMessage(m -> {
      working.countDown();
      Thread.sleep(45_000);
      return akka.actor.typed.javadsl.Behaviors.same();
    }), "busy", akka.actor.typed.Props.empty());
    busy.tell("work");
    assertTrue(working.await(60, TimeUnit.SECONDS), "the actor started its work before the node is downed");
    Cluster.get(seed).manager().tell(new Down(incarnations.get(0).address()));
    assertEquals(NodeLifetime.REMOVED_EXIT_CODE, last.get(60, TimeUnit.SECONDS), "a removed node's exit code");
    assertFalse(incarnations.get(0).whenTerminated().isCompleted(), "the downed system was still stopping");
    Thread.sleep(2000); // longer than the rejoin delay
    assertEquals(1, incarnations.size(), "no second incarnation beside the first");
  }
}
