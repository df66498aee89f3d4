package io.csfl.actor;

import akka.actor.AbstractExtensionId;
import akka.actor.Address;
import akka.actor.ExtendedActorSystem;
import akka.actor.Extension;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The roles each peer's certificate permits, as this node learned them from TLS. A node's cluster
 * roles are what it declares when it joins; under mutual TLS its certificate says which roles it
 * may declare, so the role checks of {@link Server}, {@link Aggregator} and {@link Client} ask both.
 *
 * <p>The transport records a peer when this node opens a connection to the peer's canonical
 * address (the only direction in which TLS sees the address a member is known by), and it
 * {@linkplain #bind() binds} roles to certificates before any message crosses. Artery answers
 * every new connection from a peer over a connection of its own to that peer's address, so a
 * peer's record is in place before its first message is read. Without binding (no TLS, or a
 * transport that does not record) the declared roles stand alone.
 */
public final class CertifiedRoles implements Extension {
  private static final Id ID = new Id();

  /** One handshake's roles; {@code seq} orders it against the removals of its address. */
  private record Entry(Set<String> roles, long seq) {}

  private final AtomicLong seq = new AtomicLong();
  private final Map<String, Entry> peers = new ConcurrentHashMap<>();
  private final Map<String, Long> removed = new ConcurrentHashMap<>();
  private volatile boolean bound;

  private CertifiedRoles() {}

  /**
   * The record of {@code system}: one per ActorSystem, shared by its transport (which fills it)
   * and its actors' role checks (which read it), as for any Akka extension.
   */
  public static CertifiedRoles get(ActorSystem<?> system) {
    return get(Adapter.toClassic(system));
  }

  /** As {@link #get(ActorSystem)}, for a classic ActorSystem, which is what a TLS engine provider is given. */
  public static CertifiedRoles get(akka.actor.ActorSystem system) {
    return ID.get(system);
  }

  /** From now on a member passes a role check only with a certificate that permits the role. */
  public void bind() {
    bound = true;
  }

  /** Whether roles are bound to certificates on this node. */
  public boolean bound() {
    return bound;
  }

  /** The certificate presented at {@code host:port} (a member's canonical address) permits {@code roles}; replaces an earlier record. */
  public void record(String host, int port, Set<String> roles) {
    peers.put(key(host, port), new Entry(Set.copyOf(roles), seq.incrementAndGet()));
  }

  /**
   * The member at {@code address} was removed: a record made before this may be of that member's
   * certificate, not of a later member at the same address, so it no longer {@linkplain #current counts as current}.
   */
  public void removed(Address address) {
    removed.put(key(address), seq.incrementAndGet());
  }

  /** The roles the certificate presented at {@code address} permits, if this node has seen it. */
  public Optional<Set<String>> of(Address address) {
    return Optional.ofNullable(peers.get(key(address))).map(Entry::roles);
  }

  /**
   * The roles certified at {@code address} by a handshake made after the last removal of a member
   * there: a record that cannot belong to an earlier member at that address. Empty when unsure.
   */
  public Optional<Set<String>> current(Address address) {
    Entry e = peers.get(key(address));
    return e == null || e.seq() < removed.getOrDefault(key(address), 0L) ? Optional.empty() : Optional.of(e.roles());
  }

  /**
   * Why the member at {@code address} may not act in {@code role} by its certificate, or null:
   * always null when roles are not bound.
   */
  public String refusal(Address address, String role) {
    if (!bound) {
      return null;
    }
    Optional<Set<String>> roles = of(address);
    if (roles.isEmpty()) {
      return "this node has not seen its certificate yet";
    }
    return roles.get().contains(role) ? null : "its certificate permits " + roles.get() + ", not the " + role + " role";
  }

  private static String key(Address address) {
    return key(address.getHost().orElse(""), address.getPort().orElse(-1));
  }

  private static String key(String host, int port) {
    return host + ":" + port;
  }

  private static final class Id extends AbstractExtensionId<CertifiedRoles> {
    @Override
    public CertifiedRoles createExtension(ExtendedActorSystem system) {
      return new CertifiedRoles();
    }
  }
}
