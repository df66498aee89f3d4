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
   * Fails with one line naming the problem when {@code dir} lacks a file, its certificate is not
   * signed by its CA or not valid now, or its key is unreadable or not the certificate's: Akka would
   * only log a failed handshake per connection.
   */
  static void checkTlsDir(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--tls-dir " + dir + ": " + (Files.exists(dir) ? "not a directory" : "no such directory")
          + " (create it with 'csfl certs')");
    }
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
    checkKeyMatches(dir, cert);
  }

  /**
   * Fails with one line unless tls.key is a private key Akka can read (PEM, as Akka reads it) whose
   * signatures tls.crt's public key verifies: with any other key the node would start, and then
   * fail every handshake, logging each, and never join.
   */
  private static void checkKeyMatches(Path dir, X509Certificate cert) {
    java.security.PrivateKey key;
    try {
      key = privateKey(dir.resolve(TLS_FILES.get(0)));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("--tls-dir " + dir + ": tls.key is not a PEM private key");
    }
    if (!isKeyOf(key, cert)) {
      throw new IllegalArgumentException("--tls-dir " + dir + ": tls.key is not the key of tls.crt");
    }
  }

  /**
   * Whether {@code key} is the private key of {@code cert}: a signature made with the one verifies
   * with the other's public key. A certificate issued with a key that is not its CA's is signed, and
   * looks issued, but no peer accepts it.
   */
  public static boolean isKeyOf(java.security.PrivateKey key, X509Certificate cert) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> key.getAlgorithm();
    };
    byte[] challenge = new byte[32];
    new java.security.SecureRandom().nextBytes(challenge);
    try {
      java.security.Signature signer = java.security.Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * The private key in the PEM file {@code file}, read as Akka's engine provider reads it; Akka's
   * {@code PEMLoadingException} (a RuntimeException) when it holds none.
   */
  static java.security.PrivateKey privateKey(Path file) throws IOException {
    return akka.pki.pem.DERPrivateKeyLoader.load(akka.pki.pem.PEMDecoder.decode(Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII)));
  }

  /**
   * The X.509 certificate in the PEM (or DER) file {@code file}.
   *
   * @throws IllegalArgumentException naming the file, if it holds none or cannot be read
   */
  public static X509Certificate certificate(Path file) {
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

  /**
   * Reads, before the node starts, the CSFL settings of {@code config} (a node's whole
   * configuration) that its actors and extensions read only later, and Akka's log level: a value
   * of the wrong type or out of range is then one line naming the setting, instead of an actor
   * that fails to start and a node that waits for it (or Akka's stack trace). The same for the
   * akka.* settings a node's actor system, cluster, remoting, split-brain resolver, singleton and
   * receptionist read as they start, read here by Akka's own settings classes, as Akka reads them.
   * IllegalArgumentException says what is wrong.
   */
  public static void checkSettings(Config config) {
    try {
      checkAkkaSettings(config.resolve());
      io.csfl.internal.transfer.TransferSettings.from(config);
      try {
        io.csfl.internal.wire.WireLimits.ofParameters(config.getLong("csfl.codec.max-parameters"));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("csfl.codec.max-parameters: " + e.getMessage());
      }
      notNegative(config, "csfl.client-pool.settle");
      notNegative(config, "csfl.rejoin.delay");
      notNegative(config, "csfl.server.start-wait-report");
      notNegative(config, "csfl.tls-warm-up.max-time");
      if (config.getBytes("csfl.tls-warm-up.bytes") < 0) {
        throw new IllegalArgumentException("csfl.tls-warm-up.bytes must not be negative (0 turns the warm-up off)");
      }
      String level = config.getString("akka.loglevel");
      if (akka.event.Logging.levelFor(level).isEmpty()) { // the names Akka itself reads, in any case
        throw new IllegalArgumentException("akka.loglevel must be one of OFF, ERROR, WARNING, INFO, DEBUG, got " + level);
      }
      String pool = "csfl.training-dispatcher.thread-pool-executor.fixed-pool-size";
      if (config.hasPath(pool) && config.getInt(pool) <= 0) {
        throw new IllegalArgumentException(pool + " must be positive, got " + config.getInt(pool));
      }
    } catch (com.typesafe.config.ConfigException | ArithmeticException | akka.ConfigurationException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  /**
   * Akka's settings of a node, made from {@code config} by the classes Akka makes them with at its
   * start. A bad value there fails inside one of Akka's system actors (the cluster daemon, for a
   * split-brain resolver setting), which Akka logs with a stack trace before it stops the node.
   * Their constructors check types and ranges (Akka's own require clauses) and keep nothing.
   */
  private static void checkAkkaSettings(Config config) {
    new akka.actor.ActorSystem.Settings(ClusterConfig.class.getClassLoader(), config, "csfl");
    new akka.cluster.ClusterSettings(config, "csfl").MultiDataCenter(); // made when first asked for, as are the parts below
    akka.cluster.sbr.SplitBrainResolverSettings resolver = new akka.cluster.sbr.SplitBrainResolverSettings(config);
    switch (resolver.DowningStrategy()) {
      case "static-quorum" -> resolver.staticQuorumSettings();
      case "keep-oldest" -> resolver.keepOldestSettings();
      case "lease-majority" -> resolver.leaseMajoritySettings();
      case "keep-majority" -> resolver.keepMajorityRole();
      default -> { } // down-all has no settings of its own
    }
    // The canonical and bind addresses are checked by the flags that set them (--host, --port).
    akka.remote.artery.ArterySettings.apply(config.getConfig("akka.remote.artery")).Advanced().Tcp();
    akka.cluster.singleton.ClusterSingletonManagerSettings.create(config.getConfig("akka.cluster.singleton"));
    akka.cluster.singleton.ClusterSingletonProxySettings.create(config.getConfig("akka.cluster.singleton-proxy"));
    akka.cluster.typed.internal.receptionist.ClusterReceptionistSettings.apply(config.getConfig("akka.cluster.typed.receptionist"));
  }

  private static void notNegative(Config config, String key) {
    java.time.Duration d = config.getDuration(key);
    if (d.isNegative()) {
      throw new IllegalArgumentException(key + " must not be negative, got " + d);
    }
  }

  /** Plain TCP: anyone who reaches the port can join. For a laptop or a closed test network only. */
  public static Config insecure() {
    return ConfigFactory.empty().withValue("akka.remote.artery.transport", ConfigValueFactory.fromAnyRef("tcp"));
  }
}
