package io.csfl.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.ClusterSingletonSettings;
import akka.cluster.typed.SingletonActor;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Server;
import io.csfl.checkpoint.Checkpoint;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The root of a cluster node: spawns what the node's roles call for. The aggregator (with its
 * pruning child) registers with the receptionist; clients live under {@code /user/clients}; the
 * server is a cluster singleton on the {@code server} role that finds both through the receptionist.
 * Every node listens for the end of the run ({@link RunEnd}).
 *
 * <p>Server failover: when the singleton starts on a node, first or after its node was lost, it
 * continues after the last checkpoint its {@link NodePlan.ServerPart#resumeFrom()} finds, which
 * is the last committed round when the server nodes share one checkpoint directory.
 */
public final class NodeGuardian {
  private NodeGuardian() {}

  public static Behavior<Void> create(NodePlan plan) {
    return Behaviors.setup(ctx -> {
      NodeStatus.get(ctx.getSystem()); // listens before the actors whose status it follows start
      plan.aggregator().ifPresent(a -> {
        ActorRef<Aggregator.Command> aggregator = ctx.spawn(Behaviors.supervise(
                Aggregator.create(a.strategy().newServer(a.initial(), a.rounds()), a.strategy().pruner(), a.signature()))
            .onFailure(SupervisorStrategy.restart().withLimit(3, java.time.Duration.ofMinutes(1))), "aggregator");
        ctx.getSystem().receptionist().tell(Receptionist.register(Aggregator.KEY, aggregator));
      });
      plan.clients().ifPresent(pool -> ctx.spawn(ClientsHost.create(pool), "clients"));
      AtomicBoolean ended = new AtomicBoolean();
      ctx.spawn(RunEnd.listener(ended, plan.exitWhenDone()), "run-end");
      plan.server().ifPresent(s -> {
        MetricsLog log = new MetricsLog(s.metricsCsv(), line -> System.err.println("csfl node: " + line));
        // Resumed after a failure no one foresaw: stopped, it would take the run's end with it.
        ActorRef<Server.Event> sink = ctx.spawn(Behaviors.supervise(MetricsSink.create(log, s.onEnd(), plan.exitWhenDone(), ended))
            .onFailure(SupervisorStrategy.resume()), "metrics");
        ClusterSingleton.get(ctx.getSystem()).init(
            SingletonActor.of(server(s, log, sink, ended), NodePlan.SERVER_NAME)
                .withSettings(ClusterSingletonSettings.create(ctx.getSystem()).withRole(NodePlan.SERVER))
                .withProps(Server.DISPATCHER));
      });
      return Behaviors.empty();
    });
  }

  /**
   * The server singleton as it starts on this node: once it holds its claim on the run's files
   * ({@link NodePlan.ServerPart#claim()}), after the last checkpoint, with metrics.csv brought in
   * line with it first; or not at all once the run has ended, so that a singleton that moves here
   * after the end does not train again. While another process holds the claim (a server of another
   * cluster given the same directories, or this node's predecessor that has not exited yet) the
   * start is retried with a back-off, and what the server is sent meanwhile waits in the
   * supervisor's stash; the claim is given up when the server stops here.
   */
  private static Behavior<Server.Command> server(NodePlan.ServerPart s, MetricsLog log, ActorRef<Server.Event> sink,
                                                 AtomicBoolean ended) {
    AtomicBoolean waiting = new AtomicBoolean();
    Behavior<Server.Command> claimed = Behaviors.setup(ctx -> {
      if (ended.get()) {
        ctx.getLog().info("the run has ended; the server does not start again on this node");
        return Behaviors.ignore();
      }
      AutoCloseable claim;
      try {
        claim = s.claim().get();
      } catch (IllegalStateException e) {
        if (waiting.compareAndSet(false, true)) {
          ctx.getLog().warn("the server does not start on this node while another process holds its files ({}); "
              + "it tries again until they are free", e.getMessage());
        }
        throw new ClaimHeld(e.getMessage());
      }
      if (waiting.getAndSet(false)) {
        ctx.getLog().info("the server's files are free; the server starts on this node");
      }
      ctx.spawn(releasing(claim), "claim");
      return Server.createDiscovering(s.settings(), s.evaluator(), sink, s.checkpointer(), () -> {
        Optional<Checkpoint> from = s.resumeFrom().get();
        log.startAfter(s.settings().algorithm(), from.map(Checkpoint::metrics).orElse(List.of()));
        return from;
      });
    });
    return Behaviors.supervise(claimed).onFailure(ClaimHeld.class,
        SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(10), 0.2).withLoggingEnabled(false));
  }

  /** A child of the server that gives its claim up when it stops, which it does when the server stops. */
  private static Behavior<Void> releasing(AutoCloseable claim) {
    return Behaviors.receive(Void.class).onSignal(PostStop.class, stop -> {
      try {
        claim.close();
      } catch (Exception e) {
        // The operating system ends a process's locks when it exits; nothing else is held.
        org.slf4j.LoggerFactory.getLogger(NodeGuardian.class).warn("could not give up the server's claim on its files: {}", e.toString());
      }
      return Behaviors.same();
    }).build();
  }

  /** The server's start found its claim held by another process; supervision tries again later. */
  private static final class ClaimHeld extends RuntimeException {
    ClaimHeld(String message) {
      super(message, null, false, false);
    }
  }
}
