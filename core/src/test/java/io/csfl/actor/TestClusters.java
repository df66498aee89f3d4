package io.csfl.actor;

import akka.actor.Address;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.Behaviors;
import akka.event.Logging;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/** Test clusters of several ActorSystems on loopback, shared by the modules' tests through core's test jar. */
public final class TestClusters {
  private TestClusters() {}

  /**
   * A cluster node on loopback at {@code port} with {@code roles} (comma-separated), every message
   * serialized and a minute's leeway for expected log lines; {@code extra} (HOCON, may be empty) on top.
   * Port 0 takes a free port, which {@code system().address()} then names: {@link #form} joins
   * every node to the first one's address, so tests that form their cluster with it need no fixed port.
   */
  public static Config node(int port, String roles, String extra) {
    return ConfigFactory.parseString("""
            akka.actor.provider = cluster
            akka.actor.serialize-messages = on
            akka.remote.artery.canonical.hostname = "127.0.0.1"
            akka.remote.artery.canonical.port = %d
            akka.cluster.roles = [%s]
            akka.cluster.jmx.multi-mbeans-in-same-jvm = on
            akka.actor.testkit.typed.filter-leeway = 60s
            %s
            %s
            """.formatted(port, roles, TestModels.SLOW_SHUTDOWN, extra)).withFallback(ConfigFactory.load());
  }

  /** Joins all of {@code kits} to the first one's node and waits until each sees all of them Up. */
  public static void form(Duration wait, ActorTestKit... kits) throws InterruptedException {
    for (ActorTestKit kit : kits) {
      Cluster.get(kit.system()).manager().tell(Join.create(kits[0].system().address()));
    }
    awaitUp(wait, kits);
  }

  /** {@code ref}, an actor of {@code owner}'s node, as {@code kit}'s node reaches it. */
  public static <T> ActorRef<T> reachedFrom(ActorTestKit kit, ActorTestKit owner, ActorRef<T> ref) {
    return ActorRefResolver.get(kit.system()).resolveActorRef(ActorRefResolver.get(owner.system()).toSerializationFormat(ref));
  }

  /** Waits until every one of {@code kits} sees all of them Up, or fails after {@code wait}. */
  public static void awaitUp(Duration wait, ActorTestKit... kits) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (List.of(kits).stream().anyMatch(kit -> upMembers(kit) < kits.length)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the " + kits.length + " nodes did not form a cluster within " + wait);
      }
      Thread.sleep(100);
    }
  }

  private static long upMembers(ActorTestKit kit) {
    return upMembers(kit.system());
  }

  /** How many members {@code system} sees Up. */
  public static long upMembers(akka.actor.typed.ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }

  /** The addresses of the members {@code system} sees Up. */
  public static Set<Address> up(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).map(m -> m.address()).collect(Collectors.toSet());
  }

  /**
   * A live list of the messages of the WARNING log events {@code system} publishes from now on:
   * it returns once the subscription is in place (a marker event came through), so a warning the
   * caller provokes next is not missed, however slowly the subscription lands on a loaded machine.
   */
  public static List<String> warnings(ActorSystem<?> system) {
    List<String> warnings = new CopyOnWriteArrayList<>();
    String marker = "csfl-test: warnings subscribed " + System.nanoTime();
    java.util.concurrent.atomic.AtomicBoolean subscribed = new java.util.concurrent.atomic.AtomicBoolean();
    system.eventStream().tell(new EventStream.Subscribe<>(Logging.Warning.class,
        system.systemActorOf(Behaviors.<Logging.Warning>receiveMessage(w -> {
          if (marker.equals(w.message())) {
            subscribed.set(true);
          } else {
            warnings.add(String.valueOf(w.message()));
          }
          return Behaviors.same();
        }), "warnings", Props.empty())));
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (!subscribed.get()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the warnings subscription of " + system + " was not in place within 60 s");
      }
      system.eventStream().tell(new EventStream.Publish<>(new Logging.Warning("test", TestClusters.class, marker)));
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    return warnings;
  }
}
