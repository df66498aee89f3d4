package io.csfl.actor;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import java.time.Duration;
import java.util.List;
import java.util.stream.StreamSupport;

/** Test clusters of several ActorSystems on loopback, shared by the modules' tests through core's test jar. */
public final class TestClusters {
  private TestClusters() {}

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
    return StreamSupport.stream(Cluster.get(kit.system()).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }
}
