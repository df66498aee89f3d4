package io.csfl.actor;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.typesafe.config.ConfigFactory;
import io.csfl.codec.Payload;
import io.csfl.data.Dataset;
import io.csfl.data.RandomImages;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.strategy.FedAvg;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.MagnitudePruner;
import java.time.Duration;
import java.util.List;

/** Small real models and data for actor tests that do not need Fashion-MNIST. */
final class TestModels {
  private TestModels() {}

  /**
   * How long a test kit's shutdown may take before it fails the test: a minute, not the test kit's
   * 10 s, since a cluster node's leave on a loaded machine can take longer, and the shutdown is not
   * what the tests check.
   */
  static final String SLOW_SHUTDOWN = "akka.actor.testkit.typed.system-shutdown-default = 60s";

  /** A test kit whose every message goes through real serialization. */
  static ActorTestKit serializingTestKit() {
    return ActorTestKit.create(ConfigFactory.parseString("akka.actor.serialize-messages = on\n" + SLOW_SHUTDOWN)
        .withFallback(ConfigFactory.load()));
  }

  /**
   * {@link #serializingTestKit()} whose log expectations wait up to 60 s, for tests that wait on
   * a line logged after actor work on a loaded machine.
   */
  static ActorTestKit serializingTestKitWaitingForLogs() {
    return serializingTestKitWaitingForLogs("");
  }

  /** {@link #serializingTestKitWaitingForLogs()} with {@code extra} (HOCON) on top. */
  static ActorTestKit serializingTestKitWaitingForLogs(String extra) {
    return ActorTestKit.create(ConfigFactory.parseString(
            "akka.actor.serialize-messages = on\nakka.actor.testkit.typed.filter-leeway = 60s\n" + SLOW_SHUTDOWN + "\n" + extra)
        .withFallback(ConfigFactory.load()));
  }

  /**
   * Runs {@code code} and returns once the server has logged {@code line} at DEBUG, a level the
   * tests' logging passes for the server alone while this runs.
   */
  static <T> T expectServerDebug(ActorTestKit kit, String line, java.util.function.Supplier<T> code) {
    return withServerLogAt(ch.qos.logback.classic.Level.DEBUG,
        () -> akka.actor.testkit.typed.javadsl.LoggingTestKit.debug(line).expect(kit.system(), code));
  }

  /** Runs {@code code} with the server's logger at {@code level} (the tests' logging shows warnings only). */
  static <T> T withServerLogAt(ch.qos.logback.classic.Level level, java.util.function.Supplier<T> code) {
    ch.qos.logback.classic.Logger serverLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Server.class);
    ch.qos.logback.classic.Level before = serverLog.getLevel();
    serverLog.setLevel(level);
    try {
      return code.get();
    } finally {
      serverLog.setLevel(before);
    }
  }

  static Architecture mlp() {
    return Architecture.mlp();
  }

  static NetworkTrainer trainer() {
    return trainer(mlp());
  }

  /**
   * {@code inner}, calling {@code before} with the count of trainings so far, this one included
   * (from 1), as each training begins: for a test that acts, or waits, at a given training.
   */
  static LocalTrainer beforeEachTraining(LocalTrainer inner, java.util.function.IntConsumer before) {
    java.util.concurrent.atomic.AtomicInteger trainings = new java.util.concurrent.atomic.AtomicInteger();
    return new LocalTrainer() {
      @Override
      public io.csfl.tensor.ModelSpec spec() {
        return inner.spec();
      }

      @Override
      public io.csfl.nn.TrainingResult train(io.csfl.tensor.Model start, Dataset data, int[] examples, long seed) {
        before.accept(trainings.incrementAndGet());
        return inner.train(start, data, examples, seed);
      }
    };
  }

  /**
   * Waits up to 60 s for {@code latch}, on a thread a test holds back (a trainer's, an evaluator's);
   * fails with {@code never} if it is not opened in that time, or if the thread is interrupted.
   */
  static void awaitOpened(java.util.concurrent.CountDownLatch latch, String never) {
    try {
      if (!latch.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new AssertionError(never);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(never + " (interrupted)", e);
    }
  }

  /** One epoch of plain SGD in batches of 4: quick, and enough to change the weights. */
  static NetworkTrainer trainer(Architecture architecture) {
    return new NetworkTrainer(architecture, new TrainingConfig(1, 4, OptimizerConfig.sgd(0.1, 0)));
  }

  /** The session key of {@code aggregator}, as the server learns it: a prepare without one is answered with it. */
  static long sessionOf(ActorRef<Aggregator.Command> aggregator, TestProbe<Aggregator.Reply> server) {
    aggregator.tell(new Aggregator.PrepareRound(1, 0, 0, List.of(), server.getRef()));
    return server.expectMessageClass(Aggregator.SessionKey.class, Duration.ofSeconds(60)).session();
  }

  /** What client {@code clientId} answers {@code order} with when it trained: {@code update}, claiming {@code examples}. */
  static Client.Trained trained(Client.TrainRound order, String clientId, int examples, Payload update) {
    return new Client.Trained(order.round(), clientId, order.secret(), examples, update, 0.1, 1, 1);
  }

  /** 64 random 28x28 images with random labels. */
  static Dataset dataset() {
    return RandomImages.of(64, 9);
  }

  /**
   * Starts a 3-round fedavg federation of the mlp under {@code settings}: its aggregator, its server
   * (events to the returned probe) and {@code clients} clients of 4 examples each of {@link #dataset()},
   * training with {@code trainer}, registered under their own ids; then tells the server to start.
   */
  static TestProbe<Server.Event> startFedAvg(ActorTestKit kit, String name, Server.Settings settings, Evaluator evaluator,
                                              Server.Checkpointer checkpointer, LocalTrainer trainer, int clients, String signature) {
    return startFedAvg(kit, name, settings, evaluator, checkpointer, trainer, clients, signature, i -> new FedAvg().newClient());
  }

  /** As above, client {@code i} running {@code algorithms.apply(i)}: a stand-in for a client that sends what it likes. */
  static TestProbe<Server.Event> startFedAvg(ActorTestKit kit, String name, Server.Settings settings, Evaluator evaluator,
                                              Server.Checkpointer checkpointer, LocalTrainer trainer, int clients, String signature,
                                              java.util.function.IntFunction<io.csfl.strategy.ClientAlgorithm> algorithms) {
    return startFederation(kit, name, settings, evaluator, checkpointer, trainer, clients, signature, algorithms).events();
  }

  /** A started federation's server, and the probe its events go to. */
  record Started(ActorRef<Server.Command> server, TestProbe<Server.Event> events) {}

  /** As {@link #startFedAvg}, returning the server too, for a test that sends it messages of its own. */
  static Started startFederation(ActorTestKit kit, String name, Server.Settings settings, Evaluator evaluator,
                                 Server.Checkpointer checkpointer, LocalTrainer trainer, int clients, String signature,
                                 java.util.function.IntFunction<io.csfl.strategy.ClientAlgorithm> algorithms) {
    FederatedStrategy fedavg = new FedAvg();
    ActorRef<Aggregator.Command> aggregator = kit.spawn(Aggregator.create(fedavg.newServer(mlp().initialModel(1), 3),
        new MagnitudePruner()), name + "-aggregator");
    TestProbe<Server.Event> events = kit.createTestProbe();
    ActorRef<Server.Command> server = kit.spawn(Server.create(settings, aggregator, evaluator, events.getRef(),
        java.util.Optional.empty(), checkpointer), name + "-server");
    for (int i = 0; i < clients; i++) {
      String id = Client.id(i);
      server.tell(new Server.RegisterClient(id, kit.spawn(Client.create(id, signature, algorithms.apply(i), trainer, dataset(),
          new int[] {4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3}, i), name + "-" + id)));
    }
    server.tell(new Server.Start());
    return new Started(server, events);
  }
}
