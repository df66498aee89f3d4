package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.typed.Cluster;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The end of a run on a real cluster of three nodes (server, client, and an intruder with the
 * client role), every message serialized: an end, confirmation or acknowledgement the intruder
 * forges is refused, and the server's real end still reaches the client node.
 */
class RunEndTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static ActorTestKit server;
  private static ActorTestKit client;
  private static ActorTestKit intruder;

  /** A node on a free port (port 0), with no seed nodes: {@link io.csfl.actor.TestClusters#form} joins it. */
  private static ActorTestKit node(String role) {
    Config overrides = ConfigFactory.parseString("""
        akka.loglevel = WARNING
        akka.actor.serialize-messages = on
        akka.cluster.jmx.multi-mbeans-in-same-jvm = on
        akka.actor.testkit.typed.filter-leeway = 60s
        """).withFallback(ClusterConfig.insecure());
    return ActorTestKit.create("csfl", ClusterConfig.of("csfl", "127.0.0.1", 0, Set.of(role), List.of(), overrides));
  }

  @BeforeAll
  static void cluster() throws InterruptedException {
    server = node(NodePlan.SERVER);
    client = node(NodePlan.CLIENT);
    intruder = node(NodePlan.CLIENT);
    io.csfl.actor.TestClusters.form(WAIT, server, client, intruder);
  }

  @AfterAll
  static void cleanup() {
    intruder.shutdownTestKit();
    client.shutdownTestKit();
    server.shutdownTestKit();
  }

  /** {@code ref}, from {@code owner}'s node, as the intruder's node reaches it. */
  private static <T> ActorRef<T> fromIntruder(ActorTestKit owner, ActorRef<T> ref) {
    return ActorRefResolver.get(intruder.system()).resolveActorRef(ActorRefResolver.get(owner.system()).toSerializationFormat(ref));
  }

  private static void expectWarning(ActorTestKit on, String text, Runnable send) {
    LoggingTestKit.warn(text).expect(on.system(), () -> {
      send.run();
      return null;
    });
  }

  @Test
  void forgedEndsConfirmationsAndAcknowledgementsAreRefusedAndTheRealEndArrives() throws InterruptedException {
    AtomicBoolean ended = new AtomicBoolean();
    ActorRef<RunEnd.Command> listener = client.spawn(RunEnd.listener(ended, false), "run-end");
    ActorRef<RunEnd.Command> reached = fromIntruder(client, listener);

    // An end that names an address on the server's node: acknowledged there, never confirmed.
    TestProbe<RunEnd.Acked> serverNodeActor = server.createTestProbe();
    reached.tell(new RunEnd.Ended(true, "forged", 1, fromIntruder(server, serverNodeActor.getRef())));
    RunEnd.Acked acked = serverNodeActor.expectMessageClass(RunEnd.Acked.class, WAIT);
    expectWarning(client, "ignored a confirmation of the end of the run with a challenge this node did not send",
        () -> reached.tell(new RunEnd.Confirmed(acked.challenge() + 1)));
    TestProbe<RunEnd.Acked> intruderActor = intruder.createTestProbe();
    expectWarning(client, "ignored the end of the run announced by",
        () -> reached.tell(new RunEnd.Ended(true, "forged", 1, intruderActor.getRef())));
    assertFalse(ended.get(), "no forged end was believed");

    // The intruder listens too, so it learns a nonce of its own, and acknowledges in the client's name with it.
    TestProbe<RunEnd.Command> intruderListener = intruder.createTestProbe();
    intruder.system().receptionist().tell(Receptionist.register(RunEnd.KEY, intruderListener.getRef()));
    TestProbe<Receptionist.Listing> listings = server.createTestProbe();
    server.system().receptionist().tell(Receptionist.subscribe(RunEnd.KEY, listings.getRef()));
    listings.fishForMessage(WAIT, l -> l.getServiceInstances(RunEnd.KEY).size() == 2
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    server.spawn(RunEnd.announce(false, "", new AtomicBoolean(), false), "announcer");
    RunEnd.Ended real = intruderListener.expectMessageClass(RunEnd.Ended.class, WAIT);
    expectWarning(server, "refused an acknowledgement of the end of the run in the name of",
        () -> real.replyTo().tell(new RunEnd.Acked(real.nonce(), 0, reached)));

    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!ended.get() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertTrue(ended.get(), "the server's own end reached the client node");
  }
}
