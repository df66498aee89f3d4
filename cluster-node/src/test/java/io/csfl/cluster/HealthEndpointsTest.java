package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.management.javadsl.AkkaManagement;
import com.typesafe.config.Config;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Client;
import io.csfl.actor.Server;
import io.csfl.data.Dataset;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health endpoints of a node, over real HTTP on loopback: a client node whose seed node is not
 * up yet is alive but not ready; once the seed node starts, it becomes Up, registers its clients
 * and turns ready; a server and aggregator node is ready once its singleton manager and
 * aggregator are in place; the cluster routes list the members and, on loopback, let a member leave.
 */
class HealthEndpointsTest {
  /** The seed node's port, which must be known before it starts. */
  private static final int SEED_PORT = LoopbackPorts.free();
  private final List<ActorSystem<?>> systems = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path out;

  @AfterEach
  void stopAll() {
    systems.forEach(ActorSystem::terminate);
  }

  private ActorSystem<Void> start(NodePlan plan, int port, List<String> seeds, int clients) {
    Config config = ClusterConfig.management("127.0.0.1", 0, clients).withFallback(ChurnTest.NODE_CONFIG);
    ActorSystem<Void> system = ActorSystem.create(NodeGuardian.create(plan), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", port, plan.roles(), seeds, config));
    systems.add(system);
    return system;
  }

  private static String management(ActorSystem<?> system) throws Exception {
    return AkkaManagement.get(system).start().toCompletableFuture().get(30, TimeUnit.SECONDS).toString();
  }

  private int status(String uri) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private void awaitStatus(String uri, IntPredicate expected, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = status(uri);
      if (expected.test(last)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(what + ": " + uri + " still answers " + last);
  }

  @Test
  void aNodeIsAliveAtOnceAndReadyOnceUpWithItsClientsRegistered() throws Exception {
    FederatedStrategy cs = new ComplementSparsification(CsOptions.defaults());
    Dataset data = ChurnTest.randomData(64, 1);
    String seed = "127.0.0.1:" + SEED_PORT;
    ActorSystem<Void> client = start(ChurnTest.clientPlan(cs, data, ChurnTest.SIGNATURE, new ChurnTest.TestTrainer(0, false), 0, 1),
        0, List.of(seed), 2);
    String clientUri = management(client);

    awaitStatus(clientUri + "/alive", s -> s == 200, "alive while joining");
    assertNotEquals(200, status(clientUri + "/ready"), "not ready before its seed node is up: it is not a member");

    // A server and aggregator node that will never train: it waits for 10 clients.
    Architecture mlp = Architecture.mlp();
    Server.Settings settings = Server.Settings.builder("cs").rounds(1).clientsPerRound(2)
        .roundTimeout(Duration.ofSeconds(30)).minClients(10).dataSignature(ChurnTest.SIGNATURE).build();
    NodePlan serverPlan = new NodePlan(Set.of(NodePlan.SERVER, NodePlan.AGGREGATOR),
        Optional.of(new NodePlan.AggregatorPart(cs, mlp.initialModel(1), 1)), Optional.empty(),
        Optional.of(new NodePlan.ServerPart(settings, Evaluator.of(mlp, data), out.resolve("metrics.csv"), rounds -> {})));
    ActorSystem<Void> server = start(serverPlan, SEED_PORT, List.of(seed), 0);
    String serverUri = management(server);

    awaitStatus(serverUri + "/ready", s -> s == 200, "the server and aggregator node turns ready");
    awaitStatus(clientUri + "/ready", s -> s == 200, "the client node turns ready once Up with both clients listed");

    HttpResponse<String> members = http.send(HttpRequest.newBuilder(URI.create(clientUri + "/cluster/members")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, members.statusCode());
    assertTrue(members.body().contains(client.address().toString()) && members.body().contains(server.address().toString()),
        "both members listed: " + members.body());

    // On loopback the routes that change membership are on: the client node leaves through one.
    HttpResponse<String> leave = http.send(HttpRequest.newBuilder(URI.create(clientUri + "/cluster/members/" + client.address()))
        .DELETE().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, leave.statusCode(), leave.body());
    client.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(Optional.of(CoordinatedShutdown.clusterLeavingReason()),
        CoordinatedShutdown.get(Adapter.toClassic(client)).getShutdownReason(), "it left, it was not downed");
  }

  /**
   * Ready means registered and not refused: a client node whose clients the server refused (data of another
   * signature, as other flags or data give) and an aggregator node the server refused (another aggregator signature)
   * stay members but are not ready, while a client node the server accepted is.
   */
  @Test
  void aNodeTheServerRefusedIsNotReady() throws Exception {
    FederatedStrategy cs = new ComplementSparsification(CsOptions.defaults());
    Dataset data = ChurnTest.randomData(64, 1);
    Architecture mlp = Architecture.mlp();
    int seedPort = LoopbackPorts.free();
    String seed = "127.0.0.1:" + seedPort;
    // A server alone: its first round needs the accepted node's 2 clients and an aggregator of signature "fits".
    Server.Settings settings = Server.Settings.builder("cs").rounds(1).clientsPerRound(2).roundTimeout(Duration.ofSeconds(30))
        .minClients(2).dataSignature(ChurnTest.SIGNATURE).aggregatorSignature("fits").build();
    NodePlan serverPlan = new NodePlan(Set.of(NodePlan.SERVER), Optional.empty(), Optional.empty(),
        Optional.of(new NodePlan.ServerPart(settings, Evaluator.of(mlp, data), out.resolve("metrics.csv"), rounds -> {})));
    ActorSystem<Void> server = start(serverPlan, seedPort, List.of(seed), 0);
    awaitStatus(management(server) + "/ready", s -> s == 200, "the server node turns ready");

    ActorSystem<Void> refusedClients = start(ChurnTest.clientPlan(cs, data, ChurnTest.SIGNATURE.replace("seed=1", "seed=2"),
        new ChurnTest.TestTrainer(0, false), 2, 3), 0, List.of(seed), 2);
    String refusedClientsUri = management(refusedClients);
    ActorSystem<Void> accepted = start(ChurnTest.clientPlan(cs, data, ChurnTest.SIGNATURE, new ChurnTest.TestTrainer(0, false), 0, 1),
        0, List.of(seed), 2);
    String acceptedUri = management(accepted);
    NodePlan otherAggregator = new NodePlan(Set.of(NodePlan.AGGREGATOR),
        Optional.of(new NodePlan.AggregatorPart(cs, mlp.initialModel(1), 1, "other")), Optional.empty(), Optional.empty());
    ActorSystem<Void> refusedAggregator = start(otherAggregator, 0, List.of(seed), 0);
    String refusedAggregatorUri = management(refusedAggregator);

    awaitStatus(acceptedUri + "/ready", s -> s == 200, "the accepted client node turns ready");
    // Once each refusal has arrived (as the refused node's status holder heard it), the node is not ready.
    awaitLocal(refusedClients, Client.HOST_KEY, NodeStatus.get(refusedClients)::isRefused);
    awaitStatus(refusedClientsUri + "/ready", s -> s != 200 && s != -1, "a client node whose clients the server refused");
    awaitLocal(refusedAggregator, Aggregator.KEY, NodeStatus.get(refusedAggregator)::isRefused);
    awaitStatus(refusedAggregatorUri + "/ready", s -> s != 200 && s != -1, "an aggregator node the server refused");
    awaitStatus(acceptedUri + "/ready", s -> s == 200, "the accepted node stays ready");
    HttpResponse<String> members = http.send(HttpRequest.newBuilder(URI.create(acceptedUri + "/cluster/members")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertTrue(members.body().contains(refusedClients.address().toString())
        && members.body().contains(refusedAggregator.address().toString()), "still members, only not ready: " + members.body());
  }

  /** Waits until {@code node}'s receptionist lists one of {@code key}'s services on that node, for which {@code check} holds. */
  private static <T> void awaitLocal(ActorSystem<?> node, ServiceKey<T> key, java.util.function.Predicate<ActorRef<T>> check)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      Receptionist.Listing listing = AskPattern.<Receptionist.Command, Receptionist.Listing>ask(node.receptionist(),
          replyTo -> Receptionist.find(key, replyTo), Duration.ofSeconds(3), node.scheduler()).toCompletableFuture().get();
      for (ActorRef<T> ref : listing.getServiceInstances(key)) {
        if (ref.path().address().hasLocalScope() && check.test(ref)) {
          return;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no " + key.id() + " on " + node.address() + " came to pass the check");
  }

  @Test
  void membershipCanBeChangedOverHttpOnlyOnLoopback() {
    String readOnly = "akka.management.http.route-providers-read-only";
    assertFalse(ClusterConfig.management("127.0.0.1", 0, 0).getBoolean(readOnly));
    assertFalse(ClusterConfig.management("localhost", 0, 0).getBoolean(readOnly));
    assertTrue(ClusterConfig.management("0.0.0.0", 0, 0).getBoolean(readOnly));
  }
}
