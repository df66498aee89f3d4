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
import io.csfl.internal.actor.ControlMessage;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
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
 *
 * <p>Neither side takes the other's word: an {@link Ended} names its reply address, which any
 * member could fill in with the server node's. So a listener acts only once that address answers
 * its acknowledgement with the listener's own random challenge ({@link Confirmed}), which only the
 * actor at that address learns; and the announcer counts an acknowledgement only when it carries
 * the random nonce it sent to that listener. A forged end, confirmation or acknowledgement is
 * refused and logged.
 */
public final class RunEnd {
  /** The listeners of every node. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "csfl-run-end");
  /** How long the server's node waits for the other nodes to acknowledge the end before it leaves. */
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);
  /** Longest reason kept from the network: a reason is a line of a log. */
  static final int MAX_REASON = 1000;
  /** Ends a listener waits to have confirmed at once; an older one is dropped for a newer. */
  static final int MAX_UNCONFIRMED = 16;

  private RunEnd() {}

  public interface Command {}

  /** The run ended: finished, or aborted for {@code reason}; {@code nonce} is this listener's, to be sent back. */
  public record Ended(boolean aborted, String reason, long nonce, ActorRef<Acked> replyTo) implements Command, ControlMessage {}

  /**
   * {@code listener} learned of the end: it returns the announcer's {@code nonce} and asks for its
   * own {@code challenge} back, to know the end came from the announcer.
   */
  public record Acked(long nonce, long challenge, ActorRef<Command> listener) implements Announcing, ControlMessage {}

  /** The announcer's answer to an {@link Acked}: the end was its own. */
  public record Confirmed(long challenge) implements Command, ControlMessage {}

  /** The messages of the node that announces the end. */
  public interface Announcing {}

  private record Listed(Set<ActorRef<Command>> listeners) implements Announcing {}

  private enum GiveUp implements Announcing { INSTANCE }

  /** Why a node shuts down at the end of a run; {@link NodeLifetime#exitCode} maps it back. */
  static CoordinatedShutdown.Reason reason(boolean aborted) {
    return aborted ? MetricsSink.TRAINING_ABORTED : CoordinatedShutdown.clusterLeavingReason();
  }

  /**
   * The listener of a node: acknowledges an {@link Ended} that names a member with the server
   * role, and once that member confirms it, records it in {@code ended} and, with
   * {@code exitWhenDone}, shuts the node down.
   */
  static Behavior<Command> listener(AtomicBoolean ended, boolean exitWhenDone) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      SecureRandom challenges = new SecureRandom();
      // Ends acknowledged and not yet confirmed, by challenge, oldest first.
      Map<Long, Ended> unconfirmed = new LinkedHashMap<>();
      return Behaviors.receive(Command.class)
          .onMessage(Ended.class, e -> {
            if (!fromServerNode(ctx.getSystem(), e.replyTo())) {
              ctx.getLog().warn("ignored the end of the run announced by {}, which is not a member with the server role",
                  e.replyTo().path().address());
              return Behaviors.same();
            }
            long challenge = challenges.nextLong();
            if (unconfirmed.size() >= MAX_UNCONFIRMED) {
              unconfirmed.remove(unconfirmed.keySet().iterator().next());
            }
            unconfirmed.put(challenge, e);
            e.replyTo().tell(new Acked(e.nonce(), challenge, ctx.getSelf()));
            return Behaviors.same();
          })
          .onMessage(Confirmed.class, c -> {
            Ended e = unconfirmed.remove(c.challenge());
            if (e == null) {
              ctx.getLog().warn("ignored a confirmation of the end of the run with a challenge this node did not send");
            } else if (ended.compareAndSet(false, true)) {
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
        .anyMatch(m -> m.address().equals(announcer.path().address()) && m.hasRole(NodePlan.SERVER))
        && io.csfl.actor.CertifiedRoles.get(system).refusal(announcer.path().address(), NodePlan.SERVER) == null;
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
      SecureRandom random = new SecureRandom();
      // The nonce each listener was sent; removed once it acknowledged.
      Map<ActorRef<Command>, Long> nonces = new HashMap<>();
      Runnable done = () -> {
        if (exitWhenDone) {
          CoordinatedShutdown.get(Adapter.toClassic(ctx.getSystem())).runAll(reason(aborted));
        }
      };
      return Behaviors.receive(Announcing.class)
          .onMessage(Listed.class, l -> {
            // This node's own listener is skipped: the node leaves last, once the others know.
            var others = l.listeners().stream().filter(r -> r.path().address().hasGlobalScope()).toList();
            others.forEach(r -> {
              long nonce = random.nextLong();
              nonces.put(r, nonce);
              // Never a null field: the nodes' control serializer refuses one.
              r.tell(new Ended(aborted, reason == null ? "" : reason, nonce, ctx.getSelf().narrow()));
            });
            pending[0] = others.size();
            ctx.getLog().info("announced the end of the run to {} nodes", others.size());
            return pending[0] == 0 ? stop(done) : Behaviors.same();
          })
          .onMessage(Acked.class, a -> {
            Long nonce = nonces.get(a.listener());
            if (nonce == null || nonce != a.nonce()) {
              ctx.getLog().warn("refused an acknowledgement of the end of the run in the name of {}: {}", a.listener().path(),
                  nonce == null ? "no end is awaiting its acknowledgement" : "it does not carry the nonce that node was sent");
              return Behaviors.same();
            }
            nonces.remove(a.listener());
            a.listener().tell(new Confirmed(a.challenge()));
            return --pending[0] == 0 ? stop(done) : Behaviors.same();
          })
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
