package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.ClusterSingletonSettings;
import akka.cluster.typed.Down;
import akka.cluster.typed.Join;
import akka.cluster.typed.SingletonActor;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server singleton moves sooner than Akka's default margin allows (csfl-cluster.conf,
 * {@code akka.cluster.down-removal-margin}), and still never runs on two nodes at once when the
 * node it leaves is alive: a server node downed while it runs stops its server before the standby
 * starts one.
 */
class SingletonMarginTest {
  private static final Config NODE = ConfigFactory.parseString("akka.loglevel = WARNING\nakka.actor.serialize-messages = on")
      .withFallback(ClusterConfig.insecure());
  /** Far longer than a hand-over takes; the test only waits this long on failure. */
  private static final long WAIT_SECONDS = 120;
  private final List<ActorSystem<?>> systems = new ArrayList<>();

  @AfterEach
  void stopAll() {
    systems.forEach(ActorSystem::terminate);
  }

  private ActorSystem<Void> node(List<String> events, String name) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.<Void>setup(ctx -> {
      ClusterSingleton.get(ctx.getSystem()).init(SingletonActor.of(singleton(events, name), NodePlan.SERVER_NAME)
          .withSettings(ClusterSingletonSettings.create(ctx.getSystem()).withRole(NodePlan.SERVER)));
      return Behaviors.empty();
    }), "csfl", ClusterConfig.of("csfl", "127.0.0.1", 0, Set.of(NodePlan.SERVER), List.of(), NODE));
    systems.add(system);
    return system;
  }

  /** Records when it starts and stops on node {@code name}. */
  private static Behavior<Void> singleton(List<String> events, String name) {
    return Behaviors.setup(ctx -> {
      events.add("started on " + name);
      return Behaviors.receive(Void.class).onSignal(PostStop.class, s -> {
        events.add("stopped on " + name);
        return Behaviors.same();
      }).build();
    });
  }

  @Test
  void theMarginIsShorterThanTheResolversWaitAndThePollingIsFaster() {
    ActorSystem<Void> system = node(new CopyOnWriteArrayList<>(), "a");
    akka.cluster.Cluster cluster = akka.cluster.Cluster.get(Adapter.toClassic(system));
    Duration stableAfter = system.settings().config().getDuration("akka.cluster.split-brain-resolver.stable-after");
    Duration margin = Duration.ofNanos(cluster.downingProvider().downRemovalMargin().toNanos());
    assertEquals(Duration.ofSeconds(3), margin, "the singleton's removal margin comes from csfl-cluster.conf");
    assertTrue(margin.compareTo(stableAfter) < 0, "the margin " + margin + " is shorter than stable-after " + stableAfter);
    assertEquals(250, cluster.settings().UnreachableNodesReaperInterval().toMillis());
    assertEquals(250, cluster.settings().LeaderActionsInterval().toMillis());
    assertEquals(Duration.ofMillis(500),
        system.settings().config().getDuration("akka.cluster.typed.receptionist.distributed-data.gossip-interval"),
        "the receptionist's replicas gossip every 500 ms");
  }

  @Test
  void aServerNodeDownedWhileAliveStopsItsServerBeforeTheStandbyStartsOne() throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    ActorSystem<Void> first = node(events, "first");
    Cluster.get(first).manager().tell(Join.create(first.address()));
    awaitEvent(events, "started on first");
    ActorSystem<Void> standby = node(events, "standby");
    Cluster.get(standby).manager().tell(Join.create(first.address()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!Cluster.get(standby).selfMember().status().equals(akka.cluster.MemberStatus.up())) {
      assertTrue(System.nanoTime() < deadline, "the standby joins within " + WAIT_SECONDS + " s");
      Thread.sleep(50);
    }

    // As the resolver does to a node that is cut off but running: it is downed, not stopped.
    Cluster.get(standby).manager().tell(new Down(first.address()));
    awaitEvent(events, "started on standby");
    assertEquals(List.of("started on first", "stopped on first", "started on standby"), events,
        "one server at a time: the downed node stops its server before the standby starts one");
    first.getWhenTerminated().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private static void awaitEvent(List<String> events, String event) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!events.contains(event)) {
      assertTrue(System.nanoTime() < deadline, "'" + event + "' within " + WAIT_SECONDS + " s; so far " + events);
      Thread.sleep(50);
    }
  }
}
