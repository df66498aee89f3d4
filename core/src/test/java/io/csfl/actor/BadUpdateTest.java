package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.csfl.codec.DenseSection;
import io.csfl.codec.Payload;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.strategy.Payloads;
import io.csfl.tensor.Model;
import io.csfl.tensor.Values;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Two "clients" played by test probes answer a round with every kind of bad reply. The round must
 * complete with the one good update, and every bad one must be refused with its reason.
 */
class BadUpdateTest {
  static final ActorTestKit testKit = TestModels.serializingTestKit();

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  @Test
  void staleDuplicateUnselectedAndMalformedUpdatesAreRefusedAndTheRoundGoesOn() {
    Model initial = TestModels.mlp().initialModel(1);
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(Aggregator.create(new FedAvg().newServer(initial, 1), new MagnitudePruner()));
    TestProbe<Server.Event> events = testKit.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(2)
        .roundTimeout(Duration.ofSeconds(20)).maxAttempts(1).seed(5).build();
    ActorRef<Server.Command> server = testKit.spawn(
        Server.create(settings, aggregator, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    TestProbe<Client.Command> a = testKit.createTestProbe();
    TestProbe<Client.Command> b = testKit.createTestProbe();
    server.tell(new Server.RegisterClient("a", a.getRef()));
    server.tell(new Server.RegisterClient("b", b.getRef()));
    server.tell(new Server.Start());
    a.expectMessageClass(Client.Describe.class, Duration.ofSeconds(30)).replyTo().tell(new Client.Description("a", "", 10, a.getRef()));
    b.expectMessageClass(Client.Describe.class, Duration.ofSeconds(30)).replyTo().tell(new Client.Description("b", "", 10, b.getRef()));

    Client.TrainRound toA = a.expectMessageClass(Client.TrainRound.class, Duration.ofSeconds(30));
    Client.TrainRound toB = b.expectMessageClass(Client.TrainRound.class, Duration.ofSeconds(30));
    Payload good = Payloads.dense(initial);
    Payload malformed = new Payload(List.of(new DenseSection(0, Values.copyOf(new float[] {1, 2, 3}))));
    toA.replyTo().tell(new Client.Trained(7, "a", toA.secret(), 10, good, 0.1, 1, 1));  // stale round
    toA.replyTo().tell(new Client.Trained(1, "mallory", 0, 10, good, 0.1, 1, 1));        // not selected
    toA.replyTo().tell(TestModels.trained(toA, "a", 10, good));                           // good
    toA.replyTo().tell(TestModels.trained(toA, "a", 10, good));                           // duplicate
    toB.replyTo().tell(TestModels.trained(toB, "b", 10, malformed));                      // wrong shape

    Server.RoundCompleted done = events.expectMessageClass(Server.RoundCompleted.class, Duration.ofSeconds(20));
    assertEquals(2, done.metrics().clientsSelected());
    assertEquals(1, done.metrics().clientsCompleted(), "only the good update is aggregated");
    List<String> reasons = done.rejections();
    assertEquals(4, reasons.size(), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("round 7 during round 1")), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("mallory") && r.contains("not selected")), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("second reply")), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("client b") && r.contains("sections")), reasons.toString());
    assertTrue(done.metrics().bytesUp() > 5 * 4 * initial.spec().parameterCount() / 2, "refused updates crossed the wire too and count");
    events.expectMessageClass(Server.Finished.class, Duration.ofSeconds(30));
  }
}
