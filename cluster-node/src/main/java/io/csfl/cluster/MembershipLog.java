package io.csfl.cluster;

import akka.actor.Address;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;
import java.util.HashSet;
import java.util.Set;

/**
 * Logs every member that comes up or is removed, with the count of Up members: who is in the
 * federation is the first thing an operator checks (and what scripts/cluster-smoke.sh checks to
 * see that nodes without the federation's certificate stayed out).
 */
public final class MembershipLog extends AbstractBehavior<ClusterEvent.MemberEvent> {
  public static Behavior<ClusterEvent.MemberEvent> create() {
    return Behaviors.setup(ctx -> {
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(ctx.getSelf(), ClusterEvent.MemberEvent.class));
      return new MembershipLog(ctx);
    });
  }

  /** The members that came up and were not removed since (the events start with the current state). */
  private final Set<Address> up = new HashSet<>();

  private MembershipLog(ActorContext<ClusterEvent.MemberEvent> context) {
    super(context);
  }

  @Override
  public Receive<ClusterEvent.MemberEvent> createReceive() {
    return newReceiveBuilder()
        .onMessage(ClusterEvent.MemberUp.class, e -> log("up", e))
        .onMessage(ClusterEvent.MemberRemoved.class, e -> log("removed", e))
        .build();
  }

  private Behavior<ClusterEvent.MemberEvent> log(String what, ClusterEvent.MemberEvent event) {
    if (event instanceof ClusterEvent.MemberUp) {
      up.add(event.member().address());
    } else {
      up.remove(event.member().address());
    }
    getContext().getLog().info("member {}: {} roles {} ({} members up)", what, event.member().address(), event.member().getRoles(), up.size());
    return this;
  }
}
