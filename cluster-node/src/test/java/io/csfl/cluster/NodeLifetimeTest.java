package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Down;
import akka.cluster.typed.Join;
import akka.cluster.typed.SelfUp;
import akka.cluster.typed.Subscribe;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node's process ends with its work, whatever ends it, and says how it ended: a node the cluster
 * downs exits with its own code instead of living on as a member of nothing.
 */
class NodeLifetimeTest {
  private static final Config NODE = ConfigFactory.parseString("akka.loglevel = WARNING").withFallback(ClusterConfig.insecure());
  /** Far longer than a shutdown takes on a quiet machine; the test only waits this long on failure. */
  private static final long WAIT_SECONDS = 120;

  /** A one-member cluster, Up, and the exit code {@link NodeLifetime#awaitEnd} will return for it. */
  private static ActorSystem<Void> upNode(CompletableFuture<Integer> code) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", 0, Set.of(NodePlan.CLIENT), List.of(), NODE));
    CompletableFuture<Void> up = new CompletableFuture<>();
    system.systemActorOf(Behaviors.<SelfUp>setup(ctx -> {
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(ctx.getSelf(), SelfUp.class));
      return Behaviors.receiveMessage(m -> {
        up.complete(null);
        return Behaviors.stopped();
      });
    }), "up-probe", akka.actor.typed.Props.empty());
    Thread waiter = new Thread(() -> {
      try {
        code.complete(NodeLifetime.awaitEnd(system));
      } catch (Throwable t) {
        code.completeExceptionally(t);
      }
    });
    waiter.setDaemon(true);
    waiter.start();
    Cluster.get(system).manager().tell(Join.create(system.address()));
    up.get(WAIT_SECONDS, TimeUnit.SECONDS);
    return system;
  }

  @Test
  void aNodeTheClusterDownsShutsDownAndExitsWithItsOwnCode() throws Exception {
    CompletableFuture<Integer> code = new CompletableFuture<>();
    ActorSystem<Void> system = upNode(code);
    Cluster.get(system).manager().tell(new Down(system.address()));
    assertEquals(NodeLifetime.REMOVED_EXIT_CODE, code.get(WAIT_SECONDS, TimeUnit.SECONDS));
    system.getWhenTerminated().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void anAbortedRunExits3AndAnyOtherEndExits0() throws Exception {
    CompletableFuture<Integer> aborted = new CompletableFuture<>();
    CoordinatedShutdown.get(Adapter.toClassic(upNode(aborted))).runAll(MetricsSink.TRAINING_ABORTED);
    assertEquals(MetricsSink.ABORTED_EXIT_CODE, aborted.get(WAIT_SECONDS, TimeUnit.SECONDS));

    CompletableFuture<Integer> finished = new CompletableFuture<>();
    CoordinatedShutdown.get(Adapter.toClassic(upNode(finished))).runAll(CoordinatedShutdown.clusterLeavingReason());
    assertEquals(0, finished.get(WAIT_SECONDS, TimeUnit.SECONDS));

    assertEquals(0, NodeLifetime.exitCode(Optional.empty()));
    assertEquals(0, NodeLifetime.exitCode(Optional.of(CoordinatedShutdown.jvmExitReason())));
  }
}
