package io.csfl.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Akka configuration of one cluster node: CSFL's cluster defaults plus this node's address and
 * roles. The defaults (csfl-cluster.conf) speak mutual TLS: give a node its certificate with
 * {@link #tls(Path)}, or opt out with {@link #insecure()}.
 */
public final class ClusterConfig {
  /** The files of a node's TLS directory, as {@code csfl certs} writes them (and cert-manager does). */
  public static final List<String> TLS_FILES = List.of("tls.key", "tls.crt", "ca.crt");

  private ClusterConfig() {}

  /**
   * @param seedNodes host:port of the nodes to join through (this node's own address may be one)
   * @param overrides a user's HOCON, applied over everything else; include {@link #tls(Path)} or
   *     {@link #insecure()} here
   */
  public static Config of(String systemName, String host, int port, Set<String> roles, List<String> seedNodes, Config overrides) {
    List<String> seeds = seedNodes.stream().map(s -> "akka://" + systemName + "@" + s).collect(Collectors.toList());
    return overrides
        .withFallback(ConfigFactory.empty()
            .withValue("akka.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
            .withValue("akka.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
            .withValue("akka.cluster.roles", ConfigValueFactory.fromIterable(roles))
            .withValue("akka.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds)))
        .withFallback(defaults());
  }

  /**
   * A node's settings before a user's and its own: CSFL's cluster defaults (csfl-cluster.conf)
   * over the loaded config; its {@code csfl.*} keys are the settings a config file may give.
   */
  public static Config defaults() {
    return ConfigFactory.parseResources("csfl-cluster.conf").withFallback(ConfigFactory.load());
  }

  /**
   * Mutual TLS with the PEM files in {@code dir} ({@link #TLS_FILES}): the node presents
   * tls.crt and accepts only peers whose certificate ca.crt signed. The node rereads the files
   * every few minutes, so replaced certificates take effect without a restart.
   */
  public static Config tls(Path dir) {
    checkTlsDir(dir);
    Path abs = dir.toAbsolutePath();
    String engine = "akka.remote.artery.ssl.rotating-keys-engine.";
    return ConfigFactory.empty()
        .withValue("akka.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
        .withValue(engine + "key-file", ConfigValueFactory.fromAnyRef(abs.resolve(TLS_FILES.get(0)).toString()))
        .withValue(engine + "cert-file", ConfigValueFactory.fromAnyRef(abs.resolve(TLS_FILES.get(1)).toString()))
        .withValue(engine + "ca-cert-file", ConfigValueFactory.fromAnyRef(abs.resolve(TLS_FILES.get(2)).toString()));
  }

  /**
   * Fails with one line naming the problem when {@code dir} lacks a file, or its certificate is
   * not signed by its CA or not valid now: Akka would only log a failed handshake per connection.
   */
  static void checkTlsDir(Path dir) {
    for (String file : TLS_FILES) {
      if (!Files.isReadable(dir.resolve(file))) {
        throw new IllegalArgumentException("--tls-dir " + dir + ": no readable " + file + " (create it with 'csfl certs')");
      }
    }
    X509Certificate cert = certificate(dir.resolve(TLS_FILES.get(1)));
    X509Certificate ca = certificate(dir.resolve(TLS_FILES.get(2)));
    try {
      cert.verify(ca.getPublicKey());
      cert.checkValidity();
    } catch (CertificateException e) {
      throw new IllegalArgumentException("--tls-dir " + dir + ": tls.crt is not valid now: " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("--tls-dir " + dir + ": tls.crt is not signed by ca.crt");
    }
  }

  static X509Certificate certificate(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (IOException | CertificateException | ClassCastException e) {
      throw new IllegalArgumentException(file + " is not a PEM X.509 certificate");
    }
  }

  /**
   * Akka Management's HTTP endpoint on {@code host:port} (0: any free port): {@code /ready} and
   * {@code /alive}, and the cluster routes under {@code /cluster/members}. The routes that change
   * membership (leave, down) are served only on a loopback address: the endpoint has no
   * authentication, and anyone who reaches it could otherwise take nodes out of the federation,
   * past the TLS that guards the cluster port.
   *
   * @param clients how many clients a client node should host before it is ready (see {@link NodeReadiness})
   */
  public static Config management(String host, int port, int clients) {
    return ConfigFactory.empty()
        .withValue("akka.management.http.hostname", ConfigValueFactory.fromAnyRef(host))
        .withValue("akka.management.http.port", ConfigValueFactory.fromAnyRef(port))
        .withValue("akka.management.http.route-providers-read-only", ConfigValueFactory.fromAnyRef(!isLoopback(host)))
        .withValue(NodeReadiness.CLIENTS_KEY, ConfigValueFactory.fromAnyRef(clients));
  }

  static boolean isLoopback(String host) {
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("--management-host " + host + ": unknown host");
    }
  }

  /** Plain TCP: anyone who reaches the port can join. For a laptop or a closed test network only. */
  public static Config insecure() {
    return ConfigFactory.empty().withValue("akka.remote.artery.transport", ConfigValueFactory.fromAnyRef("tcp"));
  }
}
