package io.csfl.cluster;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import io.csfl.actor.Server;
import io.csfl.metrics.RoundMetrics;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Receives the server's events on the server's node: appends each round to metrics.csv, prints
 * progress, and when training ends runs {@code onEnd} and announces the end to every node
 * ({@link RunEnd}); if asked to, this node then leaves the cluster so the process exits.
 */
public final class MetricsSink {
  /**
   * Why a node shuts down when the run it took part in was aborted, so its process exits with
   * {@link #ABORTED_EXIT_CODE} rather than 0: a script can tell a finished run from a failed one.
   */
  public static final CoordinatedShutdown.Reason TRAINING_ABORTED = new CoordinatedShutdown.Reason() {
    @Override
    public String toString() {
      return "training aborted";
    }
  };
  public static final int ABORTED_EXIT_CODE = 3;

  private MetricsSink() {}

  /**
   * @param ended set once this node knows the run ended
   * @param exitWhenDone whether this node leaves the cluster once the other nodes know
   */
  static Behavior<Server.Event> create(MetricsLog log, Consumer<List<RoundMetrics>> onEnd, boolean exitWhenDone,
                                       AtomicBoolean ended) {
    return Behaviors.setup(ctx -> Behaviors.receive(Server.Event.class)
        .onMessage(Server.RoundCompleted.class, r -> {
          RoundMetrics m = r.metrics();
          log.append(m);
          System.out.printf("[%s] round %d  acc %.4f  clients %d/%d  down %.2f MB  up %.2f MB  %.1f s%n", m.algorithm(), m.round(),
              m.accuracy(), m.clientsCompleted(), m.clientsSelected(), m.bytesDown() / 1e6, m.bytesUp() / 1e6, m.wallMs() / 1e3);
          r.rejections().forEach(reason -> System.out.println("    rejected: " + reason));
          return Behaviors.same();
        })
        .onMessage(ClaimEnded.class, MetricsSink::giveUp)
        .onMessage(Server.Finished.class, f -> end(ctx, log, onEnd, exitWhenDone, ended, null))
        .onMessage(Server.Aborted.class, a -> {
          String reason = "in round " + a.round() + ": " + a.reason();
          System.err.println("csfl node: training aborted " + reason);
          return end(ctx, log, onEnd, exitWhenDone, ended, reason);
        })
        .build());
  }

  /** Writes the report, then tells every node; this node leaves (if asked to) once they know. */
  private static Behavior<Server.Event> end(ActorContext<Server.Event> ctx, MetricsLog log, Consumer<List<RoundMetrics>> onEnd,
                                           boolean exitWhenDone, AtomicBoolean ended, String abortReason) {
    String incomplete = log.finish();
    if (incomplete != null) {
      System.err.println("csfl node: " + incomplete + "; a server node restarted with --resume writes them from the last checkpoint");
    }
    // A file that lacks rounds makes a finished run one that a script must not take for whole: exit code 3.
    String reason = abortReason != null ? abortReason : incomplete;
    if (reason == null) {
      System.out.println("csfl node: training finished");
    }
    onEnd.accept(log.rows());
    ctx.spawnAnonymous(RunEnd.announce(reason != null, reason, ended, exitWhenDone));
    // Alive, so the announcer (a child) can finish; a server that starts here again publishes nothing new.
    return Behaviors.receive(Server.Event.class).onMessage(ClaimEnded.class, MetricsSink::giveUp)
        .onAnyMessage(e -> Behaviors.same()).build();
  }

  /**
   * The server has stopped on this node: its claim on the run's files ({@link NodePlan.ServerPart#claim()})
   * is given up once this sink has written what the server sent it before, which came first.
   */
  record ClaimEnded(AutoCloseable claim) implements Server.Event {}

  private static Behavior<Server.Event> giveUp(ClaimEnded ended) {
    giveUp(ended.claim());
    return Behaviors.same();
  }

  static void giveUp(AutoCloseable claim) {
    try {
      claim.close();
    } catch (Exception e) {
      // The operating system ends a process's locks when it exits; nothing else is held.
      org.slf4j.LoggerFactory.getLogger(MetricsSink.class).warn("could not give up the server's claim on its files: {}", e.toString());
    }
  }
}
