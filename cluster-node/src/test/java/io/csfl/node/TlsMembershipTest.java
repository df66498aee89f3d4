package io.csfl.node;

import static io.csfl.actor.TestClusters.up;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.Address;
import akka.actor.typed.ActorSystem;
import akka.cluster.typed.Cluster;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.TestClusters;
import io.csfl.cluster.ClusterConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS keeps a federation closed: nodes with a certificate from the federation's CA (made by
 * {@code csfl certs}) become members; a node without TLS, and one whose certificate comes from
 * another CA, keep knocking and never do.
 */
class TlsMembershipTest {
  /** The foreign nodes retry their join every second, so the watch below sees many attempts. */
  private static final Config NODE = ConfigFactory.parseString(String.join("\n",
      "akka.actor.serialize-messages = on",
      "akka.coordinated-shutdown.exit-jvm = off",
      "akka.cluster.retry-unsuccessful-join-after = 1s",
      "akka.loglevel = WARNING"));

  @TempDir
  Path dir;

  private final LoopbackNodes nodes = new LoopbackNodes(NODE);

  @AfterEach
  void stopAll() {
    nodes.close();
  }

  private static int certs(String... args) {
    return CsflCommand.commandLine().execute(args);
  }

  private ActorSystem<Void> node(Config transport, ActorSystem<?> joinTo) {
    return nodes.start(transport, joinTo);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
      Thread.sleep(50);
    }
  }

  @Test
  void onlyNodesWithTheFederationsCertificatesBecomeMembers() throws Exception {
    Path ours = dir.resolve("ours");
    Path theirs = dir.resolve("theirs");
    assertEquals(0, certs("certs", "--out", ours.toString(), "--nodes", "seed,member"));
    assertEquals(0, certs("certs", "--out", theirs.toString(), "--nodes", "intruder"));

    ActorSystem<Void> seed = node(ClusterConfig.tls(ours.resolve("seed")), null);
    List<String> warnings = TestClusters.warnings(seed);
    await("the seed is up", () -> up(seed).equals(Set.of(seed.address())));

    // The foreign nodes knock first, so they have had longer than the member when it is in.
    ActorSystem<Void> plain = node(ClusterConfig.insecure(), seed);
    ActorSystem<Void> otherCa = node(ClusterConfig.tls(theirs.resolve("intruder")), seed);
    ActorSystem<Void> member = node(ClusterConfig.tls(ours.resolve("member")), seed);
    Set<Address> both = Set.of(seed.address(), member.address());
    await("the member with our CA's certificate is up, as both see it", () -> up(seed).equals(both) && up(member).equals(both));

    await("the seed logged that it refused them", () -> warnings.stream().anyMatch(w -> w.startsWith("refused ")));

    // Several more join attempts of each foreign node: none gets in, nor sees anyone.
    long watchUntil = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (System.nanoTime() < watchUntil) {
      assertEquals(both, up(seed), "only the two certified nodes are members");
      assertEquals(2, StreamSupport.stream(Cluster.get(seed).state().getMembers().spliterator(), false).count(),
          "nobody else, not even joining");
      assertTrue(up(plain).isEmpty(), "the node without TLS is no member");
      assertTrue(up(otherCa).isEmpty(), "the node with another CA's certificate is no member");
      Thread.sleep(100);
    }
  }

  @Test
  void certsWritesNothingWhereANodesPlaceIsTakenOrANewCaWouldReplaceAKey() throws Exception {
    Path out = dir.resolve("taken");
    Files.createDirectories(out.resolve("b"));
    Files.writeString(out.resolve("b/tls.key"), "a key of another CA\n");
    StringWriter err = new StringWriter();
    var cl = CsflCommand.commandLine();
    cl.setErr(new PrintWriter(err, true));
    assertEquals(2, cl.execute("certs", "--out", out.toString(), "--nodes", "a,b"));
    assertTrue(err.toString().strip().endsWith("(a new CA replaces no node's key)") && err.toString().lines().count() == 1, err.toString());
    assertEquals("a key of another CA\n", Files.readString(out.resolve("b/tls.key")));
    assertFalse(Files.exists(out.resolve("ca")) || Files.exists(out.resolve("a")), "nothing written");

    Path fed = dir.resolve("file");
    assertEquals(0, certs("certs", "--out", fed.toString(), "--nodes", "a"));
    Files.writeString(fed.resolve("z"), "not a directory");
    StringWriter err2 = new StringWriter();
    var cl2 = CsflCommand.commandLine();
    cl2.setErr(new PrintWriter(err2, true));
    assertEquals(2, cl2.execute("certs", "--out", fed.toString(), "--nodes", "y,z", "--add-nodes"));
    assertTrue(err2.toString().contains("exists and is not a directory"), err2.toString());
    assertFalse(Files.exists(fed.resolve("y")), "nothing written");
  }

  @Test
  void certsRefusesToReplaceACaAndAddsNodesFromTheSameOne() throws Exception {
    Path out = dir.resolve("fed");
    assertEquals(0, certs("certs", "--out", out.toString(), "--nodes", "a"));
    String caBefore = Files.readString(out.resolve("ca/ca.crt"));

    StringWriter err = new StringWriter();
    var cl = CsflCommand.commandLine();
    cl.setErr(new PrintWriter(err, true));
    assertEquals(2, cl.execute("certs", "--out", out.toString(), "--nodes", "b"));
    assertEquals(1, err.toString().lines().count(), "one line: " + err);
    assertTrue(err.toString().contains("--add-nodes"), err.toString());

    assertEquals(0, certs("certs", "--out", out.toString(), "--nodes", "b", "--add-nodes"));
    assertEquals(caBefore, Files.readString(out.resolve("ca/ca.crt")), "the CA is kept");
    assertEquals(caBefore, Files.readString(out.resolve("b/ca.crt")));
    for (Path key : List.of(out.resolve("ca/ca.key"), out.resolve("a/tls.key"), out.resolve("b/tls.key"))) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)), key.toString());
    }
    // tls.crt chains to the CA: the node's own start-up check passes, and fails for a foreign CA.
    ClusterConfig.tls(out.resolve("b"));
    assertEquals(0, certs("certs", "--out", dir.resolve("other").toString(), "--nodes", "x"));
    Files.copy(dir.resolve("other/ca/ca.crt"), out.resolve("b/ca.crt"), StandardCopyOption.REPLACE_EXISTING);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterConfig.tls(out.resolve("b")));
    assertTrue(e.getMessage().contains("not signed by ca.crt"), e.getMessage());

    // A key that is not tls.crt's, or no key at all, is refused at the start too: with it the node
    // would start, fail every handshake and never join.
    Files.copy(out.resolve("ca/ca.crt"), out.resolve("b/ca.crt"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(out.resolve("a/tls.key"), out.resolve("b/tls.key"), StandardCopyOption.REPLACE_EXISTING);
    e = assertThrows(IllegalArgumentException.class, () -> ClusterConfig.tls(out.resolve("b")));
    assertEquals("--tls-dir " + out.resolve("b") + ": tls.key is not the key of tls.crt", e.getMessage());
    Files.writeString(out.resolve("b/tls.key"), "garbage\n");
    e = assertThrows(IllegalArgumentException.class, () -> ClusterConfig.tls(out.resolve("b")));
    assertEquals("--tls-dir " + out.resolve("b") + ": tls.key is not a PEM private key", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ClusterConfig.tls(out.resolve("nowhere")));
    assertEquals("--tls-dir " + out.resolve("nowhere") + ": no such directory (create it with 'csfl certs')", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ClusterConfig.tls(out.resolve("b/tls.crt")));
    assertTrue(e.getMessage().endsWith("tls.crt: not a directory (create it with 'csfl certs')"), e.getMessage());
  }

  @Test
  void aNodeWithoutCertificatesOrInsecureRefusesToStart() {
    for (List<String> args : List.of(List.of("node", "--role", "client"),
        List.of("node", "--role", "client", "--tls-dir", dir.toString()),
        List.of("node", "--role", "client", "--insecure", "--tls-dir", dir.toString()),
        List.of("certs", "--out", dir.toString(), "--nodes", "../x"))) {
      StringWriter err = new StringWriter();
      var cl = CsflCommand.commandLine();
      cl.setErr(new PrintWriter(err, true));
      assertEquals(2, cl.execute(args.toArray(String[]::new)), args.toString());
      assertEquals(1, err.toString().lines().count(), args + ": " + err);
    }
  }
}
