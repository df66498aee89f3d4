package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Payloads;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A client whose update does not arrive says so with the secret of its order, across nodes, every
 * message serialized: the server's node ("home") refuses chunked messages above 16 KiB, and the
 * client's node ("member") sends everything above 1 KiB in chunks, so the update of a logistic
 * regression (31 KB) is refused while its downlink (sent whole) arrives. The collector takes the
 * client's failure report, the client confirms it, and the round ends without waiting for the
 * deadline, with the update of the client on the server's node. A failure that comes after the
 * client has sent the next round's update is reported to its own round's collector.
 */
class LostUplinkTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String SIGNATURE = "random/64 lost uplink";

  private static ActorRef<Client.Command> client(ActorTestKit kit, int index, Architecture architecture) {
    String id = Client.id(index);
    return kit.spawn(Client.create(id, SIGNATURE, new FedAvg().newClient(), TestModels.trainer(architecture), TestModels.dataset(),
        new int[] {4 * index, 4 * index + 1, 4 * index + 2, 4 * index + 3}, index), id, Client.DISPATCHER);
  }

  /** Runs {@code test} on the two nodes of the class comment, a cluster: the server's ("home") and a client's ("member"). */
  private static void onTwoNodes(java.util.function.BiConsumer<ActorTestKit, ActorTestKit> test) throws InterruptedException {
    ActorTestKit home = ActorTestKit.create("csfl", TestClusters.node(0, "server, aggregator", "csfl.transfer.max-bytes = 16 KiB"));
    ActorTestKit member = ActorTestKit.create("csfl", TestClusters.node(0, "client", "csfl.transfer.direct-limit = 1 KiB"));
    try {
      TestClusters.form(WAIT, home, member);
      test.accept(home, member);
    } finally {
      member.shutdownTestKit();
      home.shutdownTestKit();
    }
  }

  @Test
  void aClientWhoseUpdateIsLostReportsItWithItsSecretAndConfirmsIt() throws InterruptedException {
    onTwoNodes(LostUplinkTest::assertTheRoundEndsWithoutTheLostUpdate);
  }

  /**
   * A trainer whose first training takes half a second longer, and counts {@code began} down as it
   * begins: the client's next order, sent then, arrives meanwhile, so that the first update's
   * transfer fails after the second is sent.
   */
  private static LocalTrainer slowFirst(LocalTrainer trainer, java.util.concurrent.CountDownLatch began) {
    return TestModels.beforeEachTraining(trainer, training -> {
      if (training == 1) {
        began.countDown();
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
  }

  @Test
  void aFailedUpdateIsReportedAsItsOwnRoundsEvenOnceTheNextIsSent() throws InterruptedException {
    onTwoNodes((home, member) -> {
      Architecture logreg = Architecture.logreg(784, 10);
      Model initial = logreg.initialModel(1);
      java.util.concurrent.CountDownLatch firstBegan = new java.util.concurrent.CountDownLatch(1);
      ActorRef<Client.Command> client = TestClusters.reachedFrom(home, member, member.spawn(Client.create(Client.id(1), SIGNATURE,
          new FedAvg().newClient(), slowFirst(TestModels.trainer(logreg), firstBegan), TestModels.dataset(), new int[] {4, 5, 6, 7}, 1),
          Client.id(1), Client.DISPATCHER));
      TestProbe<Client.Description> server = home.createTestProbe();
      client.tell(new Client.Describe(server.getRef()));
      server.expectMessageClass(Client.Description.class, WAIT);

      // Two orders from two collectors on the server's node; both updates (31 KB) are refused there.
      TestProbe<Client.Reply> firstCollector = home.createTestProbe();
      TestProbe<Client.Reply> secondCollector = home.createTestProbe();
      client.tell(new Client.TrainRound(1, Payloads.dense(initial), 11, firstCollector.getRef()));
      // Sent once the first has begun training: an order that waits behind a newer one is skipped.
      TestModels.awaitOpened(firstBegan, "the first training never began");
      client.tell(new Client.TrainRound(2, Payloads.dense(initial), 22, secondCollector.getRef()));
      Client.Failed first = firstCollector.expectMessageClass(Client.Failed.class, WAIT);
      assertEquals(List.of(1, 11L), List.of(first.round(), first.secret()), "the first round's failure goes to its own collector");
      Client.Failed second = secondCollector.expectMessageClass(Client.Failed.class, WAIT);
      assertEquals(List.of(2, 22L), List.of(second.round(), second.secret()));
      secondCollector.expectNoMessage(Duration.ofMillis(500));
    });
  }

  private static void assertTheRoundEndsWithoutTheLostUpdate(ActorTestKit home, ActorTestKit member) {
    Architecture logreg = Architecture.logreg(784, 10);
    Model initial = logreg.initialModel(1);
    ActorRef<Aggregator.Command> aggregator = home.spawn(Aggregator.create(new FedAvg().newServer(initial, 1), new MagnitudePruner()));
    TestProbe<Server.Event> events = home.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2).roundTimeout(Duration.ofMinutes(5))
        .minCompleted(1).maxAttempts(1).seed(5).dataSignature(SIGNATURE).clients(2).build();
    ActorRef<Server.Command> server = home.spawn(Server.create(settings, aggregator, Evaluator.of(logreg, TestModels.dataset()), events.getRef()));
    ActorRef<Client.Command> remote = client(member, 1, logreg);
    server.tell(new Server.RegisterClient(Client.id(0), client(home, 0, logreg)));
    server.tell(new Server.RegisterClient(Client.id(1), TestClusters.reachedFrom(home, member, remote)));

    Server.RoundCompleted done = LoggingTestKit.warn("round 1: client client-0001 reports it failed: update did not arrive")
        .expect(home.system(), () -> {
          server.tell(new Server.Start());
          return events.expectMessageClass(Server.RoundCompleted.class, WAIT);
        });
    // The round's deadline is five minutes: it ended because the failure report was taken and confirmed.
    assertEquals(2, done.metrics().clientsSelected());
    assertEquals(1, done.metrics().clientsCompleted(), "the update of the client on the server's node was folded");
    assertTrue(done.rejections().isEmpty(), "the failure report carried the client's secret: " + done.rejections());
  }
}
