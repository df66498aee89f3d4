package io.csfl.cluster;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Runs a node's TLS code before the node joins: a client and a server engine made from the node's
 * own key, certificate and CA, with its protocol and cipher suites, shake hands (mutual
 * authentication, as between nodes) and exchange records in memory, up to
 * {@code csfl.tls-warm-up.bytes} or {@code csfl.tls-warm-up.max-time}, whichever comes first.
 *
 * <p>Why: the JVM runs the TLS path (the handshake's signatures and key exchange, the record
 * layer, the AES-GCM cipher) interpreted or barely compiled until that code is hot, and only then
 * do the JDK's AES and GHASH intrinsics take over; and a federation's first rounds, which move only a few megabytes, would otherwise pay for
 * that on the cores that also train. The warm-up moves that cost to the node's start, before any
 * round. It sends nothing over the network and changes no state of the node: its engines and
 * context are thrown away.
 */
public final class TlsWarmUp {
  private static final String ENGINE = "akka.remote.artery.ssl.rotating-keys-engine.";
  /** Application data per record: as much as one TLS record holds, as bulk transfers send. */
  private static final int RECORD = 16 * 1024;
  /** Bytes each direction carries on one pair of engines before the next handshake. */
  private static final long PER_CONNECTION = 8L << 20;
  /** Wraps and unwraps to finish a handshake that has not finished by then: something is wrong. */
  private static final int HANDSHAKE_STEPS = 100;

  private TlsWarmUp() {}

  /** What a warm-up did by the time it returned: handshakes, application bytes carried (both directions together), its wall time. */
  public record Result(int handshakes, long bytes, Duration took) {}

  /**
   * Warms the TLS code of a node whose configuration is {@code config} (the engine's key, cert and
   * CA files, protocol and cipher suites under {@code akka.remote.artery.ssl.rotating-keys-engine},
   * the bounds under {@code csfl.tls-warm-up}). The work runs on a daemon thread, and this method
   * returns at the time bound at the latest, with what was done by then: a handshake under way
   * when it passes (on a loaded machine a cold JVM's first one can take seconds) finishes in the
   * background and nothing follows it.
   *
   * @throws GeneralSecurityException when the files or settings do not make a working TLS
   *     context; the node could not have spoken TLS with them either
   * @throws IOException when a file cannot be read, or the engines fail their handshake
   */
  public static Result run(Config config) throws GeneralSecurityException, IOException {
    long maxBytes = config.getBytes("csfl.tls-warm-up.bytes");
    Duration maxTime = config.getDuration("csfl.tls-warm-up.max-time");
    long start = System.nanoTime();
    if (maxBytes <= 0 || maxTime.isNegative() || maxTime.isZero()) {
      return new Result(0, 0, Duration.ZERO);
    }
    long deadline = start + maxTime.toNanos();
    AtomicInteger handshakes = new AtomicInteger();
    AtomicLong bytes = new AtomicLong();
    FutureTask<Void> work = new FutureTask<>(() -> {
      warm(config, () -> bytes.get() < maxBytes && System.nanoTime() - deadline < 0, handshakes, bytes);
      return null;
    });
    Thread thread = new Thread(work, "csfl-tls-warm-up");
    thread.setDaemon(true);
    thread.start();
    try {
      work.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // The thread stops at its next record, or after the handshake under way.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof GeneralSecurityException security) {
        throw security;
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      throw cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
    }
    return new Result(handshakes.get(), bytes.get(), Duration.ofNanos(System.nanoTime() - start));
  }

  /** Handshakes and records, one pair of engines after the other, while {@code more} says so. */
  private static void warm(Config config, BooleanSupplier more, AtomicInteger handshakes, AtomicLong bytes)
      throws GeneralSecurityException, IOException {
    SSLContext context = context(config);
    String[] protocols = {config.getString(ENGINE + "protocol")};
    String[] suites = config.getStringList(ENGINE + "enabled-algorithms").toArray(String[]::new);
    while (more.getAsBoolean()) {
      // Engines without a peer address: no session is cached, so every pair makes a full handshake.
      SSLEngine client = engine(context, true, protocols, suites);
      SSLEngine server = engine(context, false, protocols, suites);
      Pipe toServer = new Pipe(client, server);
      Pipe toClient = new Pipe(server, client);
      client.beginHandshake();
      server.beginHandshake();
      for (int step = 0; handshaking(client) || handshaking(server); step++) {
        if (step == HANDSHAKE_STEPS) {
          throw new SSLException("the warm-up's handshake did not finish");
        }
        toServer.send(0);
        toClient.send(0);
      }
      handshakes.incrementAndGet();
      for (long sent = 0; sent < PER_CONNECTION && more.getAsBoolean(); ) {
        // Mostly full records, now and then a small one, as a control message makes.
        int size = (sent / RECORD) % 8 == 7 ? 200 : RECORD;
        bytes.addAndGet(toServer.send(size) + toClient.send(size));
        sent += size;
      }
    }
  }

  private static boolean handshaking(SSLEngine engine) {
    HandshakeStatus status = engine.getHandshakeStatus();
    return status != HandshakeStatus.NOT_HANDSHAKING && status != HandshakeStatus.FINISHED;
  }

  private static SSLEngine engine(SSLContext context, boolean client, String[] protocols, String[] suites) {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(client);
    engine.setEnabledProtocols(protocols);
    engine.setEnabledCipherSuites(suites);
    if (!client) {
      engine.setNeedClientAuth(true);
    }
    return engine;
  }

  /** The node's key and certificate, trusting only its CA: what Akka's engine provider builds from the same files. */
  private static SSLContext context(Config config) throws GeneralSecurityException, IOException {
    PrivateKey key = ClusterConfig.privateKey(Path.of(config.getString(ENGINE + "key-file")));
    Certificate cert = ClusterConfig.certificate(Path.of(config.getString(ENGINE + "cert-file")));
    Certificate ca = ClusterConfig.certificate(Path.of(config.getString(ENGINE + "ca-cert-file")));
    char[] password = new char[0];
    KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
    keys.load(null, null);
    keys.setKeyEntry("node", key, password, new Certificate[] {cert});
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, password);
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    trusted.setCertificateEntry("ca", ca);
    TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trustManagers.init(trusted);
    SSLContext context = SSLContext.getInstance(config.getString(ENGINE + "protocol"));
    context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), new SecureRandom());
    return context;
  }

  /** One direction between the two engines, in memory: application bytes wrapped by one, unwrapped by the other. */
  private static final class Pipe {
    private final SSLEngine from;
    private final SSLEngine to;
    private final ByteBuffer out;
    private final ByteBuffer net;
    private final ByteBuffer in;

    Pipe(SSLEngine from, SSLEngine to) {
      this.from = from;
      this.to = to;
      out = ByteBuffer.allocate(RECORD);
      net = ByteBuffer.allocate(from.getSession().getPacketBufferSize());
      in = ByteBuffer.allocate(to.getSession().getApplicationBufferSize());
    }

    /** Wraps {@code size} application bytes (none: handshake messages only) and unwraps all that produced; the bytes carried. */
    long send(int size) throws SSLException {
      out.clear().limit(size);
      long carried = 0;
      do {
        SSLEngineResult wrapped = from.wrap(out, net);
        runTasks(from);
        net.flip();
        while (net.hasRemaining()) {
          SSLEngineResult unwrapped = to.unwrap(net, in);
          runTasks(to);
          carried += unwrapped.bytesProduced();
          in.clear();
          if (unwrapped.getStatus() != SSLEngineResult.Status.OK || unwrapped.bytesConsumed() == 0) {
            break;
          }
        }
        net.compact();
        if (wrapped.getStatus() != SSLEngineResult.Status.OK || wrapped.bytesProduced() == 0) {
          break;
        }
      } while (out.hasRemaining());
      return carried;
    }

    private static void runTasks(SSLEngine engine) {
      for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
        task.run();
      }
    }
  }
}
