package io.csfl.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.serialization.Serializer;
import akka.serialization.Serializers;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Client;
import io.csfl.actor.Server;
import io.csfl.data.Dataset;
import io.csfl.data.FashionMnist;
import io.csfl.data.Partitioner;
import io.csfl.nn.Architecture;
import io.csfl.nn.Evaluator;
import io.csfl.nn.NetworkTrainer;
import io.csfl.nn.OptimizerConfig;
import io.csfl.nn.TrainingConfig;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.MagnitudePruner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Uses csfl-core with only the dependency versions its pom hands to a dependent. Every message is
 * serialized and read back ({@code serialize-messages = on}), so a control message that the
 * resolved Jackson cannot read fails here as it would between two cluster nodes.
 */
class ConsumerFederationTest {
  private static final Config CONFIG =
      ConfigFactory.parseString("akka.actor.serialize-messages = on").withFallback(ConfigFactory.load());

  @Test
  void theClusterHandshakeMessageSurvivesSerialization() throws Exception {
    ActorSystem<Client.Description> system = ActorSystem.create(Behaviors.ignore(), "consumer-handshake", CONFIG);
    try {
      Client.Describe describe = new Client.Describe(system);
      Serialization serialization = SerializationExtension.get(system);
      Serializer serializer = serialization.findSerializerFor(describe);

      byte[] bytes = serialization.serialize(describe).get();
      Object back = serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, describe)).get();

      assertEquals(describe, back);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }

  /** The Apache License asks that what is redistributed carry the licence and the NOTICE: an application bundling csfl-core finds both in its jar. */
  @Test
  void theCoreJarCarriesItsLicenceAndNotice() throws Exception {
    java.net.URL jar = Server.class.getProtectionDomain().getCodeSource().getLocation();
    assertTrue(jar.getPath().endsWith(".jar"), "csfl-core comes from its jar here, not from classes: " + jar);
    try (java.util.jar.JarFile file = new java.util.jar.JarFile(Path.of(jar.toURI()).toFile())) {
      String licence = new String(file.getInputStream(file.getJarEntry("META-INF/LICENSE")).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      String notice = new String(file.getInputStream(file.getJarEntry("META-INF/NOTICE")).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(licence.contains("Apache License") && licence.contains("Version 2.0"), licence.lines().findFirst().orElse(""));
      assertTrue(notice.startsWith("CSFL"), notice.lines().findFirst().orElse(""));
    }
  }

  /**
   * Jackson's Scala module 2.23 was built on Scala 2.13.18 and Akka 2.6.21 on 2.13.8; Scala's
   * library runs only code built on the same or an earlier release, so a dependent must get the later.
   */
  @Test
  void theScalaLibraryIsTheLaterOfThoseAkkaAndJacksonWereBuiltOn() {
    String version = scala.util.Properties.versionNumberString();
    int patch = Integer.parseInt(version.split("\\.")[2].replaceAll("\\D.*", ""));
    assertTrue(version.startsWith("2.13.") && patch >= 18, version);
  }

  @Test
  void logbackIsNotForcedOnTheApplication() {
    assertThrows(ClassNotFoundException.class, () -> Class.forName("ch.qos.logback.classic.Logger"));
  }

  @Test
  void aThreeRoundFederationFinishesWithEveryMessageSerialized() throws Exception {
    FashionMnist.Splits data = FashionMnist.load(Optional.of(dataDir()));
    Dataset train = data.train().head(3000);
    Architecture mlp = Architecture.mlp();
    FederatedStrategy cs = new ComplementSparsification(CsOptions.defaults());
    NetworkTrainer trainer = new NetworkTrainer(mlp, new TrainingConfig(1, 32, OptimizerConfig.adam(0.01)));
    List<int[]> parts = Partitioner.parse("iid").split(train, 5, new Random(3));
    int rounds = 3;
    CompletableFuture<Server.Event> done = new CompletableFuture<>();

    String signature = "fashion-mnist/3000 iid 5 clients, seed 3";
    // The cluster's way: the server finds the aggregator and the clients through the receptionist
    // and asks each client to describe itself before it trains it.
    Behavior<Void> app = Behaviors.setup(ctx -> {
      ActorRef<Server.Event> listener = ctx.spawn(Behaviors.receive(Server.Event.class)
          .onMessage(Server.Finished.class, f -> { done.complete(f); return Behaviors.stopped(); })
          .onMessage(Server.Aborted.class, a -> { done.complete(a); return Behaviors.stopped(); })
          .onAnyMessage(e -> Behaviors.same())
          .build(), "listener");
      ActorRef<Aggregator.Command> aggregator = ctx.spawn(
          Aggregator.create(cs.newServer(mlp.initialModel(3), rounds), new MagnitudePruner()), "aggregator");
      ctx.getSystem().receptionist().tell(Receptionist.register(Aggregator.KEY, aggregator));
      for (int i = 0; i < parts.size(); i++) {
        String id = "client-" + i;
        ActorRef<Client.Command> client = ctx.spawn(
            Client.create(id, signature, cs.newClient(), trainer, train, parts.get(i), i), id, Client.DISPATCHER);
        ctx.getSystem().receptionist().tell(Receptionist.register(Client.KEY, client));
      }
      Server.Settings settings =
          Server.Settings.builder("cs").rounds(rounds).clientsPerRound(3).roundTimeout(Duration.ofMinutes(2)).seed(3)
              .minClients(parts.size()).dataSignature(signature).build();
      ActorRef<Server.Command> server = ctx.spawn(
          Server.createDiscovering(settings, Evaluator.of(mlp, data.test().head(1000)), listener),
          "server", Server.DISPATCHER);
      // A message the server cannot send stops it: fail now rather than at the timeout.
      ctx.watch(server);
      return Behaviors.receive(Void.class)
          .onSignal(Terminated.class, t -> {
            done.completeExceptionally(new AssertionError("the server stopped before the last round"));
            return Behaviors.same();
          })
          .build();
    });

    ActorSystem<Void> system = ActorSystem.create(app, "consumer-federation", CONFIG);
    try {
      Server.Finished finished = assertInstanceOf(Server.Finished.class, done.get(3, TimeUnit.MINUTES));
      assertEquals(rounds, finished.rounds().size());
      finished.rounds().forEach(r -> {
        assertEquals(3, r.clientsCompleted(), "round " + r.round());
        assertTrue(r.bytesDown() > 0 && r.bytesUp() > 0, "round " + r.round());
      });
      assertTrue(finished.rounds().get(rounds - 1).accuracy() > 0.3,
          "accuracy " + finished.rounds().get(rounds - 1).accuracy());
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }

  /** {@code -Dcsfl.data=DIR}, or the repository's {@code data/fashion-mnist} above this project. */
  private static Path dataDir() {
    String given = System.getProperty("csfl.data");
    if (given != null) {
      return Path.of(given);
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("data/fashion-mnist"))) {
        return p.resolve("data/fashion-mnist");
      }
    }
    throw new IllegalStateException("no data/fashion-mnist above " + Path.of("").toAbsolutePath() + "; pass -Dcsfl.data=DIR");
  }
}
