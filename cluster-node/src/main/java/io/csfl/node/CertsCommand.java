package io.csfl.node;

import io.csfl.cluster.CertificateRoles;
import io.csfl.cluster.NodePlan;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code csfl certs}: a federation's own certificate authority and one certificate per node, as
 * the PEM files Akka's {@code RotatingKeysSSLEngineProvider} reads (the layout cert-manager
 * writes): {@code NAME/tls.key}, {@code NAME/tls.crt} and {@code NAME/ca.crt}. A node trusts only
 * this CA, so only holders of its certificates can join. Each certificate names the roles its node
 * may take ({@link CertificateRoles}): {@code --nodes NAME:ROLE+ROLE}; a plain name gets the client
 * role only. Keys are RSA because Akka's PEM reader reads RSA keys only.
 */
@Command(name = "certs", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Create a federation CA (DIR/ca/) and a certificate per node (DIR/NAME/: tls.key, tls.crt, ca.crt) "
        + "for 'csfl node --tls-dir DIR/NAME'.")
final class CertsCommand implements Callable<Integer> {
  /**
   * A DNS name every node certificate carries: Akka's provider accepts a peer only if it shares a
   * subject name with the node's own certificate, besides chaining to the CA.
   */
  static final String FEDERATION_NAME = "csfl-federation";
  static final String CA_DIR = "ca";
  static final String KEY = "tls.key";
  static final String CERT = "tls.crt";
  static final String CA_CERT = "ca.crt";
  private static final String CA_KEY = "ca.key";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,62}");
  private static final String SIGNATURE = "SHA256withRSA";
  /** The end of X.509's GeneralizedTime, four-digit years: RFC 5280's notAfter for "no well-defined expiration". */
  private static final Instant LAST_DATE = Instant.parse("9999-12-31T23:59:59Z");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for ca/ and one subdirectory per node.")
  Path out;

  @Option(names = "--nodes", required = true, split = ",", paramLabel = "NAME[:ROLE[+ROLE]][,...]", hideParamSyntax = true,
      description = "Comma list of node names (letters, digits, '.', '-'), each with the roles its certificate permits "
          + "(server, aggregator, client, joined by '+'), e.g. main:server+aggregator,c1:client. A name without roles: client only.")
  List<String> nodes;

  @Option(names = "--add-nodes", description = "Issue the certificates from the CA already in DIR/ca/ (new nodes, or "
      + "renewed certificates for existing ones) instead of creating a CA.")
  boolean addNodes;

  @Option(names = "--days", paramLabel = "N", defaultValue = "365", description = "Validity of the node certificates, in days. Default: ${DEFAULT-VALUE}.")
  int days;

  @Option(names = "--ca-days", paramLabel = "N", defaultValue = "3650", description = "Validity of a new CA, in days (not with --add-nodes, which issues from an existing CA). Default: ${DEFAULT-VALUE}.")
  int caDays;

  private final SecureRandom random = new SecureRandom();

  @Override
  public Integer call() throws Exception {
    if (out.toString().isBlank()) {
      // An empty path would put the CA's key into the working directory.
      throw new CommandLine.ParameterException(spec.commandLine(), "--out must name a directory, got an empty path");
    }
    Map<String, Set<String>> names = new LinkedHashMap<>();
    for (String node : nodes) {
      String name = node.contains(":") ? node.substring(0, node.indexOf(':')) : node;
      if (!NAME.matcher(name).matches() || name.equals(CA_DIR)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--nodes: '" + name + "' is not a node name (1-63 letters, digits, '.', '-'; not 'ca')");
      }
      Set<String> roles = roles(node);
      if (names.containsKey(name)) {
        // One directory per name: a second entry would be issued over the first, or dropped.
        throw new CommandLine.ParameterException(spec.commandLine(), "--nodes: '" + name + "' is named twice");
      }
      names.put(name, roles);
    }
    Instant now = Instant.now();
    requireValidity("--days", days, now);
    requireValidity("--ca-days", caDays, now);
    Path caDir = out.resolve(CA_DIR);
    boolean haveCa = Files.exists(caDir.resolve(CA_CERT)) || Files.exists(caDir.resolve(CA_KEY));
    if (haveCa && !addNodes) {
      return refuse(caDir + " already holds a CA; pass --add-nodes to issue certificates from it, or choose another --out");
    }
    if (addNodes && spec.commandLine().getParseResult().hasMatchedOption("--ca-days")) {
      return refuse("--ca-days is the lifetime of a new CA; --add-nodes issues from the CA in " + caDir + ", whose lifetime is set");
    }
    if (!haveCa && addNodes) {
      return refuse("--add-nodes: no CA in " + caDir + " (create one with 'csfl certs --out " + out + " --nodes ...')");
    }
    if (!haveCa && days > caDays) {
      return refuse("--days " + days + " would outlive the CA (--ca-days " + caDays + "): a node certificate must expire no later "
          + "than the CA that signs it");
    }
    // Before anything is written: a node's place taken by a file, or (for a new CA) a node's key
    // of another CA, which issuing would replace.
    for (String name : names.keySet()) {
      Path dir = out.resolve(name);
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        return refuse(dir + " exists and is not a directory: node " + name + "'s files cannot go there");
      }
      if (!haveCa && Files.exists(dir.resolve(KEY))) {
        return refuse(dir.resolve(KEY) + " already holds a key, not of a CA in " + caDir
            + ": move it away, or choose another --out (a new CA replaces no node's key)");
      }
    }
    // A name without roles: on renewal its certificate's (a server renewed as "main" stays a server), else the client role.
    Set<String> kept = new TreeSet<>();
    for (var node : names.entrySet()) {
      Path cert = out.resolve(node.getKey()).resolve(CERT);
      if (node.getValue() != null) {
        continue;
      }
      if (haveCa && Files.exists(cert)) {
        try {
          node.setValue(new TreeSet<>(CertificateRoles.of(io.csfl.cluster.ClusterConfig.certificate(cert))));
          kept.add(node.getKey());
        } catch (IllegalArgumentException e) {
          return refuse(cert + " cannot be read to keep its roles (" + e.getMessage() + "): give them, as "
              + node.getKey() + ":ROLE+ROLE");
        }
      } else {
        node.setValue(CertificateRoles.DEFAULT);
      }
    }
    Authority ca;
    try {
      ca = haveCa ? Authority.read(caDir) : Authority.create(caDir, now, caDays, random);
    } catch (IOException | GeneralSecurityException e) {
      return refuse("cannot " + (haveCa ? "read the CA in " : "create a CA in ") + caDir + ": " + (e instanceof IOException failed
          ? (haveCa ? io.csfl.internal.files.FileProblems.reading(caDir, failed) : io.csfl.internal.files.FileProblems.writing(caDir, failed))
          : e.getMessage()));
    }
    Instant caEnd = ca.cert().getNotAfter().toInstant();
    if (haveCa && now.plus(Duration.ofDays(days)).isAfter(caEnd)) {
      long left = Duration.between(now, caEnd).toDays();
      return refuse("--days " + days + " would outlive the CA in " + caDir + ", which expires on " + caEnd + ": "
          + (left >= 1 ? "give --days " + left + " or less, or " : "") + "create a new CA with another --out");
    }
    if (!haveCa) {
      System.out.println("created CA " + caDir.resolve(CA_CERT) + " (keep " + caDir.resolve(CA_KEY) + " off the nodes)");
    }
    for (var node : names.entrySet()) {
      Path dir = out.resolve(node.getKey());
      boolean renewed = Files.exists(dir.resolve(CERT));
      Set<String> roles = node.getValue();
      ca.issue(node.getKey(), roles, dir, now, days, random);
      System.out.println((renewed ? "renewed " : "issued ") + node.getKey() + ", roles " + roles
          + (kept.contains(node.getKey()) ? " (kept from its certificate)" : "") + ": " + dir
          + " (" + KEY + ", " + CERT + ", " + CA_CERT + ")");
    }
    return 0;
  }

  /** The roles of {@code NAME:ROLE+ROLE}; null for a plain name (its certificate's on renewal, else the client role). */
  private Set<String> roles(String node) {
    int colon = node.indexOf(':');
    if (colon < 0) {
      return null;
    }
    Set<String> roles = new TreeSet<>();
    for (String role : node.substring(colon + 1).split("\\+", -1)) {
      if (!NodePlan.ROLES.contains(role)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--nodes: '" + node + "': '" + role + "' is not a role (server, aggregator, client, joined by '+')");
      }
      roles.add(role);
    }
    return roles;
  }

  /**
   * Refuses a lifetime of {@code flag} below a day, or one that ends after 9999-12-31, the last
   * date a certificate can hold ({@link #LAST_DATE}): checked before anything is written, as a CA
   * written and then no certificate would stop the next try ("already holds a CA").
   */
  private void requireValidity(String flag, int value, Instant now) {
    if (value < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), flag + " must be at least 1, got " + value);
    }
    if (now.plus(Duration.ofDays(value)).isAfter(LAST_DATE)) {
      throw new CommandLine.ParameterException(spec.commandLine(), flag + " " + value + " ends after 9999-12-31, the last date "
          + "a certificate can hold (at most " + Duration.between(now, LAST_DATE).toDays() + " days from today)");
    }
  }

  private int refuse(String problem) {
    spec.commandLine().getErr().println("csfl: " + CsflCommand.oneLine(problem));
    return CommandLine.ExitCode.USAGE;
  }

  /** A CA's key and self-signed certificate. */
  private record Authority(PrivateKey key, X509Certificate cert) {
    static Authority create(Path dir, Instant now, int days, SecureRandom random) throws IOException, GeneralSecurityException {
      KeyPair pair = rsa(3072, random);
      X500Principal subject = new X500Principal("CN=CSFL federation CA, O=" + FEDERATION_NAME);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = builder(subject, subject, pair.getPublic(), now, days, random);
      try {
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
            .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
            .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      } catch (CertIOException e) {
        throw new GeneralSecurityException(e);
      }
      X509Certificate cert = sign(builder, pair.getPrivate());
      Files.createDirectories(dir);
      restrict(dir, "rwx------");
      writePrivate(dir.resolve(CA_KEY), pair.getPrivate());
      writeAtomically(dir.resolve(CA_CERT), pem("CERTIFICATE", cert.getEncoded()), false);
      return new Authority(pair.getPrivate(), cert);
    }

    static Authority read(Path dir) throws IOException, GeneralSecurityException {
      X509Certificate cert;
      try {
        cert = io.csfl.cluster.ClusterConfig.certificate(dir.resolve(CA_CERT));
      } catch (IllegalArgumentException e) {
        throw new GeneralSecurityException(e.getMessage(), e);
      }
      String text = Files.readString(dir.resolve(CA_KEY), StandardCharsets.US_ASCII);
      String body = text.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "").replaceAll("\\s", "");
      PrivateKey key;
      try {
        key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
      } catch (IllegalArgumentException e) {
        throw new GeneralSecurityException(CA_KEY + " is not a PEM PKCS#8 private key");
      }
      if (!io.csfl.cluster.ClusterConfig.isKeyOf(key, cert)) {
        // Certificates signed with it would be issued, and refused by every node that trusts ca.crt.
        throw new GeneralSecurityException(CA_KEY + " is not the key of " + CA_CERT);
      }
      return new Authority(key, cert);
    }

    /** Writes DIR/tls.key, DIR/tls.crt and DIR/ca.crt for node {@code name} in {@code roles}, replacing earlier ones. */
    void issue(String name, Set<String> roles, Path dir, Instant now, int days, SecureRandom random) throws IOException, GeneralSecurityException {
      KeyPair pair = rsa(2048, random);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = builder(cert.getSubjectX500Principal(), new X500Principal("CN=" + name + ", O=" + FEDERATION_NAME),
          pair.getPublic(), now, days, random);
      try {
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
            .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
            .addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
            .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(subjectNames(name, roles)))
            .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
            .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(cert));
      } catch (CertIOException e) {
        throw new GeneralSecurityException(e);
      }
      X509Certificate issued = sign(builder, key);
      Files.createDirectories(dir);
      writePrivate(dir.resolve(KEY), pair.getPrivate());
      writeAtomically(dir.resolve(CERT), pem("CERTIFICATE", issued.getEncoded()), false);
      writeAtomically(dir.resolve(CA_CERT), pem("CERTIFICATE", cert.getEncoded()), false);
    }

    /** The node's DNS names, then one URI per role it may take. */
    private static GeneralName[] subjectNames(String name, Set<String> roles) {
      List<GeneralName> names = new ArrayList<>(List.of(
          new GeneralName(GeneralName.dNSName, name), new GeneralName(GeneralName.dNSName, FEDERATION_NAME)));
      roles.forEach(role -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, CertificateRoles.uri(role))));
      return names.toArray(GeneralName[]::new);
    }

    /**
     * Valid from 5 minutes before {@code now} (clocks differ) for {@code days}: a CA and the nodes
     * it signs in the same command count from the same instant, so equal days end together.
     */
    private static X509v3CertificateBuilder builder(X500Principal issuer, X500Principal subject, PublicKey key, Instant now, int days,
        SecureRandom random) {
      return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, random).add(BigInteger.ONE),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(days))), subject, key);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
      try {
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE).build(key)));
      } catch (OperatorCreationException e) {
        throw new GeneralSecurityException(e);
      }
    }
  }

  private static KeyPair rsa(int bits, SecureRandom random) throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(bits, random);
    return generator.generateKeyPair();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** An unencrypted PKCS#8 PEM file that only its owner can read. */
  private static void writePrivate(Path file, PrivateKey key) throws IOException {
    writeAtomically(file, pem("PRIVATE KEY", key.getEncoded()), true);
  }

  /**
   * Writes through a temporary file in the same directory, forced to disk, and a rename, so a
   * running node (which rereads its files, see docs/security.md) never sees half a key or
   * certificate, and a power loss does not leave an empty one; a private key's temporary file is
   * private to its owner from the moment it is created.
   */
  private static void writeAtomically(Path file, String text, boolean ownerOnly) throws IOException {
    io.csfl.internal.files.AtomicFiles.write(file, text.getBytes(StandardCharsets.US_ASCII), ownerOnly);
  }

  private static void restrict(Path path, String permissions) throws IOException {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    } catch (UnsupportedOperationException e) { // not POSIX: owner-only through the portable calls
      boolean ok = path.toFile().setReadable(false, false) && path.toFile().setReadable(true, true)
          && path.toFile().setWritable(false, false) && path.toFile().setWritable(true, true);
      if (!ok) {
        throw new IOException("cannot make " + path + " private to its owner");
      }
    }
  }
}
