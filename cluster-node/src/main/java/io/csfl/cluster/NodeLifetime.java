package io.csfl.cluster;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.cluster.Cluster;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * How a node's process ends. A node ends when its ActorSystem stops: after training with
 * {@code --exit-when-done}, on SIGTERM, or when the cluster removed it (downed as unreachable).
 * Two things could otherwise keep the process alive for good, with nothing left to do: a member
 * removed from the cluster whose ActorSystem is never shut down, and an ActorSystem whose
 * termination does not complete (a stream that never finishes closing). So a removal always runs
 * the coordinated shutdown, and the wait for the system to stop is bounded.
 */
public final class NodeLifetime {
  /** The exit code of a node that the cluster removed while it was running (downed, for instance as unreachable). */
  public static final int REMOVED_EXIT_CODE = 4;
  /** How long the last phase of a coordinated shutdown may take before the process exits anyway. */
  static final Duration STOP_GRACE = Duration.ofSeconds(30);

  private NodeLifetime() {}

  /**
   * Blocks until {@code system} has stopped, or until {@link #STOP_GRACE} after its coordinated
   * shutdown reached its last phase, and returns the process's exit code: 0 for an ordinary end,
   * {@link MetricsSink#ABORTED_EXIT_CODE} when training was aborted, {@link #REMOVED_EXIT_CODE}
   * when the cluster removed the node. Call it right after the system started.
   */
  public static int awaitEnd(ActorSystem<?> system) throws InterruptedException {
    return awaitEnd(system, STOP_GRACE);
  }

  /** {@link #awaitEnd(ActorSystem)} with {@code grace} for {@link #STOP_GRACE}. */
  static int awaitEnd(ActorSystem<?> system, Duration grace) throws InterruptedException {
    akka.actor.ActorSystem classic = Adapter.toClassic(system);
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(classic);
    CompletableFuture<Boolean> ended = new CompletableFuture<>();
    system.getWhenTerminated().thenRun(() -> ended.complete(true));
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "csfl-bounded-stop", () -> {
      CompletableFuture.delayedExecutor(grace.toMillis(), TimeUnit.MILLISECONDS).execute(() -> ended.complete(false));
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    // Akka runs the shutdown when this member is downed; a removal by any other path must end it too.
    Cluster.get(classic).registerOnMemberRemoved(() -> shutdown.runAll(CoordinatedShutdown.clusterDowningReason()));
    boolean stopped;
    try {
      stopped = ended.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    if (!stopped) {
      System.err.println("csfl node: the actor system did not stop within " + grace.toSeconds()
          + " s of its shutdown; exiting anyway");
    }
    int code = exitCode(shutdown.getShutdownReason());
    if (code == REMOVED_EXIT_CODE) {
      System.err.println("csfl node: this node was removed from the cluster (downed, for instance as unreachable)");
    }
    return code;
  }

  /** The exit code of a node whose ActorSystem has shut down. */
  static int exitCode(ActorSystem<?> system) {
    return exitCode(CoordinatedShutdown.get(Adapter.toClassic(system)).getShutdownReason());
  }

  /** The exit code for the reason the node shut down. */
  static int exitCode(Optional<CoordinatedShutdown.Reason> reason) {
    if (reason.isEmpty()) {
      return 0;
    }
    CoordinatedShutdown.Reason r = reason.get();
    if (r.equals(MetricsSink.TRAINING_ABORTED)) {
      return MetricsSink.ABORTED_EXIT_CODE;
    }
    if (r.equals(CoordinatedShutdown.clusterDowningReason())) {
      return REMOVED_EXIT_CODE;
    }
    return 0;
  }
}
