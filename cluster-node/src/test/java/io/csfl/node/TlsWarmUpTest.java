package io.csfl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.cluster.ClusterConfig;
import io.csfl.cluster.TlsWarmUp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS warm-up a node runs before it joins: the node's own certificates, its settings, its bounds. */
class TlsWarmUpTest {
  @TempDir
  Path dir;

  /** A node's configuration as csfl node builds it, with mutual TLS from {@code tls} and {@code settings} over it. */
  private static Config node(Path tls, String settings) {
    return ClusterConfig.of("csfl", "127.0.0.1", 0, Set.of(), List.of(), ConfigFactory.parseString(settings).withFallback(ClusterConfig.tls(tls)));
  }

  private Path certs(String out) {
    assertEquals(0, CsflCommand.commandLine().execute("certs", "--out", dir.resolve(out).toString(), "--nodes", "a"));
    return dir.resolve(out).resolve("a");
  }

  @Test
  void handshakesWithTheNodesOwnCertificateAndCarriesRecordsUpToTheByteBound() throws Exception {
    Path a = certs("federation");
    TlsWarmUp.Result done = TlsWarmUp.run(node(a, "csfl.tls-warm-up { bytes = 20 MiB, max-time = 10m }"));
    // 8 MiB each way per connection: 20 MiB take two connections, each with its own full handshake.
    assertEquals(2, done.handshakes());
    assertTrue(done.bytes() >= 20L << 20 && done.bytes() < 21L << 20, "bytes carried: " + done.bytes());
  }

  @Test
  void usesTheConfiguredProtocolAndCipherSuite() throws Exception {
    Path a = certs("federation");
    String tls13 = "akka.remote.artery.ssl.rotating-keys-engine { protocol = \"TLSv1.3\", enabled-algorithms = [\"TLS_AES_128_GCM_SHA256\"] }\n";
    assertEquals(1, TlsWarmUp.run(node(a, tls13 + "csfl.tls-warm-up { bytes = 1 MiB, max-time = 10m }")).handshakes());
    // A TLS 1.2 cipher suite cannot be negotiated over TLS 1.3 only: the settings are the engine's, not defaults.
    String mismatch = "akka.remote.artery.ssl.rotating-keys-engine { protocol = \"TLSv1.3\", enabled-algorithms = [\"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\"] }\n";
    assertThrows(SSLException.class, () -> TlsWarmUp.run(node(a, mismatch + "csfl.tls-warm-up { bytes = 1 MiB, max-time = 10m }")));
  }

  @Test
  void aCertificateItsCaDidNotSignFailsTheHandshakeAsBetweenNodes() throws Exception {
    Path a = certs("federation");
    Path other = certs("other");
    Path mixed = Files.createDirectories(dir.resolve("mixed"));
    Files.copy(a.resolve("tls.key"), mixed.resolve("tls.key"));
    Files.copy(a.resolve("tls.crt"), mixed.resolve("tls.crt"));
    Files.copy(other.resolve("ca.crt"), mixed.resolve("ca.crt"));
    // ClusterConfig.tls would refuse this directory; the engine settings are given directly.
    Config config = node(a, "akka.remote.artery.ssl.rotating-keys-engine.ca-cert-file = \"" + mixed.resolve("ca.crt").toString().replace("\\", "/")
        + "\"\ncsfl.tls-warm-up { bytes = 1 MiB, max-time = 10m }");
    assertThrows(SSLException.class, () -> TlsWarmUp.run(config));
  }

  @Test
  void zeroBytesOrAnElapsedTimeBoundDoNothing() throws Exception {
    Path a = certs("federation");
    assertEquals(new TlsWarmUp.Result(0, 0, java.time.Duration.ZERO), TlsWarmUp.run(node(a, "csfl.tls-warm-up { bytes = 0, max-time = 10m }")));
    assertEquals(new TlsWarmUp.Result(0, 0, java.time.Duration.ZERO), TlsWarmUp.run(node(a, "csfl.tls-warm-up { bytes = 1 MiB, max-time = 0s }")));
  }

  @Test
  void theTimeBoundEndsItBeforeTheByteBound() throws Exception {
    TlsWarmUp.Result done = TlsWarmUp.run(node(certs("federation"), "csfl.tls-warm-up { bytes = 1 GiB, max-time = 1ms }"));
    assertTrue(done.bytes() < 1L << 30, "bytes carried: " + done.bytes());
  }

  @Test
  void theNodeDefaultsStayWithinTheirByteBound() throws Exception {
    Config defaults = node(certs("federation"), "");
    TlsWarmUp.Result done = TlsWarmUp.run(defaults);
    // Two records past the bound at most: the bound is checked before each pair of records.
    assertTrue(done.bytes() <= defaults.getBytes("csfl.tls-warm-up.bytes") + (64 << 10), "bytes carried: " + done.bytes());
  }
}
