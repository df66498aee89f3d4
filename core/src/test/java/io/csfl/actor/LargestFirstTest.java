package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import com.typesafe.config.ConfigFactory;
import io.csfl.nn.Evaluator;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.MagnitudePruner;
import io.csfl.tensor.Model;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A round's clients start training largest first: clients that share one training thread are
 * asked in the order of their example counts, most first (ties by id), so the longest trainings
 * start first. The clients stand in for real ones on a one-thread dispatcher, as simulated clients
 * share a node's training threads; each notes when it is asked, in the order the thread runs them.
 */
class LargestFirstTest {
  private static final String SIGNATURE = "random/64 largest-first";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString("""
          akka.actor.serialize-messages = on
          one-thread {
            type = Dispatcher
            executor = "thread-pool-executor"
            thread-pool-executor.fixed-pool-size = 1
            throughput = 1
          }""").withFallback(ConfigFactory.load()));

  @AfterEach
  void cleanup() {
    testKit.shutdownTestKit();
  }

  /** A client that describes itself with {@code examples} and notes its id in {@code asked} when asked to train. */
  private static Behavior<Client.Command> client(String id, int examples, BlockingQueue<String> asked) {
    return Behaviors.receive((ctx, message) -> {
      if (message instanceof Client.Describe d) {
        d.replyTo().tell(new Client.Description(id, SIGNATURE, examples, ctx.getSelf()));
      } else if (message instanceof Client.TrainRound) {
        asked.add(id);
      }
      return Behaviors.same();
    });
  }

  @Test
  void clientsWithMoreExamplesAreAskedFirst() throws InterruptedException {
    int[] examples = {10, 70, 30, 70, 20, 60};
    int n = examples.length;
    BlockingQueue<String> asked = new LinkedBlockingQueue<>();
    Server.Settings settings = Server.Settings.builder("fedavg").rounds(1).clientsPerRound(n).minCompleted(n)
        .roundTimeout(Duration.ofMinutes(5)).seed(3).minClients(n).clients(n).dataSignature(SIGNATURE).build();
    Model initial = TestModels.mlp().initialModel(1);
    ActorRef<Aggregator.Command> aggregator = testKit.spawn(
        Aggregator.create(new FedAvg().newServer(initial, 1), new MagnitudePruner()), "aggregator");
    testKit.system().receptionist().tell(Receptionist.register(Aggregator.KEY, aggregator));
    testKit.spawn(Server.createDiscovering(settings, Evaluator.of(TestModels.mlp(), TestModels.dataset()),
        testKit.<Server.Event>createTestProbe().getRef()));
    for (int i = 0; i < n; i++) {
      ActorRef<Client.Command> c = testKit.spawn(client(Client.id(i), examples[i], asked), "client-" + i,
          DispatcherSelector.fromConfig("one-thread"));
      testKit.system().receptionist().tell(Receptionist.register(Client.KEY, c));
    }
    List<String> expected = List.of(Client.id(1), Client.id(3), Client.id(5), Client.id(2), Client.id(4), Client.id(0));
    for (String id : expected) {
      assertEquals(id, asked.poll(WAIT.toSeconds(), TimeUnit.SECONDS), "asked so far: " + asked);
    }
  }
}
