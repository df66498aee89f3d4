package io.csfl.cluster;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.Member;
import akka.cluster.typed.Cluster;
import io.csfl.actor.ControlMessage;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.StreamSupport;

/**
 * How the end of a run reaches every node. Each node runs a listener registered under
 * {@link #KEY}; when training finishes or is aborted, the server's node sends {@link Ended} to
 * every listener, waits (a bounded time) for each to acknowledge, and only then leaves the
 * cluster itself. A node started with {@code --exit-when-done} then leaves the cluster and exits
 * with the run's code; every node remembers the end, so a server singleton that moves to it
 * afterwards does not train again.
 */
public final class RunEnd {
  /** The listeners of every node. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "csfl-run-end");
  /** How long the server's node waits for the other nodes to acknowledge the end before it leaves. */
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);
  /** Longest reason kept from the network: a reason is a line of a log. */
  static final int MAX_REASON = 1000;

  private RunEnd() {}

  public interface Command {}

  /** The run ended: finished, or aborted for {@code reason}. */
  public record Ended(boolean aborted, String reason, ActorRef<Acked> replyTo) implements Command, ControlMessage {}

  /** A node learned of the end. */
  public record Acked(String node) implements Announcing, ControlMessage {}

  /** The messages of the node that announces the end. */
  public interface Announcing {}

  private record Listed(Set<ActorRef<Command>> listeners) implements Announcing {}

  private enum GiveUp implements Announcing { INSTANCE }

  /** Why a node shuts down at the end of a run; {@link NodeLifetime#exitCode} maps it back. */
  static CoordinatedShutdown.Reason reason(boolean aborted) {
    return aborted ? MetricsSink.TRAINING_ABORTED : CoordinatedShutdown.clusterLeavingReason();
  }

  /**
   * The listener of a node: acknowledges an {@link Ended} that comes from a member with the
   * server role, records it in {@code ended}, and with {@code exitWhenDone} shuts the node down.
   */
  static Behavior<Command> listener(AtomicBoolean ended, boolean exitWhenDone) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      return Behaviors.receive(Command.class)
          .onMessage(Ended.class, e -> {
            if (!fromServerNode(ctx.getSystem(), e.replyTo())) {
              ctx.getLog().warn("ignored the end of the run announced by {}, which is not a member with the server role",
                  e.replyTo().path().address());
              return Behaviors.same();
            }
            e.replyTo().tell(new Acked(ctx.getSystem().address().toString()));
            if (ended.compareAndSet(false, true)) {
              String reason = e.reason() == null ? "" : e.reason().substring(0, Math.min(e.reason().length(), MAX_REASON));
              System.out.println("csfl node: the run " + (e.aborted() ? "was aborted: " + reason : "finished"));
              if (exitWhenDone) {
                CoordinatedShutdown.get(Adapter.toClassic(ctx.getSystem())).runAll(reason(e.aborted()));
              }
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  private static boolean fromServerNode(ActorSystem<?> system, ActorRef<?> announcer) {
    Iterable<Member> members = Cluster.get(system).state().getMembers();
    return StreamSupport.stream(members.spliterator(), false)
        .anyMatch(m -> m.address().equals(announcer.path().address()) && m.hasRole(NodePlan.SERVER));
  }

  /**
   * Tells every other node's listener that the run ended, waits up to {@link #ACK_TIMEOUT} for
   * their acknowledgements, then, with {@code exitWhenDone}, shuts this node down.
   */
  static Behavior<Announcing> announce(boolean aborted, String reason, AtomicBoolean ended, boolean exitWhenDone) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ended.set(true);
      ctx.getSystem().receptionist().tell(Receptionist.find(KEY,
          ctx.messageAdapter(Receptionist.Listing.class, l -> new Listed(l.getServiceInstances(KEY)))));
      timers.startSingleTimer(GiveUp.INSTANCE, ACK_TIMEOUT);
      int[] pending = {-1};
      Runnable done = () -> {
        if (exitWhenDone) {
          CoordinatedShutdown.get(Adapter.toClassic(ctx.getSystem())).runAll(reason(aborted));
        }
      };
      return Behaviors.receive(Announcing.class)
          .onMessage(Listed.class, l -> {
            // This node's own listener is skipped: the node leaves last, once the others know.
            var others = l.listeners().stream().filter(r -> r.path().address().hasGlobalScope()).toList();
            others.forEach(r -> r.tell(new Ended(aborted, reason, ctx.getSelf().narrow())));
            pending[0] = others.size();
            ctx.getLog().info("announced the end of the run to {} nodes", others.size());
            return pending[0] == 0 ? stop(done) : Behaviors.same();
          })
          .onMessage(Acked.class, a -> --pending[0] == 0 ? stop(done) : Behaviors.same())
          .onMessageEquals(GiveUp.INSTANCE, () -> {
            ctx.getLog().warn("{} nodes did not acknowledge the end of the run within {}", pending[0], ACK_TIMEOUT);
            return stop(done);
          })
          .build();
    }));
  }

  private static Behavior<Announcing> stop(Runnable done) {
    done.run();
    return Behaviors.stopped();
  }
}
