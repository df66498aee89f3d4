package io.csfl.actor;

import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.TensorFile;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.StreamSupport;

/**
 * What a control message must be before an actor acts on it: who may send it (judged by the node
 * its reply address is on, the only sender a typed message has) and whether its numbers and
 * tensors fit what the receiver expects. Each check returns the reason for a refusal, or null.
 */
final class ControlChecks {
  static final String SERVER_ROLE = Server.ROLE;
  static final String AGGREGATOR_ROLE = Aggregator.ROLE;
  /**
   * A strategy's state is a few tensors per model tensor (masks, residuals, remembered sparse
   * updates): this many bytes per model parameter is far more than any strategy exports.
   */
  static final int STATE_BYTES_PER_PARAMETER = 64;
  /**
   * What a strategy keeps of one earlier global model is that model at most: its values (4 bytes a
   * parameter) and its mask (one bit); this many bytes per model parameter more for each.
   */
  static final int HELD_BYTES_PER_PARAMETER = 5;

  /** The most characters of a peer's text (a refusal's reason) a log line shows. */
  static final int MAX_PEER_TEXT_CHARS = 500;

  private ControlChecks() {}

  /**
   * {@code text}, a peer's, fit for one log line: cut to {@link #MAX_PEER_TEXT_CHARS}, and control
   * characters (line breaks among them) replaced by spaces, so that it cannot forge other lines.
   */
  static String forLog(String text) {
    String cut = text.length() <= MAX_PEER_TEXT_CHARS ? text : text.substring(0, MAX_PEER_TEXT_CHARS) + "...";
    return cut.replaceAll("\\p{Cntrl}", " ");
  }

  /**
   * Why {@code ref} is not on this node or on a cluster member with {@code role}, or null. Without
   * a cluster only this node qualifies: its own actors are the application that embeds them.
   * A member counts from the moment it joins (its roles come with it) until it is down or removed.
   * Under mutual TLS the member's certificate must permit the role too ({@link CertifiedRoles}).
   */
  static String notOnMemberWithRole(ActorSystem<?> system, ActorRef<?> ref, String role) {
    Address address = ref.path().address();
    if (address.hasLocalScope() || address.equals(system.address())) {
      return null;
    }
    if (!inCluster(system)) {
      return "it is on another node (" + address + ") and this node is not in a cluster that could say its role";
    }
    boolean member = members(system).anyMatch(m -> m.address().equals(address) && m.hasRole(role));
    if (!member) {
      return "it is on " + address + ", not a member with the " + role + " role";
    }
    String certified = CertifiedRoles.get(system).refusal(address, role);
    return certified == null ? null : "it is on " + address + ", a member that declares the " + role + " role, but " + certified;
  }

  /** A secret drawn from {@code random}, never 0 (which stands for "none yet" in the messages that carry one). */
  static long nonZeroSecret(java.security.SecureRandom random) {
    long value = 0;
    while (value == 0) {
      value = random.nextLong();
    }
    return value;
  }

  /**
   * A peer's refusal reason as a status keeps it ({@link Client.HostStatus}, {@link Aggregator.Status}): fit for a log
   * line, and never empty, since an empty reason there means "not refused".
   */
  static String refusalForStatus(String reason) {
    String why = forLog(reason);
    return why.isBlank() ? "no reason given" : why;
  }

  /**
   * Why a handshake from {@code asker}'s node may not replace the server of an earlier handshake, at
   * {@code current}, or null: the new node must be the oldest Up member with the {@code server}
   * role, where the cluster runs the server singleton (a failover moves it there once the old
   * server's node leaves or is downed). Otherwise any member could name the address of a standby
   * server node in a handshake and take the clients from the server that runs, this node's own
   * address too (a site that runs a standby server beside its clients). Outside a cluster any
   * node passes. Members of this node's data centre count, as for the singleton.
   */
  static String notTheNewServer(ActorSystem<?> system, Address current, Address asker) {
    if (current == null || sameNode(system, current, asker) || !inCluster(system)) {
      return null;
    }
    Address node = asker.hasLocalScope() ? system.address() : asker;
    String dataCenter = Cluster.get(system).selfMember().dataCenter();
    Member oldest = members(system).filter(m -> m.status() == MemberStatus.up() && m.hasRole(SERVER_ROLE)
            && m.dataCenter().equals(dataCenter))
        .reduce((a, b) -> a.isOlderThan(b) ? a : b).orElse(null);
    if (oldest != null && oldest.address().equals(node)) {
      return null;
    }
    return "it would replace the server at " + current + " with one at " + node + ", which is not the oldest Up member "
        + "with the " + SERVER_ROLE + " role (" + (oldest == null ? "none is Up" : oldest.address()) + "), where the server runs";
  }

  /**
   * Whether {@code ref}'s node is not (or no longer) a member this node knows of, or one whose
   * certificate this node has not seen yet: a verdict that may change as members join and connect.
   */
  static boolean unknownMember(ActorSystem<?> system, ActorRef<?> ref) {
    Address address = ref.path().address();
    if (!inCluster(system) || address.hasLocalScope() || address.equals(system.address())) {
      return false;
    }
    CertifiedRoles certified = CertifiedRoles.get(system);
    return members(system).noneMatch(m -> m.address().equals(address)) || certified.bound() && certified.of(address).isEmpty();
  }

  /** Whether {@code system} is a cluster node that does not have {@code role}. */
  static boolean lacksOwnRole(ActorSystem<?> system, String role) {
    return inCluster(system) && !Cluster.get(system).selfMember().hasRole(role);
  }

  private static boolean inCluster(ActorSystem<?> system) {
    return "cluster".equals(system.settings().config().getString("akka.actor.provider"));
  }

  /** The members this node knows of, without those downed or removed. */
  private static java.util.stream.Stream<Member> members(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() != MemberStatus.down() && m.status() != MemberStatus.removed());
  }

  /** The same node as {@code a}: local refs count as {@code system}'s own address. */
  static boolean sameNode(ActorSystem<?> system, Address a, Address b) {
    return (a.hasLocalScope() ? system.address() : a).equals(b.hasLocalScope() ? system.address() : b);
  }

  /**
   * Rounds only go forward within a run: a prepare is for the current round (a new attempt) or the
   * next, or for round 1 (a server that starts a run over); an aggregator that has prepared
   * nothing yet (new, or restarted) takes any round.
   */
  static String prepareRefusal(int current, int round, List<Integer> held) {
    if (round <= 0) {
      return "round " + round + " is not positive";
    }
    if (round < current && round != 1) {
      return "round " + round + " is before the current round " + current;
    }
    if (current > 0 && round > current + 1) {
      return "round " + round + " skips ahead of the current round " + current;
    }
    return heldRefusal(round, held);
  }

  /**
   * A resume replaces the aggregator's state with the server's, so it may start any round: a later
   * one (the server continues from its checkpoint) or an earlier one (a server that took over
   * from an older checkpoint).
   */
  static String resumeRefusal(Aggregator.Resume resume, ModelSpec expected) {
    if (resume.round() <= 0) {
      return "round " + resume.round() + " is not positive";
    }
    String held = heldRefusal(resume.round(), resume.held());
    if (held != null) {
      return held;
    }
    String model = modelRefusal(resume.global(), expected);
    return model != null ? model : stateRefusal(resume.state(), expected, resume.round());
  }

  /** A client holds the global model of an earlier round of this run, each listed once. */
  private static String heldRefusal(int round, List<Integer> held) {
    Set<Integer> seen = new HashSet<>();
    for (int h : held) {
      if (h < 0 || h >= round) {
        return "a held model of round " + h + ", outside 0 to " + (round - 1);
      }
      if (!seen.add(h)) {
        return "held round " + h + " listed twice";
      }
    }
    return null;
  }

  /** The model must be of the expected architecture (its values are finite: {@link Values} holds no other). */
  static String modelRefusal(Model model, ModelSpec expected) {
    return model.spec().equals(expected) ? null : "its model is " + model.spec() + ", this aggregator's is " + expected;
  }

  /**
   * A strategy's state before round {@code round}: fp32 tensors no larger than the model's largest
   * tensor and finite, entries kept per earlier global model ({@link Checkpoint#heldState(int)}) only
   * of rounds before {@code round - 1}, and {@link #STATE_BYTES_PER_PARAMETER} bytes per model
   * parameter at most in all, plus {@link #HELD_BYTES_PER_PARAMETER} per earlier round it keeps.
   */
  static String stateRefusal(TensorFile state, ModelSpec expected, int round) {
    long largest = expected.tensors().stream().mapToLong(TensorSpec::size).max().orElse(0);
    Set<Integer> heldRounds = new HashSet<>();
    for (String name : state.tensors().keySet()) {
      if (name.startsWith(Checkpoint.HELD_STATE)) {
        int k;
        try {
          k = Checkpoint.heldRound(name);
        } catch (IllegalArgumentException e) {
          return "state tensor " + name + " names no round";
        }
        if (k >= round - 1) {
          return "state tensor " + name + " is of a model the state before round " + round + " cannot hold";
        }
        heldRounds.add(k);
      }
    }
    long limit = expected.parameterCount() * (STATE_BYTES_PER_PARAMETER + (long) HELD_BYTES_PER_PARAMETER * heldRounds.size());
    long total = 0;
    for (var e : state.tensors().entrySet()) {
      TensorFile.Tensor t = e.getValue();
      total += t.byteLength();
      if (total > limit) {
        return "its strategy state holds more than " + limit + " bytes";
      }
      if (t.dtype() == TensorFile.DType.F32) {
        if (t.byteLength() / 4 > largest) {
          return "state tensor " + e.getKey() + " has " + t.byteLength() / 4 + " values, the model's largest tensor " + largest;
        }
        for (float f : state.f32(e.getKey(), t.byteLength() / 4)) {
          if (!Float.isFinite(f)) {
            return "state tensor " + e.getKey() + " has a non-finite value";
          }
        }
      }
    }
    return null;
  }
}
