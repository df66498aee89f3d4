package io.csfl.cluster;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ClusterEvent;
import akka.cluster.Member;
import akka.cluster.UniqueAddress;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Down;
import akka.cluster.typed.Subscribe;
import io.csfl.actor.CertifiedRoles;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Downs every member that declares a role its certificate does not permit. The actors already
 * refuse such a member's messages in that role ({@link CertifiedRoles}); downing takes it out of
 * the cluster too, so that it cannot hold the server singleton or sit in the receptionist.
 *
 * <p>Only a positive mismatch downs a member: its declared roles against a certificate this node
 * saw at the member's address after the last member there was removed (an earlier record may be
 * of a previous member's certificate). A member whose certificate this node has not seen is
 * looked at again every {@link #RECHECK}, and never downed for that.
 */
final class RoleBinding {
  static final Duration RECHECK = Duration.ofSeconds(1);

  interface Event {}

  private record Membership(ClusterEvent.MemberEvent event) implements Event {}

  private enum Recheck implements Event { INSTANCE }

  private RoleBinding() {}

  static Behavior<Event> create() {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Cluster cluster = Cluster.get(ctx.getSystem());
      CertifiedRoles certified = CertifiedRoles.get(ctx.getSystem());
      cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.MemberEvent.class, Membership::new),
          ClusterEvent.MemberEvent.class));
      // Members not judged yet: their certificate has not been seen since their address was last freed.
      Map<UniqueAddress, Member> pending = new HashMap<>();
      Set<UniqueAddress> refused = new HashSet<>();
      Runnable judge = () -> {
        pending.values().removeIf(m -> {
          Optional<Set<String>> permitted = certified.current(m.address());
          if (permitted.isEmpty()) {
            return false;
          }
          String role = CertificateRoles.exceeding(m.getRoles(), permitted.get());
          if (role != null && refused.add(m.uniqueAddress())) {
            ctx.getLog().warn("refused member {}: it declares the {} role, but its certificate permits {}; downing it",
                m.address(), role, permitted.get());
            cluster.manager().tell(new Down(m.address()));
          }
          return true;
        });
        if (pending.isEmpty()) {
          timers.cancel(Recheck.INSTANCE);
        } else if (!timers.isTimerActive(Recheck.INSTANCE)) {
          timers.startTimerWithFixedDelay(Recheck.INSTANCE, RECHECK);
        }
      };
      return Behaviors.<Event>receive((c, event) -> {
        if (event instanceof Membership membership) {
          Member m = membership.event().member();
          if (membership.event() instanceof ClusterEvent.MemberRemoved) {
            certified.removed(m.address());
            pending.remove(m.uniqueAddress());
            refused.remove(m.uniqueAddress());
          } else if (membership.event() instanceof ClusterEvent.MemberDowned) {
            pending.remove(m.uniqueAddress());
          } else if (!m.uniqueAddress().equals(cluster.selfMember().uniqueAddress()) && !refused.contains(m.uniqueAddress())
              && (membership.event() instanceof ClusterEvent.MemberJoined || membership.event() instanceof ClusterEvent.MemberUp
                  || membership.event() instanceof ClusterEvent.MemberWeaklyUp)) {
            pending.putIfAbsent(m.uniqueAddress(), m);
          }
        }
        judge.run();
        return Behaviors.same();
      });
    }));
  }
}
