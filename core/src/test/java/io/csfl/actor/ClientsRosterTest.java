package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A clients host keeps the requests that wait for an introduction bounded, whatever a server sends: one node with
 * the server and client roles, every message serialized, the hosted clients played by probes so that the
 * introduction completes only when the test lets it.
 */
class ClientsRosterTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String SIGNATURE = "random/64 hosted";
  private ActorTestKit node;

  @BeforeEach
  void node() {
    node = ActorTestKit.create("csfl", TestClusters.node(0, "server, client", ""));
  }

  @AfterEach
  void cleanup() {
    node.shutdownTestKit();
  }

  @Test
  void aFloodOfRequestsWaitsBoundedAndTheServersLatestRequestIsAnswered() {
    List<TestProbe<Client.Command>> hosted = List.of(node.createTestProbe(Client.Command.class), node.createTestProbe(Client.Command.class));
    // The introduction ends with the clients' answers, never by its timer: 2,000 requests come first.
    ActorRef<Client.HostCommand> host = node.spawn(ClientsRoster.create(hosted.stream().map(TestProbe::getRef).toList(),
        Duration.ofMinutes(10)));
    TestProbe<Client.Descriptions> stale = node.createTestProbe(Client.Descriptions.class);
    TestProbe<Client.Descriptions> flooder = node.createTestProbe(Client.Descriptions.class);
    TestProbe<Client.Descriptions> server = node.createTestProbe(Client.Descriptions.class);
    int flood = 1000;

    AtomicInteger refusals = new AtomicInteger();
    AtomicInteger pastTheEnd = new AtomicInteger();
    LoggingTestKit.empty().withCustom(e -> {
      if (e.message().contains("refused a request for position")) {
        return refusals.incrementAndGet() > 0;
      }
      return e.message().contains("was asked for position") && pastTheEnd.incrementAndGet() > 0;
    }).withOccurrences(1 + ClientsRoster.MAX_WAITING - 3).expect(node.system(), () -> {
      host.tell(new Client.DescribeHosted(0, stale.getRef()));
      for (int i = 1; i <= flood; i++) {
        host.tell(new Client.DescribeHosted(i, flooder.getRef()));
        host.tell(new Client.DescribeHosted(1, flooder.getRef()));
      }
      host.tell(new Client.DescribeHosted(0, server.getRef())); // asked again: it replaces the stale request

      for (TestProbe<Client.Command> client : hosted) {
        Client.Introduce introduce = client.expectMessageClass(Client.Introduce.class, WAIT);
        int index = hosted.indexOf(client);
        introduce.replyTo().tell(new Client.Description(Client.id(index), SIGNATURE, 1, client.getRef()));
      }

      Client.Descriptions answer = server.expectMessageClass(Client.Descriptions.class, WAIT);
      assertEquals(0, answer.from());
      assertEquals(2, answer.total());
      assertEquals(List.of(Client.id(0), Client.id(1)), answer.clients().stream().map(Client.Description::clientId).toList());
      // Positions 1 and 2 of the flood waited too; it asked for each once more than the host remembers.
      assertEquals(List.of(1, 2), List.of(flooder.expectMessageClass(Client.Descriptions.class, WAIT).from(),
          flooder.expectMessageClass(Client.Descriptions.class, WAIT).from()));
      // Answered at once now, after every waiting request was dealt with.
      host.tell(new Client.DescribeHosted(0, server.getRef()));
      server.expectMessageClass(Client.Descriptions.class, WAIT);
      return null;
    });

    assertEquals(1, refusals.get(), "the refusals of one introduction are logged once");
    assertEquals(ClientsRoster.MAX_WAITING - 3, pastTheEnd.get(),
        "besides positions 0, 1 and 2, only the positions up to the bound waited, each answered with a warning");
    flooder.expectNoMessage(Duration.ofMillis(200));
    stale.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aClientThatAnswersTheIntroductionLateIsDescribedAfterTheOthers() {
    List<TestProbe<Client.Command>> hosted = List.of(node.createTestProbe(Client.Command.class), node.createTestProbe(Client.Command.class));
    // The introduction's timer never fires here: the test ends the introduction itself, after the
    // first client's answer (both go to the host from this thread, so they arrive in that order).
    ActorRef<Client.HostCommand> host = node.spawn(ClientsRoster.create(hosted.stream().map(TestProbe::getRef).toList(),
        Duration.ofMinutes(10)));
    TestProbe<Client.Descriptions> server = node.createTestProbe(Client.Descriptions.class);
    host.tell(new Client.DescribeHosted(0, server.getRef()));
    Client.Introduce toFirst = hosted.get(0).expectMessageClass(Client.Introduce.class, WAIT);
    Client.Introduce toSecond = hosted.get(1).expectMessageClass(Client.Introduce.class, WAIT);
    toFirst.replyTo().tell(new Client.Description(Client.id(0), SIGNATURE, 1, hosted.get(0).getRef()));
    host.tell(new ClientsRoster.IntroductionOver(1));

    // The second is busy past the introduction's end: the answer names the first, and says one has not answered.
    Client.Descriptions answer = server.expectMessageClass(Client.Descriptions.class, WAIT);
    assertEquals(List.of(0, 1, 1), List.of(answer.from(), answer.total(), answer.unanswered()));
    host.tell(new Client.DescribeHosted(1, server.getRef()));
    assertEquals(List.of(1, 1, 0, 1), describe(server.expectMessageClass(Client.Descriptions.class, WAIT)), "nothing new yet");

    toSecond.replyTo().tell(new Client.Description(Client.id(1), SIGNATURE, 1, hosted.get(1).getRef()));
    toSecond.replyTo().tell(new Client.Description(Client.id(1), SIGNATURE, 1, hosted.get(1).getRef())); // once only
    host.tell(new Client.DescribeHosted(1, server.getRef()));
    Client.Descriptions late = server.expectMessageClass(Client.Descriptions.class, WAIT);
    assertEquals(List.of(1, 2, 1, 0), describe(late));
    assertEquals(Client.id(1), late.clients().get(0).clientId());
  }

  /** A batch's position, total, size and unanswered count. */
  private static List<Integer> describe(Client.Descriptions batch) {
    return List.of(batch.from(), batch.total(), batch.clients().size(), batch.unanswered());
  }
}
