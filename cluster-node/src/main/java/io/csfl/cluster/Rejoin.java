package io.csfl.cluster;

import akka.actor.typed.ActorSystem;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Runs a node as a series of ActorSystems: when the cluster downs the node while its process is
 * alive (a long pause or a partition made the others remove it; on its return it learns it was
 * quarantined and downs itself), the ActorSystem shuts down, and this starts a new one after
 * {@code csfl.rejoin.delay}, which joins again through the seed nodes with the same roles and
 * clients. An ActorSystem that was downed can never rejoin; a new incarnation at the same address
 * can, so the operator does not have to restart the process.
 *
 * <p>Only downing restarts: a node that leaves (SIGTERM, the end of the run, an HTTP leave) or is
 * shut down for any other reason ends the loop with that reason.
 */
public final class Rejoin {
  private Rejoin() {}

  /**
   * Starts the node with {@code start} and waits for it to end ({@link NodeLifetime#awaitEnd}),
   * again and again while {@code rejoin} is on and the cluster downed it.
   *
   * @return the exit code of the last incarnation
   */
  public static <T> int run(Supplier<ActorSystem<T>> start, boolean rejoin) throws InterruptedException {
    return run(start, rejoin, NodeLifetime.STOP_GRACE);
  }

  /** {@link #run(Supplier, boolean)}, waiting {@code stopGrace} for a downed incarnation to stop. */
  static <T> int run(Supplier<ActorSystem<T>> start, boolean rejoin, Duration stopGrace) throws InterruptedException {
    for (int incarnation = 1; ; incarnation++) {
      ActorSystem<T> system;
      try {
        system = incarnation == 1 ? start.get() : restart(start);
      } catch (RuntimeException e) {
        if (incarnation == 1) {
          throw e;
        }
        // A node that was removed and could not come back is a removed node, not a bad command line.
        System.err.println("csfl node: could not start again to rejoin (" + e.getMessage() + "); exiting");
        return NodeLifetime.REMOVED_EXIT_CODE;
      }
      int code = NodeLifetime.awaitEnd(system, stopGrace);
      if (!rejoin || code != NodeLifetime.REMOVED_EXIT_CODE) {
        return code;
      }
      if (!system.whenTerminated().isCompleted()) {
        // Its port and its threads are still held: a new incarnation beside it could not bind, and would run beside it.
        System.err.println("csfl node: the downed ActorSystem has not stopped, so a new one cannot take its place; exiting instead of rejoining");
        return code;
      }
      Duration delay = system.settings().config().getDuration("csfl.rejoin.delay");
      System.err.printf("csfl node: the cluster downed this node; starting again in %d s to rejoin (incarnation %d)%n",
          delay.toSeconds(), incarnation + 1);
      Thread.sleep(delay.toMillis());
    }
  }

  /** How often a new incarnation that fails to start (its port not yet free, say) is tried again. */
  private static final int RESTART_ATTEMPTS = 12;

  private static <T> ActorSystem<T> restart(Supplier<ActorSystem<T>> start) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        return start.get();
      } catch (RuntimeException e) {
        if (attempt == RESTART_ATTEMPTS) {
          throw e;
        }
        System.err.println("csfl node: could not start again (" + e.getMessage() + "); trying again in 5 s");
        Thread.sleep(5_000);
      }
    }
  }
}
