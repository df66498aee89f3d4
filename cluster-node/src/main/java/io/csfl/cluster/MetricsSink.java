package io.csfl.cluster;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import io.csfl.actor.Server;
import io.csfl.metrics.MetricsCsv;
import io.csfl.metrics.RoundMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Receives the server's events on the server's node: appends each round to metrics.csv, prints
 * progress, and when training ends runs {@code onEnd} and, if asked to, leaves the cluster so the
 * process exits.
 */
public final class MetricsSink {
  /**
   * Why a server node shuts down when training was aborted, so its process exits with
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

  public static Behavior<Server.Event> create(MetricsCsv csv, Consumer<List<RoundMetrics>> onEnd, boolean exitWhenDone) {
    List<RoundMetrics> rounds = new ArrayList<>();
    return Behaviors.setup(ctx -> Behaviors.receive(Server.Event.class)
        .onMessage(Server.RoundCompleted.class, r -> {
          RoundMetrics m = r.metrics();
          rounds.add(m);
          csv.append(m);
          System.out.printf("[%s] round %d  acc %.4f  clients %d/%d  down %.2f MB  up %.2f MB  %.1f s%n", m.algorithm(), m.round(),
              m.accuracy(), m.clientsCompleted(), m.clientsSelected(), m.bytesDown() / 1e6, m.bytesUp() / 1e6, m.wallMs() / 1e3);
          r.rejections().forEach(reason -> System.out.println("    rejected: " + reason));
          return Behaviors.same();
        })
        .onMessage(Server.Finished.class, f -> end(ctx.getSystem(), rounds, onEnd, exitWhenDone, "training finished",
            CoordinatedShutdown.clusterLeavingReason()))
        .onMessage(Server.Aborted.class, a -> {
          System.err.println("csfl node: training aborted in round " + a.round() + ": " + a.reason());
          return end(ctx.getSystem(), rounds, onEnd, exitWhenDone, "training aborted: " + a.reason(), TRAINING_ABORTED);
        })
        .build());
  }

  private static Behavior<Server.Event> end(akka.actor.typed.ActorSystem<?> system, List<RoundMetrics> rounds,
                                           Consumer<List<RoundMetrics>> onEnd, boolean exitWhenDone, String why,
                                           CoordinatedShutdown.Reason reason) {
    System.out.println("csfl node: " + why);
    onEnd.accept(rounds);
    if (exitWhenDone) {
      CoordinatedShutdown.get(Adapter.toClassic(system)).runAll(reason);
    }
    return Behaviors.stopped();
  }
}
