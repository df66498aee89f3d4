package io.csfl.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.javadsl.TimerScheduler;
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
   * after the end does not train again.
   */
  static Behavior<Server.Command> server(NodePlan.ServerPart s, MetricsLog log, ActorRef<Server.Event> sink,
                                         AtomicBoolean ended) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(CLAIM_STASH,
        stash -> claiming(new Claiming(ctx, timers, stash, s, log, sink, ended), 0))));
  }

  /** What a server that waits for its claim keeps. */
  private record Claiming(ActorContext<Server.Command> ctx, TimerScheduler<Server.Command> timers,
                          StashBuffer<Server.Command> stash, NodePlan.ServerPart part, MetricsLog log,
                          ActorRef<Server.Event> sink, AtomicBoolean ended) {}

  /**
   * Claims the run's files and starts the server, or, while another process holds them (a server
   * of another cluster given the same directories, or this node's predecessor that has not
   * exited yet), waits 1 s, then twice as long each time up to 10 s, and tries again; what the
   * server is sent meanwhile is stashed, and a stop (the singleton's hand-over) stops it. A claim
   * that fails otherwise (a directory that cannot be written) aborts the run, as a metrics file
   * that cannot be written would. The claim is given up once the server has stopped and the
   * node's metrics sink has written what the server sent it.
   */
  private static Behavior<Server.Command> claiming(Claiming c, int refusals) {
    if (c.ended().get()) {
      c.ctx().getLog().info("the run has ended; the server does not start again on this node");
      return Behaviors.stopped(); // not ignore(), which would keep a hand-over's stop from stopping it
    }
    AutoCloseable claim;
    try {
      claim = c.part().claim().get();
    } catch (IllegalStateException e) {
      if (refusals == 0) {
        c.ctx().getLog().warn("the server does not start on this node while another process holds its files ({}); "
            + "it tries again until they are free", e.getMessage());
      }
      Duration wait = CLAIM_RETRY.multipliedBy(1L << Math.min(refusals, 4));
      c.timers().startSingleTimer(TryClaim.INSTANCE, wait.compareTo(CLAIM_RETRY_MAX) < 0 ? wait : CLAIM_RETRY_MAX);
      return Behaviors.receive(Server.Command.class)
          .onMessageEquals(TryClaim.INSTANCE, () -> claiming(c, refusals + 1))
          .onAnyMessage(m -> {
            if (c.stash().isFull()) {
              c.ctx().getLog().warn("dropped a {} sent to the server while it waits for its files", m.getClass().getSimpleName());
            } else {
              c.stash().stash(m);
            }
            return Behaviors.same();
          })
          .build();
    } catch (RuntimeException e) {
      // Round 1 stands for "before the server started here": the checkpoints are not read yet.
      String reason = "the server could not start on this node, as it cannot claim its files: " + e.getMessage();
      c.ctx().getLog().error(reason);
      c.sink().tell(new Server.Aborted(c.part().settings().algorithm(), 1, reason));
      return Behaviors.stopped();
    }
    if (refusals > 0) {
      c.ctx().getLog().info("the server's files are free; the server starts on this node");
    }
    // Given up once: by the sink after the server's last writes, or when the actor system has
    // terminated without the sink (a node stopped while its server was still stopping).
    AutoCloseable once = closingOnce(claim);
    c.ctx().getSystem().getWhenTerminated().thenRun(() -> MetricsSink.giveUp(once));
    c.ctx().spawn(releasing(once, c.sink()), "claim");
    NodePlan.ServerPart s = c.part();
    return c.stash().unstashAll(Server.createDiscovering(s.settings(), s.evaluator(), c.sink(), s.checkpointer(), () -> {
      Optional<Checkpoint> from = s.resumeFrom().get();
      c.log().startAfter(s.settings().algorithm(), from.map(Checkpoint::metrics).orElse(List.of()));
      return from;
    }));
  }

  /**
   * A child of the server that, when it stops (which it does when the server stops), hands the
   * claim to the node's metrics sink, which gives it up after the rows and the report the server
   * sent it before it stopped, which are in the sink's mailbox already.
   */
  private static Behavior<Void> releasing(AutoCloseable claim, ActorRef<Server.Event> sink) {
    return Behaviors.receive(Void.class).onSignal(PostStop.class, stop -> {
      sink.tell(new MetricsSink.ClaimEnded(claim));
      return Behaviors.same();
    }).build();
  }

  private static AutoCloseable closingOnce(AutoCloseable claim) {
    AtomicBoolean closed = new AtomicBoolean();
    return () -> {
      if (closed.compareAndSet(false, true)) {
        claim.close();
      }
    };
  }

  private static final int CLAIM_STASH = 10_000;
  private static final Duration CLAIM_RETRY = Duration.ofSeconds(1);
  private static final Duration CLAIM_RETRY_MAX = Duration.ofSeconds(10);

  /** Time to try the claim again. */
  private enum TryClaim implements Server.Command, akka.actor.NoSerializationVerificationNeeded { INSTANCE }
}
