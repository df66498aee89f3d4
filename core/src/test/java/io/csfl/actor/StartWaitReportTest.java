package io.csfl.actor;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.receptionist.Receptionist;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.tensor.Model;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A server that starts by itself once enough clients and an aggregator registered says, at each
 * interval (csfl.server.start-wait-report), what it still waits for and why the last client was
 * refused; once it starts it says nothing more. Real aggregator, probes as clients, real serialization.
 */
class StartWaitReportTest {
  private static final String SIGNATURE = "random/64 waiting";
  private static final String AGGREGATOR_SIGNATURE = "model=mlp";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final ActorTestKit testKit = TestModels.serializingTestKitWaitingForLogs("csfl.server.start-wait-report = 300ms");
  private final Model initial = TestModels.mlp().initialModel(1);

  @AfterEach
  void cleanup() {
    testKit.shutdownTestKit();
  }

  @Test
  void aServerWaitingForItsClientsSaysWhatItWaitsForUntilItStarts() {
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2).roundTimeout(Duration.ofMinutes(5))
        .minCompleted(2).maxAttempts(1).seed(5).minClients(2).dataSignature(SIGNATURE).aggregatorSignature(AGGREGATOR_SIGNATURE)
        .clients(2).build();
    TestProbe<Server.Event> events = testKit.createTestProbe();
    LoggingTestKit.warn("waiting to start: 0 of the 2 clients it starts with are registered, no aggregator").expect(testKit.system(),
        () -> testKit.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef())));

    ActorRef<Aggregator.Command> aggregator = testKit.spawn(
        Aggregator.create(new FedAvg().newServer(initial, 1), new MagnitudePruner(), AGGREGATOR_SIGNATURE));
    testKit.system().receptionist().tell(Receptionist.register(Aggregator.KEY, aggregator));
    TestProbe<Client.Command> foreign = testKit.createTestProbe();
    LoggingTestKit.warn("waiting to start: 0 of the 2 clients it starts with are registered, and an aggregator; "
            + "the last client refused: client client-0001: its data signature differs from this server's")
        .expect(testKit.system(), () -> {
          testKit.system().receptionist().tell(Receptionist.register(Client.KEY, foreign.getRef()));
          return answer(foreign, Client.id(1), "other data");
        });

    TestProbe<Client.Command> first = testKit.createTestProbe();
    TestProbe<Client.Command> second = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(Client.KEY, first.getRef()));
    testKit.system().receptionist().tell(Receptionist.register(Client.KEY, second.getRef()));
    answer(first, Client.id(0), SIGNATURE);
    answer(second, Client.id(1), SIGNATURE);
    first.expectMessageClass(Client.TrainRound.class, WAIT);
    second.expectMessageClass(Client.TrainRound.class, WAIT);
    // Started: several intervals pass without a word.
    LoggingTestKit.warn("waiting to start").withOccurrences(0).expect(testKit.system(), () -> {
      events.expectNoMessage(Duration.ofMillis(1500));
      return null;
    });
  }

  /** Answers the server's handshake as {@code id} with data of {@code signature}. */
  private static Void answer(TestProbe<Client.Command> probe, String id, String signature) {
    probe.expectMessageClass(Client.Describe.class, WAIT).replyTo().tell(new Client.Description(id, signature, 10, probe.getRef()));
    return null;
  }
}
