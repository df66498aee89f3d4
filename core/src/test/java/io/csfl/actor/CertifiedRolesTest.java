package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.Address;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.csfl.strategy.FedAvg;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Roles bound to certificates, as the role checks see them: two nodes of a real cluster on
 * loopback, one declaring the server role. The certificate records are made by hand here (the TLS
 * transport of cluster-node makes them from handshakes; see its RoleBindingTest).
 */
class CertifiedRolesTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aDeclaredRoleCountsOnlyWithACertificateThatPermitsIt() throws InterruptedException {
    ActorTestKit home = ActorTestKit.create("csfl", TestClusters.node(0, "client", ""));
    ActorTestKit claimant = ActorTestKit.create("csfl", TestClusters.node(0, "server", ""));
    try {
      TestClusters.form(WAIT, home, claimant);
      TestProbe<Client.Description> answers = claimant.createTestProbe();
      ActorRef<Client.Description> fromClaimant = TestClusters.reachedFrom(home, claimant, answers.getRef());
      Address there = claimant.system().address();
      int port = there.getPort().orElseThrow();
      CertifiedRoles roles = CertifiedRoles.get(home.system());

      assertNull(ControlChecks.notOnMemberWithRole(home.system(), fromClaimant, Server.ROLE), "without binding the declared role stands");
      assertFalse(ControlChecks.unknownMember(home.system(), fromClaimant));

      roles.bind();
      String unseen = ControlChecks.notOnMemberWithRole(home.system(), fromClaimant, Server.ROLE);
      assertTrue(unseen != null && unseen.contains("not seen its certificate"), unseen);
      assertTrue(ControlChecks.unknownMember(home.system(), fromClaimant), "an unseen certificate is asked about again later");

      roles.record("127.0.0.1", port, Set.of("client"));
      String exceeded = ControlChecks.notOnMemberWithRole(home.system(), fromClaimant, Server.ROLE);
      assertTrue(exceeded != null && exceeded.contains("permits [client], not the server role"), exceeded);
      assertFalse(ControlChecks.unknownMember(home.system(), fromClaimant), "a seen certificate is a final verdict");

      // The claimant's handshake reaches a client on the bound node, which does not answer it.
      ActorRef<Client.Command> client = home.spawn(Client.create(Client.id(0), "sig", new FedAvg().newClient(), TestModels.trainer(),
          TestModels.dataset(), new int[] {0, 1, 2, 3}, 0), Client.id(0), Client.DISPATCHER);
      ActorRef<Client.Command> clientFromClaimant = TestClusters.reachedFrom(claimant, home, client);
      LoggingTestKit.warn("refused a handshake").withMessageContains("not the server role").expect(home.system(), () -> {
        clientFromClaimant.tell(new Client.Describe(answers.getRef()));
        return null;
      });
      answers.expectNoMessage(Duration.ofMillis(300));

      roles.record("127.0.0.1", port, Set.of("client", "server"));
      assertNull(ControlChecks.notOnMemberWithRole(home.system(), fromClaimant, Server.ROLE), "a certificate that permits the role");
      clientFromClaimant.tell(new Client.Describe(answers.getRef()));
      assertEquals(Client.id(0), answers.expectMessageClass(Client.Description.class, WAIT).clientId());

      // A removal makes earlier records doubtful for downing, not for the checks (the next handshake replaces them).
      assertEquals(Optional.of(Set.of("client", "server")), roles.current(there));
      roles.removed(there);
      assertEquals(Optional.empty(), roles.current(there));
      assertEquals(Optional.of(Set.of("client", "server")), roles.of(there));
      roles.record("127.0.0.1", port, Set.of("client"));
      assertEquals(Optional.of(Set.of("client")), roles.current(there));
    } finally {
      claimant.shutdownTestKit();
      home.shutdownTestKit();
    }
  }
}
