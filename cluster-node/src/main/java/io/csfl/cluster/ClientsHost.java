package io.csfl.cluster;

import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.ClusterEvent;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;
import io.csfl.actor.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The parent of the virtual clients a client node hosts ({@code /user/clients/<id>}). It spawns
 * each on the training dispatcher and registers one clients host ({@link Client#host}) for all of
 * them with the receptionist under {@link Client#HOST_KEY}: one entry per node rather than one per
 * client keeps the receptionist's replicated set small, and the server learns the node's clients
 * in a few batches rather than through one handshake each.
 *
 * <p>A node with a fixed range hosts exactly that range. A node of the shared pool (role
 * {@link #POOL_ROLE}, from {@code --client-ids auto}) hosts one contiguous share of all clients:
 * the pool's Up members, ordered by address, split the ids evenly. When a pool member joins or
 * leaves (and membership then stays unchanged for {@code csfl.client-pool.settle}), every member
 * recomputes its share, starts the clients it gained and stops those it lost,
 * so replicas of one service ({@code docker compose --scale}) divide the clients among themselves,
 * and the clients of a crashed node come back on the others.
 *
 * <p>A pool node whose clients the server refused (it was started with other training flags or
 * data than the server's: {@link Client.HostStatus}) registers under {@link #REFUSED_POOL_MEMBER}
 * and keeps the clients it hosts, so that another server (after a failover) can still take them
 * on. The pool's other nodes leave it out when they draw the shares, so they host its share
 * meanwhile, and take it back in once another server's verdict leaves it unrefused.
 */
public final class ClientsHost extends AbstractBehavior<ClientsHost.Command> {
  /** The cluster role of client nodes that share the clients among themselves. */
  public static final String POOL_ROLE = "client-pool";

  interface Command {}

  /**
   * A pool node whose clients the server refused registers its {@code ClientsHost} here: the pool's other nodes
   * leave every member so listed out of the shares. Only a node itself can list it (the receptionist registers local
   * actors only), so a member can take no node but itself out of the pool.
   */
  static final ServiceKey<Command> REFUSED_POOL_MEMBER = ServiceKey.create(Command.class, "csfl-refused-pool-member");

  /** The current clients host's status changed: its clients were refused, or another server's verdict started over. */
  private record StatusChanged(Client.HostStatus status) implements Command {}

  /** The pool members listed as refused changed. */
  private record RefusedListed(Receptionist.Listing listing) implements Command {}

  private record MembersChanged(ClusterEvent.MemberEvent event) implements Command {}

  /** Membership has been quiet for the settle time: draw the shares. */
  private enum Settled implements Command { INSTANCE }

  /** The clients a node may host, ids {@code 0 .. total-1}, and whether they are shared with other pool nodes. */
  public record ClientPool(int total, int from, int to, boolean shared, IntFunction<Behavior<Client.Command>> client) {
    public static ClientPool fixed(int total, int from, int to, IntFunction<Behavior<Client.Command>> client) {
      return new ClientPool(total, from, to, false, client);
    }

    public static ClientPool shared(int total, IntFunction<Behavior<Client.Command>> client) {
      return new ClientPool(total, 0, total - 1, true, client);
    }
  }

  private final ClientPool pool;
  private final TimerScheduler<Command> timers;
  /**
   * How long membership must stay unchanged before the shares are redrawn: nodes that start
   * together are counted together, instead of clients moving at every join while training runs.
   */
  private final Duration settle;
  /** Bumped at every reshare, so a client that comes back never collides with its stopping predecessor. */
  private int generation;
  private final Map<Integer, ActorRef<Client.Command>> hosted = new TreeMap<>();
  /** The clients host of the current clients, registered with the receptionist; replaced at every reshare. */
  private ActorRef<Client.HostCommand> roster;
  /** The pool's Up members by address, kept from the membership events (the cluster's state view may lag them). */
  private final Map<String, Member> poolMembers = new TreeMap<>();
  /** The addresses of the pool members listed under {@link #REFUSED_POOL_MEMBER}. */
  private Set<String> refusedMembers = Set.of();
  /** Whether this node is listed under {@link #REFUSED_POOL_MEMBER}: the server refused clients of its current host. */
  private boolean refusedHere;

  private ClientsHost(ActorContext<Command> context, TimerScheduler<Command> timers, ClientPool pool) {
    super(context);
    // Akka infers the logger from the call stack and names it akka.actor.ActorCell here, a
    // category the node's logback config keeps at WARN; every CSFL actor names its own.
    context.setLoggerName(ClientsHost.class);
    this.pool = pool;
    this.timers = timers;
    this.settle = context.getSystem().settings().config().getDuration("csfl.client-pool.settle");
    if (pool.shared()) {
      ActorRef<ClusterEvent.MemberEvent> events = context.messageAdapter(ClusterEvent.MemberEvent.class, MembersChanged::new);
      Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(events, ClusterEvent.MemberEvent.class));
      context.getSystem().eventStream().tell(new EventStream.Subscribe<>(Client.HostStatus.class,
          context.messageAdapter(Client.HostStatus.class, StatusChanged::new)));
      context.getSystem().receptionist().tell(Receptionist.subscribe(REFUSED_POOL_MEMBER,
          context.messageAdapter(Receptionist.Listing.class, RefusedListed::new)));
    } else {
      host(IntStream.rangeClosed(pool.from(), pool.to()).boxed().toList());
    }
  }

  public static Behavior<Command> create(ClientPool pool) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ClientsHost(ctx, timers, pool)));
  }

  /** The name a client goes by: its actor name and the id the server knows it by. */
  public static String clientId(int index) {
    return io.csfl.actor.Client.id(index);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(MembersChanged.class, this::onMembersChanged)
        .onMessage(Settled.class, s -> reshare())
        .onMessage(StatusChanged.class, this::onStatusChanged)
        .onMessage(RefusedListed.class, this::onRefusedListed)
        .build();
  }

  private Behavior<Command> onMembersChanged(MembersChanged changed) {
    Member member = changed.event().member();
    if (!member.hasRole(POOL_ROLE)) {
      return this;
    }
    if (changed.event() instanceof ClusterEvent.MemberUp) {
      poolMembers.put(member.address().toString(), member);
    } else if (member.status() != MemberStatus.up()) {
      poolMembers.remove(member.address().toString());
    } else {
      return this;
    }
    timers.startSingleTimer(Settled.INSTANCE, settle);
    return this;
  }

  private Behavior<Command> onStatusChanged(StatusChanged changed) {
    Client.HostStatus status = changed.status();
    if (!status.host().equals(roster) || (status.refused() > 0) == refusedHere) {
      return this; // an earlier host's, or no change of standing
    }
    refusedHere = status.refused() > 0;
    if (refusedHere) {
      getContext().getSystem().receptionist().tell(Receptionist.register(REFUSED_POOL_MEMBER, getContext().getSelf()));
      getContext().getLog().error("the server refused {} of the {} clients this pool node hosts ({}); the pool's other nodes "
          + "host them while it is refused, and this node is not ready", status.refused(), status.hosted(), status.reason());
    } else {
      getContext().getSystem().receptionist().tell(Receptionist.deregister(REFUSED_POOL_MEMBER, getContext().getSelf()));
      getContext().getLog().info("another server took this pool node's clients on: it takes its share again");
      timers.startSingleTimer(Settled.INSTANCE, settle);
    }
    return this;
  }

  private Behavior<Command> onRefusedListed(RefusedListed listed) {
    // Unreachable ones too: a refused node that is unreachable for a while is still refused.
    Set<String> now = listed.listing().getAllServiceInstances(REFUSED_POOL_MEMBER).stream()
        .map(ref -> ref.path().address().hasLocalScope() ? getContext().getSystem().address() : ref.path().address())
        .map(Address::toString).collect(Collectors.toUnmodifiableSet());
    if (!now.equals(refusedMembers)) {
      refusedMembers = now;
      timers.startSingleTimer(Settled.INSTANCE, settle);
    }
    return this;
  }

  private Behavior<Command> reshare() {
    String self = Cluster.get(getContext().getSystem()).selfMember().address().toString();
    // A refused node keeps what it hosts: a new server's handshake may accept those clients.
    if (!poolMembers.containsKey(self) || refusedHere) {
      return this;
    }
    Set<String> sharing = new TreeSet<>(poolMembers.keySet());
    sharing.removeAll(refusedMembers);
    sharing.add(self); // listed as refused until the receptionist hears that it is not
    List<Integer> share = ClientShares.of(self, sharing, pool.total());
    if (roster != null && share.equals(List.copyOf(hosted.keySet()))) {
      return this; // nothing moves: the server keeps its handshake with the current host
    }
    generation++;
    host(share);
    return this;
  }

  /** Hosts exactly {@code clients}: starts the missing ones, stops the others. */
  private void host(List<Integer> clients) {
    List<Integer> lost = new ArrayList<>(hosted.keySet());
    lost.removeAll(clients);
    for (int i : lost) {
      getContext().stop(hosted.remove(i));
    }
    for (int i : clients) {
      if (!hosted.containsKey(i)) {
        // A client whose training throws replies Failed itself; a crash of the actor restarts it.
        String name = pool.shared() ? clientId(i) + "-" + generation : clientId(i);
        ActorRef<Client.Command> ref = getContext().spawn(
            Behaviors.supervise(pool.client().apply(i)).onFailure(SupervisorStrategy.restart()), name, Client.DISPATCHER);
        hosted.put(i, ref);
      }
    }
    // A new host for the new set, so the server's listing changes and it asks again; the old one leaves the listing.
    if (roster != null) {
      getContext().stop(roster);
    }
    roster = getContext().spawn(Client.host(List.copyOf(hosted.values())), "host-" + generation);
    getContext().getSystem().receptionist().tell(Receptionist.register(Client.HOST_KEY, roster));
    getContext().getLog().info("hosting {} clients{}", hosted.size(), lost.isEmpty() ? "" : ", handed over " + lost.size());
  }
}
