package io.csfl.testkit;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Client;
import io.csfl.actor.ExpectedModel;
import io.csfl.actor.Server;
import io.csfl.metrics.RoundMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/** One run of a {@link Federation}: starts its ActorSystems, applies the node churn between rounds, stops them all. */
final class FederationRun {
  private static final String SYSTEM = "csfl-testkit";
  /** Generous: ActorSystems start, join and stop slowly on a loaded machine. */
  private static final Duration NODE_WAIT = Duration.ofSeconds(90);
  /** Every run: messages are serialized between actors of one system too, as they are between nodes. */
  private static final Config COMMON = ConfigFactory.parseString(String.join("\n",
      "akka.actor.serialize-messages = on",
      "akka.coordinated-shutdown.exit-jvm = off",
      "akka.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
      "akka.jvm-shutdown-hooks = off",
      // Akka's own log lines go where the application's go (csfl-core brings akka-slf4j).
      "akka.loggers = [\"akka.event.slf4j.Slf4jLogger\"]",
      "akka.logging-filter = \"akka.event.slf4j.Slf4jLoggingFilter\""));
  /** Several nodes: a cluster on loopback, ports from the OS, plain TCP (nothing leaves the machine). */
  private static final Config CLUSTER = ConfigFactory.parseString(String.join("\n",
      "akka.actor.provider = cluster",
      "akka.remote.artery.transport = tcp",
      "akka.remote.artery.canonical.hostname = \"127.0.0.1\"",
      "akka.remote.artery.canonical.port = 0",
      "akka.cluster.jmx.multi-mbeans-in-same-jvm = on",
      "akka.cluster.run-coordinated-shutdown-when-down = on"));

  private final Federation f;
  private final String signature;
  private final ClientChurn.Trained trained = new ClientChurn.Trained();
  private final Map<String, List<String>> clientsByNode;
  /** Node name -> its running system; touched by the caller's thread and the server's. */
  private final Map<String, ActorSystem<Void>> systems = new LinkedHashMap<>();
  /** Completed exceptionally when the node churn could not be applied. */
  private final CompletableFuture<Server.Event> churnFailure = new CompletableFuture<>();

  FederationRun(Federation f) {
    this.f = f;
    this.clientsByNode = f.clientsByNode();
    this.signature = "csfl-testkit " + f.data.fingerprint() + " clients=" + f.clients + " partition="
        + f.partitioner.spec() + " seed=" + f.seed;
  }

  FederationResult run() {
    CompletableFuture<Server.Event> end = new CompletableFuture<>();
    try {
      ActorSystem<Void> server = start(Federation.SERVER_NODE, serverNode(end), null);
      for (String node : clientsByNode.keySet()) {
        if (!node.equals(Federation.SERVER_NODE) && !lateNodes().contains(node)) {
          start(node, clientNode(node), server);
        }
      }
      Server.Event last = (Server.Event) CompletableFuture.anyOf(end, churnFailure).get(f.timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (last instanceof Server.Finished done) {
        return new FederationResult(done.rounds(), trained, clientsByNode);
      }
      Server.Aborted aborted = (Server.Aborted) last;
      throw new IllegalStateException("training was aborted in round " + aborted.round() + ": " + aborted.reason());
    } catch (TimeoutException e) {
      throw new IllegalStateException("the federation did not finish within " + f.timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the federation ran", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the federation failed", e.getCause());
    } finally {
      stopAll();
    }
  }

  /** The client nodes leave first, so the server's node does not see them vanish as failures. Best effort. */
  private void stopAll() {
    List<ActorSystem<Void>> clients;
    ActorSystem<Void> server;
    synchronized (systems) {
      server = systems.remove(Federation.SERVER_NODE);
      clients = new ArrayList<>(systems.values());
      systems.clear();
    }
    clients.forEach(ActorSystem::terminate);
    clients.forEach(FederationRun::terminated);
    if (server != null) {
      server.terminate();
      terminated(server);
    }
  }

  private ActorSystem<Void> start(String node, Behavior<Void> guardian, ActorSystem<?> seed) {
    // The server's node has the roles clients and the server check their peers for.
    Config roles = ConfigFactory.parseString(node.equals(Federation.SERVER_NODE)
        ? "akka.cluster.roles = [\"" + Server.ROLE + "\", \"" + Aggregator.ROLE + "\"]" : "akka.cluster.roles = []");
    Config config = f.nodes == 1 ? COMMON.withFallback(ConfigFactory.load())
        : roles.withFallback(COMMON).withFallback(CLUSTER).withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(guardian, SYSTEM, config);
    synchronized (systems) {
      systems.put(node, system);
    }
    if (f.nodes > 1) {
      Cluster.get(system).manager().tell(Join.create(seed == null ? system.address() : seed.address()));
    }
    return system;
  }

  /** The server and the aggregator, found by the server through the receptionist; with one node, the clients too. */
  private Behavior<Void> serverNode(CompletableFuture<Server.Event> end) {
    return Behaviors.setup(ctx -> {
      ExpectedModel.register(ctx.getSystem(), f.initial.spec());
      ActorRef<Aggregator.Command> aggregator =
          ctx.spawn(Aggregator.create(f.strategy.newServer(f.initial, f.rounds), f.strategy.pruner()), "aggregator");
      ctx.getSystem().receptionist().tell(Receptionist.register(Aggregator.KEY, aggregator));
      ActorRef<Server.Event> listener = ctx.spawn(listener(end), "listener");
      Server.Checkpointer betweenRounds = f.nodes == 1 ? Server.Checkpointer.NONE : c -> beforeRound(c.round() + 1);
      ctx.spawn(Server.createDiscovering(settings(), f.evaluator, listener, betweenRounds), "server", Server.DISPATCHER);
      spawnClients(ctx, Federation.SERVER_NODE).forEach(ref -> ctx.getSystem().receptionist().tell(Receptionist.register(Client.KEY, ref)));
      return Behaviors.empty();
    });
  }

  /**
   * A client node: its clients are listed once the node is up. Akka does not tell a watcher that an
   * actor on a node still joining stopped, so a client the server sampled while its node joined
   * and that dropped out would never be seen to go: the round would wait out its timeout.
   */
  private Behavior<Void> clientNode(String node) {
    return Behaviors.setup(ctx -> {
      ExpectedModel.register(ctx.getSystem(), f.initial.spec());
      List<ActorRef<Client.Command>> clients = spawnClients(ctx, node);
      ActorSystem<Void> system = ctx.getSystem();
      akka.cluster.Cluster.get(akka.actor.typed.javadsl.Adapter.toClassic(system)).registerOnMemberUp(
          () -> clients.forEach(ref -> system.receptionist().tell(Receptionist.register(Client.KEY, ref))));
      return Behaviors.empty();
    });
  }

  private List<ActorRef<Client.Command>> spawnClients(akka.actor.typed.javadsl.ActorContext<Void> ctx, String node) {
    List<ActorRef<Client.Command>> refs = new ArrayList<>();
    for (String id : clientsByNode.get(node)) {
      int i = Client.index(id).orElseThrow();
      Behavior<Client.Command> client = Client.create(id, signature, f.strategy.newClient(), f.trainer, f.data, f.parts.get(i), i);
      refs.add(ctx.spawn(ClientChurn.apply(id, f.churn.model(), f.churn.stragglerDelay(), trained, client), id, Client.DISPATCHER));
    }
    return refs;
  }

  private static Behavior<Server.Event> listener(CompletableFuture<Server.Event> end) {
    return Behaviors.receive(Server.Event.class)
        .onMessage(Server.Finished.class, done -> {
          end.complete(done);
          return Behaviors.stopped();
        })
        .onMessage(Server.Aborted.class, aborted -> {
          end.complete(aborted);
          return Behaviors.stopped();
        })
        .onAnyMessage(e -> Behaviors.same())
        .build();
  }

  /** A failure to kill or start a node ends the run: a test must not pass on churn that did not happen. */
  private void churnBefore(int round) {
    try {
      beforeRound(round);
    } catch (RuntimeException e) {
      churnFailure.completeExceptionally(e);
      throw e;
    }
  }

  /**
   * Called by the server after it committed round {@code round - 1} and before it samples round
   * {@code round}: the server waits, so the node churn of a round always happens at the same
   * point of the run.
   */
  private void beforeRound(int round) {
    for (Churn.NodeEvent e : f.churn.nodeEvents()) {
      if (e.round() == round && e.kind() == Churn.NodeEvent.Kind.KILL) {
        ActorSystem<Void> system;
        synchronized (systems) {
          system = systems.remove(e.node());
        }
        if (system != null) {
          system.terminate();
          if (!terminated(system)) {
            throw new IllegalStateException("node " + e.node() + " did not shut down within " + NODE_WAIT);
          }
        }
      }
    }
    for (Churn.NodeEvent e : f.churn.nodeEvents()) {
      if (e.round() == round && e.kind() != Churn.NodeEvent.Kind.KILL) {
        ActorSystem<Void> server;
        synchronized (systems) {
          server = systems.get(Federation.SERVER_NODE);
        }
        ActorSystem<Void> node = start(e.node(), clientNode(e.node()), server);
        awaitListed(server, node, clientsByNode.get(e.node()).size());
      }
    }
  }

  /**
   * Waits until the server's receptionist lists every client of {@code node} and each of them
   * answers a handshake from the server's node: the server's own handshake, sent once it is
   * past this round's start, then travels a connection that is already up instead of one being
   * set up, where a message can be lost and is only asked again seconds later.
   */
  private void awaitListed(ActorSystem<?> server, ActorSystem<?> node, int clients) {
    long deadline = System.nanoTime() + NODE_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      List<ActorRef<Client.Command>> listed = AskPattern.<Receptionist.Command, Receptionist.Listing>ask(server.receptionist(),
              replyTo -> Receptionist.find(Client.KEY, replyTo), NODE_WAIT, server.scheduler())
          .toCompletableFuture().join().getServiceInstances(Client.KEY).stream()
          .filter(ref -> ref.path().address().equals(node.address())).toList();
      if (listed.size() >= clients && listed.stream().allMatch(ref -> answers(server, ref))) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    throw new IllegalStateException("the server's node never reached the " + clients + " clients of " + node.address());
  }

  private static boolean answers(ActorSystem<?> from, ActorRef<Client.Command> client) {
    return AskPattern.<Client.Command, Client.Description>ask(client, Client.Describe::new, Duration.ofSeconds(3), from.scheduler())
        .toCompletableFuture().handle((description, failure) -> failure == null).join();
  }

  /** Whether {@code system} has shut down within {@link #NODE_WAIT}. */
  private static boolean terminated(ActorSystem<?> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(NODE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  /** Every client that starts with the run must be taken on before round 1; late joiners are not waited for. */
  private int clientsAtStart() {
    return clientsByNode.entrySet().stream().filter(e -> !lateNodes().contains(e.getKey())).mapToInt(e -> e.getValue().size()).sum();
  }

  private Set<String> lateNodes() {
    return f.churn.nodeEvents().stream().filter(e -> e.kind() == Churn.NodeEvent.Kind.JOIN_LATE).map(Churn.NodeEvent::node)
        .collect(Collectors.toSet());
  }

  /** The one place the server's settings are made. */
  private Server.Settings settings() {
    return Server.Settings.builder(f.strategy.name()).rounds(f.rounds).clientsPerRound(f.perRound).roundTimeout(f.roundTimeout)
        .clientGrace(f.clientGrace).minCompleted(f.minCompleted).maxAttempts(3).seed(f.seed).minClients(clientsAtStart()).dataSignature(signature)
        // Node churn acts in the checkpoint hook, which must run between rounds to be deterministic.
        .clients(f.clients).evaluateAlongside(false).build();
  }
}
