package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Aggregator;
import io.csfl.cluster.ClusterConfig;
import io.csfl.codec.DenseSection;
import io.csfl.codec.Payload;
import io.csfl.internal.transfer.TransferFailed;
import io.csfl.internal.transfer.TransferMessage;
import io.csfl.internal.transfer.Transfers;
import io.csfl.tensor.Values;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same traffic over mutual TLS and over plain TCP, between pairs of nodes in one JVM, in
 * alternating order: small request-reply messages (the latency a chunk's acknowledgement sees)
 * and a round's worth of chunked models (four 2 MB messages at once, as a server sends a round's
 * downlink to four clients). Each pair is measured in turn, in an order that rotates every
 * repetition, so a change in the machine's load falls on all of them alike.
 *
 * <p>The test asserts only that everything arrives. It prints, per pair, the medians of the ping
 * round trips, of each round's wall time and of the JVM's CPU time during the round (what TLS
 * takes from cores that also train), and the TLS / plain ratios: this is how the cost of TLS in
 * docs/security.md was measured. System properties: {@code csfl.tls-cost.repetitions} and
 * {@code csfl.tls-cost.warm-up}; {@code csfl.tls-cost.candidate}, HOCON for a second TLS pair and
 * a second plain pair measured in the same rotation (a before / after comparison of settings;
 * the same settings as the default show the noise); {@code csfl.tls-cost.jfr=FILE} records the
 * measured repetitions with Java Flight Recorder's profile settings.
 *
 * <pre>
 * mvn -B -ntp -pl cluster-node -am test -Dtest=TlsCostTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dcsfl.tls-cost.repetitions=40 -Dcsfl.tls-cost.warm-up=10 -Dcsfl.tls-cost.candidate="csfl.transfer.window = 32"
 * </pre>
 */
class TlsCostTest {
  private static final int REPETITIONS = Integer.getInteger("csfl.tls-cost.repetitions", 3);
  private static final int WARM_UP = Integer.getInteger("csfl.tls-cost.warm-up", 1);
  private static final int PINGS = 20;
  private static final int RECIPIENTS = 4;
  private static final int PARAMETERS = 500_000;
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final com.sun.management.OperatingSystemMXBean CPU =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

  @TempDir
  Path dir;

  /** A request and its reply: small, control-sized, on Artery's ordinary stream as a chunk's acknowledgement is. */
  public record Ping(long sent, ActorRef<Ping> replyTo) implements TransferMessage {}

  /** Two nodes of one cluster: the sender, and the receiver with an echo and four model recipients. */
  private final class Pair {
    final String name;
    final ActorSystem<Void> sender;
    final ActorSystem<Void> receiver;
    final ActorRef<Ping> echo;
    final List<ActorRef<Aggregator.Reply>> recipients = new ArrayList<>();
    volatile CountDownLatch arrivals = new CountDownLatch(0);
    final ActorRef<TransferFailed> failures;
    final List<TransferFailed> failed = new CopyOnWriteArrayList<>();
    final List<Double> pingMicros = new ArrayList<>();
    final List<Double> roundMillis = new ArrayList<>();
    /** CPU time of the whole JVM during each round: both nodes' work (the other pairs are idle then). */
    final List<Double> roundCpuMillis = new ArrayList<>();

    Pair(LoopbackNodes nodes, String name, Config sending, Config receiving) throws Exception {
      this.name = name;
      sender = nodes.start(sending, null);
      receiver = nodes.start(receiving, sender);
      await(sender, 2);
      await(receiver, 2);
      ActorRef<Ping> local = receiver.systemActorOf(Behaviors.receiveMessage((Ping p) -> {
        p.replyTo().tell(p);
        return Behaviors.same();
      }), "echo", Props.empty());
      echo = remote(local);
      for (int i = 0; i < RECIPIENTS; i++) {
        ActorRef<Aggregator.Reply> recipient = receiver.systemActorOf(Behaviors.receiveMessage((Aggregator.Reply r) -> {
          arrivals.countDown();
          return Behaviors.same();
        }), "recipient-" + i, Props.empty());
        recipients.add(remote(recipient));
      }
      failures = sender.systemActorOf(Behaviors.receiveMessage((TransferFailed f) -> {
        failed.add(f);
        return Behaviors.same();
      }), "failures", Props.empty());
    }

    private <T> ActorRef<T> remote(ActorRef<T> onReceiver) {
      return ActorRefResolver.get(sender).resolveActorRef(ActorRefResolver.get(receiver).toSerializationFormat(onReceiver));
    }

    /** {@link #PINGS} request-replies one after the other; their median round trip, in µs. */
    void pings(boolean record) throws Exception {
      double[] micros = new double[PINGS];
      for (int i = 0; i < PINGS; i++) {
        long start = System.nanoTime();
        CompletableFuture<Ping> reply = AskPattern.<Ping, Ping>ask(echo, r -> new Ping(start, r), PATIENCE, sender.scheduler())
            .toCompletableFuture();
        reply.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        micros[i] = (System.nanoTime() - start) / 1e3;
      }
      if (record) {
        pingMicros.add(median(micros));
      }
    }

    /** A round's downlink: one model of {@link #PARAMETERS} floats to each recipient at once, until all have it. */
    void round(Aggregator.RoundPrepared model, boolean record) throws Exception {
      CountDownLatch latch = new CountDownLatch(RECIPIENTS);
      arrivals = latch;
      long cpu = CPU.getProcessCpuTime();
      long start = System.nanoTime();
      Transfers transfers = Transfers.get(sender);
      for (ActorRef<Aggregator.Reply> recipient : recipients) {
        transfers.tell(recipient, model, failures);
      }
      assertTrue(latch.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), name + ": the models did not all arrive; failures: " + failed);
      if (record) {
        roundMillis.add((System.nanoTime() - start) / 1e6);
        roundCpuMillis.add((CPU.getProcessCpuTime() - cpu) / 1e6);
      }
    }
  }

  private static void await(ActorSystem<?> system, int members) throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count() < members) {
      assertTrue(System.nanoTime() < deadline, "the pair's cluster did not form");
      Thread.sleep(50);
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static double median(List<Double> values) {
    return median(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private static double quantile(List<Double> values, double q) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[(int) Math.round(q * (sorted.length - 1))];
  }

  @Test
  void tlsAndPlainCarryTheSameTrafficMeasuredSideBySide() throws Exception {
    assertEquals(0, CsflCommand.commandLine().execute("certs", "--out", dir.toString(), "--nodes", "a,b"));
    // Without a candidate: one pair of each, which checks that both carry the traffic.
    String candidate = System.getProperty("csfl.tls-cost.candidate");
    List<Config> settings = candidate == null ? List.of(ConfigFactory.empty()) : List.of(ConfigFactory.empty(), ConfigFactory.parseString(candidate));
    try (LoopbackNodes nodes = new LoopbackNodes(ConfigFactory.parseString("akka.actor.serialize-messages = on\nakka.loglevel = WARNING"))) {
      List<Pair> pairs = new ArrayList<>();
      for (Config s : settings) {
        String label = s == settings.get(0) ? "default" : "candidate";
        pairs.add(new Pair(nodes, "TLS " + label, s.withFallback(ClusterConfig.tls(dir.resolve("a"))), s.withFallback(ClusterConfig.tls(dir.resolve("b")))));
        pairs.add(new Pair(nodes, "plain " + label, s.withFallback(ClusterConfig.insecure()), s.withFallback(ClusterConfig.insecure())));
      }
      float[] values = new float[PARAMETERS];
      for (int i = 0; i < PARAMETERS; i++) {
        values[i] = (i % 1000) * 0.001f - 0.5f;
      }
      Aggregator.RoundPrepared model = new Aggregator.RoundPrepared(1, 0L, new Payload(List.of(new DenseSection(0, Values.copyOf(values)))), Map.of());

      String jfr = System.getProperty("csfl.tls-cost.jfr");
      Recording recording = jfr == null ? null : new Recording(Configuration.getConfiguration("profile"));
      for (int rep = 0; rep < WARM_UP + REPETITIONS; rep++) {
        if (rep == WARM_UP && recording != null) {
          recording.start();
        }
        for (int k = 0; k < pairs.size(); k++) {
          // Rotating order: each pair goes first, second, ... in turn.
          Pair pair = pairs.get((rep + k) % pairs.size());
          pair.pings(rep >= WARM_UP);
          pair.round(model, rep >= WARM_UP);
        }
      }
      if (recording != null) {
        recording.dump(Path.of(jfr));
        recording.close();
      }
      for (Pair pair : pairs) {
        assertTrue(pair.failed.isEmpty(), pair.name + ": " + pair.failed);
        System.out.printf(Locale.ROOT, "tls-cost: %-16s ping %s µs; round of %d x %d MB: wall %s ms, CPU %s ms%n", pair.name,
            summary(pair.pingMicros), RECIPIENTS, 4 * PARAMETERS / 1_000_000, summary(pair.roundMillis), summary(pair.roundCpuMillis));
      }
      for (int c = 0; c < pairs.size(); c += 2) {
        Pair tls = pairs.get(c);
        Pair plain = pairs.get(c + 1);
        System.out.printf(Locale.ROOT, "tls-cost: %s settings: TLS / plain, medians of %d: pings %.3f, round wall %.3f, round CPU %.3f%n",
            tls.name.substring(4), REPETITIONS, median(tls.pingMicros) / median(plain.pingMicros),
            median(tls.roundMillis) / median(plain.roundMillis), median(tls.roundCpuMillis) / median(plain.roundCpuMillis));
      }
    }
  }

  /** Median, quartiles and minimum: under load the minimum is the least disturbed of the samples. */
  private static String summary(List<Double> values) {
    return String.format(Locale.ROOT, "median %.1f (quartiles %.1f-%.1f, min %.1f)", median(values), quantile(values, 0.25),
        quantile(values, 0.75), quantile(values, 0));
  }
}
