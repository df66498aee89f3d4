package io.csfl.internal.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.cluster.typed.Subscribe;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Aggregator;
import io.csfl.codec.DenseSection;
import io.csfl.codec.Payload;
import io.csfl.tensor.Values;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two ActorSystems in one cluster on loopback, with real remoting and serialization: messages far
 * above Artery's 256 KiB frame cross in chunks, and failed transfers are reported to the sender.
 */
class TransferTest {
  private ActorTestKit sender;
  private ActorTestKit receiver;

  private static Config node(String extra) {
    return ConfigFactory.parseString("""
        akka.actor.provider = cluster
        akka.actor.serialize-messages = on
        akka.remote.artery.canonical.hostname = 127.0.0.1
        akka.remote.artery.canonical.port = 0
        akka.cluster.jmx.multi-mbeans-in-same-jvm = on
        # A node's leave on a loaded machine can take longer than the test kit's 10 s.
        akka.actor.testkit.typed.system-shutdown-default = 60s
        # As csfl-cluster.conf: the production setting must ride out a big transfer on a busy machine.
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 10s
        akka.coordinated-shutdown.exit-jvm = off
        csfl.transfer.ack-timeout = 8s
        # A 50-million-parameter model, and no model registered to expect.
        csfl.codec.max-parameters = 60000000
        akka.actor.serializers.slow = "io.csfl.internal.transfer.TransferTest$SlowSerializer"
        akka.actor.serialization-bindings { "io.csfl.internal.transfer.TransferTest$SlowMessage" = slow }
        """ + extra).withFallback(ConfigFactory.load());
  }

  @BeforeEach
  void startCluster() {
    sender = ActorTestKit.create("transfer", node(""));
    Cluster.get(sender.system()).manager().tell(Join.create(Cluster.get(sender.system()).selfMember().address()));
    receiver = joined("""
        csfl.transfer.max-bytes = 220 MiB
        csfl.transfer.max-inbound-transfers = 8
        # A transfer that goes quiet holds its place this long: longer than any test here waits.
        csfl.transfer.ack-timeout = 60s
        """);
  }

  /** A node with {@code extra} settings, joined to the sender's cluster; returns once the sender sees it up. */
  private ActorTestKit joined(String extra) {
    ActorTestKit node = ActorTestKit.create("transfer", node(extra));
    Cluster.get(node.system()).manager().tell(Join.create(Cluster.get(sender.system()).selfMember().address()));
    TestProbe<ClusterEvent.MemberUp> up = sender.createTestProbe();
    Cluster.get(sender.system()).subscriptions().tell(Subscribe.create(up.ref(), ClusterEvent.MemberUp.class));
    up.fishForMessage(Duration.ofSeconds(20), m -> m.member().address().equals(Cluster.get(node.system()).selfMember().address())
        ? akka.actor.testkit.typed.javadsl.FishingOutcomes.complete() : akka.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    return node;
  }

  @AfterEach
  void stop() {
    ActorTestKit.shutdown(receiver.system());
    ActorTestKit.shutdown(sender.system());
  }

  /** {@code actor} of system {@code owner} as system {@code viewer} sees it: a remote reference. */
  private static <T> ActorRef<T> seenFrom(ActorTestKit viewer, ActorTestKit owner, ActorRef<T> actor) {
    String path = ActorRefResolver.get(owner.system()).toSerializationFormat(actor);
    return ActorRefResolver.get(viewer.system()).resolveActorRef(path);
  }

  private static Aggregator.RoundPrepared denseModelOf(int parameters) {
    return denseModelOf(3, parameters);
  }

  private static Aggregator.RoundPrepared denseModelOf(int round, int parameters) {
    float[] values = new float[parameters];
    for (int i = 0; i < parameters; i++) {
      values[i] = (i % 1000) * 0.001f - 0.5f;
    }
    return new Aggregator.RoundPrepared(round, 0L, new Payload(List.of(new DenseSection(0, Values.copyOf(values)))), Map.of());
  }

  @Test
  void fiftyMillionParametersCrossInChunksWithoutMakingEitherNodeUnreachable() {
    TestProbe<Aggregator.Reply> recipient = receiver.createTestProbe();
    TestProbe<TransferFailed> failures = sender.createTestProbe();
    TestProbe<ClusterEvent.UnreachableMember> unreachable = sender.createTestProbe();
    Cluster.get(sender.system()).subscriptions().tell(Subscribe.create(unreachable.ref(), ClusterEvent.UnreachableMember.class));
    ActorRef<Aggregator.Reply> remote = seenFrom(sender, receiver, recipient.ref());
    Aggregator.RoundPrepared message = denseModelOf(50_000_000);
    Transfers transfers = Transfers.get(sender.system());

    long wire = transfers.tell(remote, message, failures.ref());

    Aggregator.RoundPrepared arrived = (Aggregator.RoundPrepared) recipient.receiveMessage(Duration.ofSeconds(120));
    assertEquals(3, arrived.round());
    Values sent = ((DenseSection) message.downlink().sections().get(0)).values();
    Values got = ((DenseSection) arrived.downlink().sections().get(0)).values();
    assertEquals(50_000_000, got.length());
    for (int i = 0; i < got.length(); i += 999_983) {
      assertEquals(sent.get(i), got.get(i), "value " + i);
    }
    assertEquals(sent.get(got.length() - 1), got.get(got.length() - 1));
    long raw = 4L * 50_000_000;
    int chunks = (int) Math.ceil((double) wire / transfers.settings().chunkSize());
    assertTrue(wire > raw && wire < raw + raw / 100, "wire bytes " + wire + " are the 200 MB payload plus framing");
    assertTrue(chunks > 1000, "the transfer went in " + chunks + " chunks");
    assertEquals(wire, Transfers.get(receiver.system()).wireBytes(seenFrom(receiver, sender, failures.ref()), arrived),
        "both sides measure the same wire bytes");
    unreachable.expectNoMessage(Duration.ofSeconds(1));
    failures.expectNoMessage(Duration.ZERO);
  }

  /** Tells a dense model of {@code parameters} to {@code remote}, which must refuse it: the sender's report. */
  private TransferFailed failedTell(ActorRef<Aggregator.Reply> remote, int parameters) {
    TestProbe<TransferFailed> failures = sender.createTestProbe();
    Transfers.get(sender.system()).tell(remote, denseModelOf(parameters), failures.ref());
    return failures.receiveMessage(Duration.ofSeconds(30));
  }

  @Test
  void aMessageAboveTheReceiversLimitIsRefusedAndReportedToTheSender() {
    TestProbe<Aggregator.Reply> recipient = receiver.createTestProbe();
    TransferFailed failed = failedTell(seenFrom(sender, receiver, recipient.ref()), 60_000_000);
    assertTrue(failed.reason().contains("max-bytes"), failed.reason());
    assertTrue(failed.message().endsWith("RoundPrepared"), failed.message());
    recipient.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aFloodOfOversizedAnnouncementsIsRefusedAndTheNodeKeepsReceiving() {
    // Forged announcements straight to the receiver's courier, as a hostile node could send them:
    // half above its max-bytes, half within it but beyond what it receives at once.
    TestProbe<Outbound.Command> attacker = sender.createTestProbe();
    String receiverAddress = Cluster.get(receiver.system()).selfMember().address().toString();
    ActorRef<Courier.Command> courier = courierOf(receiver);
    int flood = 40;
    for (int i = 0; i < flood; i++) {
      int bytes = i % 2 == 0 ? 512 << 20 : 100 << 20;
      courier.tell(new Courier.Open(7000 + i, receiverAddress + "/user/nobody", 4, "", bytes, bytes / (128 << 10), attacker.ref()));
    }
    List<ActorRef<Inbound.Command>> accepted = new java.util.ArrayList<>();
    for (int replies = 0; replies < flood; replies++) {
      if (attacker.receiveMessage(Duration.ofSeconds(20)) instanceof Outbound.Accepted a) {
        accepted.add(a.inbound());
      }
    }
    assertEquals(8, accepted.size(), "as many as csfl.transfer.max-inbound-transfers");

    // While the accepted ones hold every place, a real transfer waits for one for its ack timeout
    // (8 s on the sender), and is then reported failed.
    TestProbe<Aggregator.Reply> recipient = receiver.createTestProbe();
    ActorRef<Aggregator.Reply> remote = seenFrom(sender, receiver, recipient.ref());
    TransferFailed failed = failedTell(remote, 1_000_000);
    assertTrue(failed.reason().contains("max-inbound-transfers"), failed.reason());

    // A chunk out of order ends each forged transfer, and frees its place.
    for (ActorRef<Inbound.Command> inbound : accepted) {
      inbound.tell(new Chunk(0, 5, new byte[16]));
      Outbound.Refused ended = attacker.expectMessageClass(Outbound.Refused.class, Duration.ofSeconds(20));
      assertTrue(ended.reason().contains("expected chunk 0"), ended.reason());
    }
    Aggregator.RoundPrepared arrived = delivered(remote, recipient);
    assertEquals(1_000_000, arrived.downlink().sections().get(0).valueCount());
  }

  /** The courier of {@code node}, as the sender's node sees it: where a hostile member would send forged announcements. */
  private ActorRef<Courier.Command> courierOf(ActorTestKit node) {
    String address = Cluster.get(node.system()).selfMember().address().toString();
    return ActorRefResolver.get(sender.system()).resolveActorRef(address + "/system/" + Transfers.COURIER);
  }

  @Test
  void moreMessagesThanTheReceiverTakesAtOnceWaitTheirTurnAndAllArrive() {
    // A round's downlinks to a node that hosts many clients: three times its 8 places, sent at once.
    TestProbe<Aggregator.Reply> recipient = receiver.createTestProbe();
    TestProbe<TransferFailed> failures = sender.createTestProbe();
    ActorRef<Aggregator.Reply> remote = seenFrom(sender, receiver, recipient.ref());
    int messages = 24;
    for (int round = 1; round <= messages; round++) {
      Transfers.get(sender.system()).tell(remote, denseModelOf(round, 300_000), failures.ref());
    }
    java.util.Set<Integer> rounds = new java.util.TreeSet<>();
    for (int i = 0; i < messages; i++) {
      rounds.add(((Aggregator.RoundPrepared) recipient.receiveMessage(Duration.ofSeconds(60))).round());
    }
    assertEquals(messages, rounds.size(), "every message arrived once: " + rounds);
    failures.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aMemberHoldsAtMostItsNodesShareOfThePlacesAndOtherNodesGetThrough() {
    ActorTestKit target = joined("""
        csfl.transfer.max-inbound-transfers = 4
        csfl.transfer.max-inbound-transfers-per-node = 2
        csfl.transfer.ack-timeout = 60s
        """);
    ActorTestKit honest = joined("");
    try {
      // Four forged announcements from the sender's node that never send a chunk: two are
      // accepted, and hold their places for the target's ack timeout; two find the node's share taken.
      TestProbe<Outbound.Command> attacker = sender.createTestProbe();
      String address = Cluster.get(target.system()).selfMember().address().toString();
      for (int i = 0; i < 4; i++) {
        courierOf(target).tell(new Courier.Open(9100 + i, address + "/user/nobody", 4, "", 64 << 20, 512, attacker.ref()));
      }
      int accepted = 0;
      for (int i = 0; i < 4; i++) {
        Outbound.Command reply = attacker.receiveMessage(Duration.ofSeconds(20));
        if (reply instanceof Outbound.Accepted) {
          accepted++;
        } else {
          Outbound.Busy busy = (Outbound.Busy) reply;
          assertTrue(busy.reason().contains("max-inbound-transfers-per-node"), busy.reason());
        }
      }
      assertEquals(2, accepted, "as many as csfl.transfer.max-inbound-transfers-per-node");

      // Another node's message takes one of the places left.
      TestProbe<Aggregator.Reply> recipient = target.createTestProbe();
      TestProbe<TransferFailed> failures = honest.createTestProbe();
      Transfers.get(honest.system()).tell(seenFrom(honest, target, recipient.ref()), denseModelOf(1_000_000), failures.ref());
      assertEquals(1_000_000, ((Aggregator.RoundPrepared) recipient.receiveMessage(Duration.ofSeconds(30)))
          .downlink().sections().get(0).valueCount());
      failures.expectNoMessage(Duration.ZERO);
    } finally {
      ActorTestKit.shutdown(honest.system());
      ActorTestKit.shutdown(target.system());
    }
  }

  @Test
  void chunksSentToTheNameATransfersIdWouldGiveReachNothing() {
    // A member that learned a transfer's id cannot send chunks into it: the receiving actor's name
    // is drawn at random, and only the sender learns it, from the acceptance.
    TestProbe<Outbound.Command> announcer = sender.createTestProbe();
    String address = Cluster.get(receiver.system()).selfMember().address().toString();
    courierOf(receiver).tell(new Courier.Open(7100, address + "/user/nobody", 4, "", 1 << 20, 8, announcer.ref()));
    announcer.expectMessageClass(Outbound.Accepted.class, Duration.ofSeconds(20));
    ActorRef<Inbound.Command> guessed = ActorRefResolver.get(sender.system())
        .resolveActorRef(address + "/system/" + Transfers.COURIER + "/in-7100");
    guessed.tell(new Chunk(7100, 0, new byte[16]));
    announcer.expectNoMessage(Duration.ofSeconds(1));
  }

  @Test
  void anAcceptanceFromAnotherNodeThanTheRecipientsIsIgnored() {
    // The sender's outbound transfer, announcing to a stand-in for the receiving courier.
    TestProbe<Courier.Command> courier = sender.createTestProbe();
    TestProbe<TransferFailed> failures = sender.createTestProbe();
    TestProbe<Aggregator.Reply> recipient = receiver.createTestProbe();
    Courier.Send send = new Courier.Send(42, seenFrom(sender, receiver, recipient.ref()), 4, "", 3,
        List.of(new Chunk(42, 0, new byte[] {1, 2, 3})), "test", failures.ref());
    ActorRef<Outbound.Command> outbound = sender.spawn(Outbound.create(send, courier.ref(), Transfers.get(sender.system()).settings()));
    courier.expectMessageClass(Courier.Open.class, Duration.ofSeconds(30));

    TestProbe<Inbound.Command> elsewhere = sender.createTestProbe();
    outbound.tell(new Outbound.Accepted(elsewhere.ref()));
    TestProbe<Inbound.Command> inbound = receiver.createTestProbe();
    outbound.tell(new Outbound.Accepted(seenFrom(sender, receiver, inbound.ref())));
    Chunk chunk = (Chunk) inbound.receiveMessage(Duration.ofSeconds(30));
    assertEquals(42, chunk.transferId());
    elsewhere.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void anAcknowledgedChunkIsReleasedWhileTheTransferRuns() throws InterruptedException {
    TestProbe<Courier.Command> courier = sender.createTestProbe();
    TestProbe<Inbound.Command> inbound = receiver.createTestProbe();
    Started started = startTwoChunkTransfer(courier, inbound);
    courier.expectMessageClass(Courier.Open.class, Duration.ofSeconds(30));
    assertEquals(0, ((Chunk) inbound.receiveMessage(Duration.ofSeconds(30))).seq());
    // The transfer still runs (the first chunk acknowledged again and again, the second never),
    // and the first chunk is no longer held.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (started.first().get() != null && System.nanoTime() < deadline) {
      started.outbound().tell(new Outbound.Acked(1));
      System.gc();
      Thread.sleep(50);
    }
    assertNull(started.first().get(), "the acknowledged chunk is still reachable from the sender's transfer");
  }

  private record Started(ActorRef<Outbound.Command> outbound, java.lang.ref.WeakReference<Chunk> first) {}

  /**
   * Starts an outbound transfer of two 64 KiB chunks to {@code inbound}, accepted at once, and
   * acknowledges the first; returns the transfer and its first chunk, weakly held: nothing here keeps it.
   */
  private Started startTwoChunkTransfer(TestProbe<Courier.Command> courier, TestProbe<Inbound.Command> inbound) {
    TestProbe<TransferFailed> failures = sender.createTestProbe();
    TestProbe<Aggregator.Reply> recipient = receiver.createTestProbe();
    Chunk chunk = new Chunk(43, 0, new byte[64 << 10]);
    Courier.Send send = new Courier.Send(43, seenFrom(sender, receiver, recipient.ref()), 4, "", 128 << 10,
        List.of(chunk, new Chunk(43, 1, new byte[64 << 10])), "test", failures.ref());
    ActorRef<Outbound.Command> outbound = sender.spawn(Outbound.create(send, courier.ref(), Transfers.get(sender.system()).settings()));
    outbound.tell(new Outbound.Accepted(seenFrom(sender, receiver, inbound.ref())));
    outbound.tell(new Outbound.Acked(1));
    return new Started(outbound, new java.lang.ref.WeakReference<>(chunk));
  }

  /**
   * A hostile member's side of one announced transfer: once accepted, it sends a chunk every
   * 100 ms, each well within the receiver's ack timeout: the first {@code burst} of 200 KiB, then
   * one byte each, until the receiver refuses the transfer; then it reports the reason and the
   * longest gap it left between two chunks.
   */
  private static final class Trickler {
    record Report(String reason, Duration longestGap) implements NoSerializationVerificationNeeded {}

    private enum Tick implements Outbound.Command, NoSerializationVerificationNeeded { INSTANCE }

    static Behavior<Outbound.Command> create(long transferId, int burst, ActorRef<Report> reports) {
      return Behaviors.withTimers(timers -> Behaviors.receive(Outbound.Command.class)
          .onMessage(Outbound.Accepted.class, accepted -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofMillis(100));
            return trickling(transferId, burst, accepted.inbound(), reports, 0, System.nanoTime(), Duration.ZERO);
          })
          .build());
    }

    private static Behavior<Outbound.Command> trickling(long transferId, int burst, ActorRef<Inbound.Command> inbound,
                                                                          ActorRef<Report> reports, int seq, long lastSent,
                                                                          Duration longestGap) {
      return Behaviors.receive(Outbound.Command.class)
          .onMessage(Tick.class, tick -> {
            inbound.tell(new Chunk(transferId, seq, new byte[seq < burst ? 200 << 10 : 1]));
            long now = System.nanoTime();
            Duration gap = Duration.ofNanos(now - lastSent);
            return trickling(transferId, burst, inbound, reports, seq + 1, now, gap.compareTo(longestGap) > 0 ? gap : longestGap);
          })
          .onMessage(Outbound.Acked.class, acked -> Behaviors.same())
          .onMessage(Outbound.Refused.class, refused -> {
            reports.tell(new Report(refused.reason(), longestGap));
            return Behaviors.stopped();
          })
          .build();
    }
  }

  /**
   * Tells a 1,000,000-parameter model to {@code remote} and returns it as it arrives at
   * {@code recipient}: a transfer the receiver dropped frees its place only once the receiving
   * courier sees it end, a moment after its sender heard of the refusal, so one sent at once may
   * find the node busy and wait its turn, which it must get.
   */
  private Aggregator.RoundPrepared delivered(ActorRef<Aggregator.Reply> remote, TestProbe<Aggregator.Reply> recipient) {
    TestProbe<TransferFailed> failures = sender.createTestProbe();
    Transfers.get(sender.system()).tell(remote, denseModelOf(1_000_000), failures.ref());
    Aggregator.RoundPrepared arrived = (Aggregator.RoundPrepared) recipient.receiveMessage(Duration.ofSeconds(60));
    failures.expectNoMessage(Duration.ZERO);
    return arrived;
  }

  @Test
  void aMemberThatAnnouncesAndTricklesLosesItsPlacesAndOthersGetThrough() {
    // The default min-rate (64 KiB/s), in windows of a short ack timeout.
    ActorTestKit paced = joined("""
        csfl.transfer.ack-timeout = 5s
        csfl.transfer.max-inbound-transfers = 2
        """);
    try {
      // Two forged announcements of 64 MiB each take both of the node's places (an honest transfer
      // meanwhile waits, as aFloodOfOversizedAnnouncements... shows). One trickles from
      // the start; the other first sends 10 MB at once, which would buy it minutes if the pace
      // were an average since the announcement.
      String address = Cluster.get(paced.system()).selfMember().address().toString();
      ActorRef<Courier.Command> courier = courierOf(paced);
      TestProbe<Trickler.Report> reports = sender.createTestProbe();
      for (int i = 0; i < 2; i++) {
        ActorRef<Outbound.Command> trickler = sender.spawn(Trickler.create(9000 + i, i == 0 ? 0 : 50, reports.ref()));
        courier.tell(new Courier.Open(9000 + i, address + "/user/nobody", 4, "", 64 << 20, 64 << 20, trickler));
      }
      TestProbe<Aggregator.Reply> recipient = paced.createTestProbe();
      ActorRef<Aggregator.Reply> remote = seenFrom(sender, paced, recipient.ref());

      // A byte every 100 ms keeps each transfer from going quiet, but is far behind 64 KiB/s:
      // both are dropped at the end of the first window after the grace that brings too little
      // (10 or 15 s).
      for (int i = 0; i < 2; i++) {
        Trickler.Report report = reports.receiveMessage(Duration.ofSeconds(60));
        if (report.longestGap().compareTo(Duration.ofMillis(2500)) < 0) {
          assertTrue(report.reason().contains("too slow") && report.reason().contains("min-rate"), report.reason());
        } else {
          // The machine held the trickler up for half the ack timeout: silence may have ended it first.
          assertTrue(report.reason().contains("min-rate") || report.reason().contains("stalled"), report.reason());
        }
      }

      // Their places are free again: a real transfer arrives.
      Aggregator.RoundPrepared arrived = delivered(remote, recipient);
      assertEquals(1_000_000, arrived.downlink().sections().get(0).valueCount());
    } finally {
      ActorTestKit.shutdown(paced.system());
    }
  }

  @Test
  void aTransferToANodeThatIsGoneIsReportedAfterTheAckTimeout() {
    TestProbe<Aggregator.Reply> recipient = receiver.createTestProbe();
    ActorRef<Aggregator.Reply> remote = seenFrom(sender, receiver, recipient.ref());
    ActorTestKit.shutdown(receiver.system());
    TestProbe<TransferFailed> failures = sender.createTestProbe();

    Transfers.get(sender.system()).tell(remote, denseModelOf(1_000_000), failures.ref());

    TransferFailed failed = failures.receiveMessage(Duration.ofSeconds(20));
    assertTrue(failed.reason().contains("no answer"), failed.reason());
  }

  /**
   * A message whose decoding takes longer than the ack timeout (8 s here), as a big one may; one
   * whose first byte is 1 decodes in 1.5 s.
   */
  record SlowMessage(byte[] data) implements NoSerializationVerificationNeeded {}

  public static final class SlowSerializer extends akka.serialization.SerializerWithStringManifest {
    static final long DECODE_MILLIS = 12_000;
    static final long SHORT_DECODE_MILLIS = 1_500;

    @Override
    public int identifier() {
      return 7263999;
    }

    @Override
    public String manifest(Object o) {
      return "slow";
    }

    @Override
    public byte[] toBinary(Object o) {
      return ((SlowMessage) o).data();
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) {
      try {
        Thread.sleep(bytes.length > 0 && bytes[0] == 1 ? SHORT_DECODE_MILLIS : DECODE_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new SlowMessage(bytes);
    }
  }

  @Test
  void aQueueThatTakesLongerThanTheAckTimeoutToDrainIsDeliveredWhole() {
    // One place at the receiver, held 1.5 s by each message's decoding: eight messages take 12 s
    // to get through, longer than the sender's 8 s ack timeout, while the receiver frees a place
    // every 1.5 s.
    ActorTestKit onePlace = joined("""
        csfl.transfer.max-inbound-transfers = 1
        csfl.transfer.ack-timeout = 60s
        """);
    try {
      TestProbe<SlowMessage> recipient = onePlace.createTestProbe();
      TestProbe<TransferFailed> failures = sender.createTestProbe();
      ActorRef<SlowMessage> remote = seenFrom(sender, onePlace, recipient.ref());
      for (int i = 0; i < 8; i++) {
        byte[] data = new byte[300_000];
        data[0] = 1;
        Transfers.get(sender.system()).tell(remote, new SlowMessage(data), failures.ref());
      }
      for (int i = 0; i < 8; i++) {
        recipient.receiveMessage(Duration.ofSeconds(60));
      }
      failures.expectNoMessage(Duration.ZERO);
    } finally {
      ActorTestKit.shutdown(onePlace.system());
    }
  }

  @Test
  void aSlowDecodeAfterTheLastChunkIsNotTakenForASilentNode() {
    TestProbe<SlowMessage> recipient = receiver.createTestProbe();
    TestProbe<TransferFailed> failures = sender.createTestProbe();
    ActorRef<SlowMessage> remote = seenFrom(sender, receiver, recipient.ref());

    Transfers.get(sender.system()).tell(remote, new SlowMessage(new byte[1 << 20]), failures.ref());

    assertEquals(1 << 20, recipient.receiveMessage(Duration.ofSeconds(30)).data().length);
    failures.expectNoMessage(Duration.ofSeconds(1));
  }
}
