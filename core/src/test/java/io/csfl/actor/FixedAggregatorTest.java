package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.tensor.Model;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A server created with its aggregator ({@code Server.create(settings, aggregator, ...)}) has no
 * other to turn to: when that aggregator stops, the run ends at once, saying so, instead of
 * waiting out the aggregator grace (two minutes by default) for one that cannot come.
 */
class FixedAggregatorTest {
  static final ActorTestKit testKit = TestModels.serializingTestKit();

  @AfterAll
  static void cleanup() {
    testKit.shutdownTestKit();
  }

  @Test
  void aServerGivenItsAggregatorAbortsAtOnceWhenItStops() {
    Model initial = TestModels.mlp().initialModel(1);
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(Aggregator.create(new FedAvg().newServer(initial, 3), new MagnitudePruner()));
    TestProbe<Server.Event> events = testKit.createTestProbe();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(3).clientsPerRound(1)
        .roundTimeout(Duration.ofSeconds(60)).seed(5).build();
    ActorRef<Server.Command> server = testKit.spawn(
        Server.create(settings, aggregator, Evaluator.of(TestModels.mlp(), TestModels.dataset()), events.getRef()));
    TestProbe<Client.Command> client = testKit.createTestProbe();
    server.tell(new Server.RegisterClient("a", client.getRef()));
    server.tell(new Server.Start());
    client.expectMessageClass(Client.Describe.class, Duration.ofSeconds(30)).replyTo()
        .tell(new Client.Description("a", "", 10, client.getRef()));
    client.expectMessageClass(Client.TrainRound.class, Duration.ofSeconds(30));

    testKit.stop(aggregator);

    Server.Aborted aborted = events.expectMessageClass(Server.Aborted.class, Duration.ofSeconds(15));
    assertTrue(aborted.reason().contains("stopped") && aborted.reason().contains("cannot get another"), aborted.reason());
  }
}
