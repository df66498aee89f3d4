package io.csfl.cluster;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
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
final class RoleBinding extends AbstractBehavior<RoleBinding.Event> {
  static final Duration RECHECK = Duration.ofSeconds(1);

  interface Event {}

  private record Membership(ClusterEvent.MemberEvent event) implements Event {}

  private enum Recheck implements Event { INSTANCE }

  static Behavior<Event> create() {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new RoleBinding(ctx, timers)));
  }

  private final Cluster cluster;
  private final CertifiedRoles certified;
  private final TimerScheduler<Event> timers;
  /** Members not judged yet: this node has not read their certificate since their address was last freed. */
  private final Map<UniqueAddress, Member> pending = new HashMap<>();
  /** Members downed by this node, so that each is logged once. */
  private final Set<UniqueAddress> refused = new HashSet<>();

  private RoleBinding(ActorContext<Event> context, TimerScheduler<Event> timers) {
    super(context);
    this.cluster = Cluster.get(context.getSystem());
    this.certified = CertifiedRoles.get(context.getSystem());
    this.timers = timers;
    cluster.subscriptions().tell(Subscribe.create(context.messageAdapter(ClusterEvent.MemberEvent.class, Membership::new),
        ClusterEvent.MemberEvent.class));
  }

  @Override
  public Receive<Event> createReceive() {
    return newReceiveBuilder()
        .onMessage(Membership.class, this::onMembership)
        .onMessageEquals(Recheck.INSTANCE, this::judge)
        .build();
  }

  private Behavior<Event> onMembership(Membership membership) {
    ClusterEvent.MemberEvent event = membership.event();
    Member m = event.member();
    if (event instanceof ClusterEvent.MemberRemoved) {
      certified.removed(m.address());
      pending.remove(m.uniqueAddress());
      refused.remove(m.uniqueAddress());
    } else if (event instanceof ClusterEvent.MemberDowned) {
      pending.remove(m.uniqueAddress());
    } else if ((event instanceof ClusterEvent.MemberJoined || event instanceof ClusterEvent.MemberWeaklyUp
        || event instanceof ClusterEvent.MemberUp)
        && !m.uniqueAddress().equals(cluster.selfMember().uniqueAddress()) && !refused.contains(m.uniqueAddress())) {
      pending.putIfAbsent(m.uniqueAddress(), m);
    }
    return judge();
  }

  /** Judges every pending member whose certificate this node has read; looks again later at the others. */
  private Behavior<Event> judge() {
    pending.values().removeIf(m -> {
      Optional<Set<String>> permitted = certified.current(m.address());
      if (permitted.isEmpty()) {
        return false;
      }
      String role = CertificateRoles.exceeding(m.getRoles(), permitted.get());
      if (role != null && refused.add(m.uniqueAddress())) {
        getContext().getLog().warn("refused member {}: it declares the {} role, but its certificate permits {}; downing it",
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
    return this;
  }
}
