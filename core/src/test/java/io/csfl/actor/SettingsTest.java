package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SettingsTest {
  private static void refused(String message, Consumer<Server.Settings.Builder> set) {
    Server.Settings.Builder builder = Server.Settings.builder("cs");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> set.accept(builder));
    assertEquals(message, e.getMessage());
  }

  @Test
  void everythingButTheAlgorithmHasADefault() {
    Server.Settings s = Server.Settings.builder("cs").build();
    assertEquals("cs", s.algorithm());
    assertEquals(30, s.rounds());
    assertEquals(10, s.clientsPerRound());
    assertEquals(Duration.ofMinutes(10), s.roundTimeout());
    assertEquals(1, s.minCompleted());
    assertEquals(3, s.maxAttempts());
    assertEquals(1, s.seed());
    assertEquals(0, s.minClients());
    assertEquals("", s.dataSignature());
    assertEquals(1.0, s.overSelect());
    assertEquals(0, s.clients());
    assertEquals(Server.Settings.DEFAULT_AGGREGATOR_GRACE, s.aggregatorGrace());
    assertEquals(Server.Settings.DEFAULT_CLIENT_GRACE, s.clientGrace());
    assertEquals(Duration.ZERO, s.lostClientWait());
    assertEquals(10, s.sampled());
  }

  @Test
  void setValuesAreKeptAndCarriedToADerivedBuilder() {
    Server.Settings s = Server.Settings.builder("fedavg").rounds(20).clientsPerRound(4).roundTimeout(Duration.ofMinutes(1))
        .minCompleted(3).maxAttempts(5).seed(-7).minClients(6).dataSignature("sig").overSelect(1.3).clients(40)
        .aggregatorGrace(Duration.ZERO).clientGrace(Duration.ofSeconds(5)).lostClientWait(Duration.ofSeconds(20)).build();
    Server.Settings renamed = s.withAlgorithm("cs");
    for (Server.Settings t : new Server.Settings[] {s, renamed}) {
      assertEquals(20, t.rounds());
      assertEquals(4, t.clientsPerRound());
      assertEquals(Duration.ofMinutes(1), t.roundTimeout());
      assertEquals(3, t.minCompleted());
      assertEquals(5, t.maxAttempts());
      assertEquals(-7, t.seed());
      assertEquals(6, t.minClients());
      assertEquals("sig", t.dataSignature());
      assertEquals(1.3, t.overSelect());
      assertEquals(40, t.clients());
      assertEquals(Duration.ZERO, t.aggregatorGrace());
      assertEquals(Duration.ofSeconds(5), t.clientGrace());
      assertEquals(Duration.ofSeconds(20), t.lostClientWait());
      assertEquals(6, t.sampled());
    }
    assertEquals("fedavg", s.algorithm());
    assertEquals("cs", renamed.algorithm());
    assertEquals(2, s.toBuilder().rounds(2).build().rounds());
    assertEquals(20, s.rounds());
  }

  @Test
  void eachSetterRefusesABadValueNamingIt() {
    String rule = "algorithm must be a name of at most 64 letters, digits and . _ + - :, starting with a letter or digit, got ";
    assertEquals(rule + "' '", assertThrows(IllegalArgumentException.class, () -> Server.Settings.builder(" ")).getMessage());
    assertEquals(rule + "null", assertThrows(IllegalArgumentException.class, () -> Server.Settings.builder(null)).getMessage());
    assertEquals(rule + "'cs,trial-2'", assertThrows(IllegalArgumentException.class, () -> Server.Settings.builder("cs,trial-2")).getMessage());
    assertEquals(rule + "'runs/cs'", assertThrows(IllegalArgumentException.class, () -> Server.Settings.builder("runs/cs")).getMessage());
    assertEquals(rule + "'-cs'", assertThrows(IllegalArgumentException.class, () -> Server.Settings.builder("-cs")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Server.Settings.builder("c".repeat(65)));
    assertEquals("cs-1bit-topk", Server.Settings.builder("cs-1bit-topk").build().algorithm());
    assertEquals("cs:0.7", Server.Settings.builder("cs:0.7").build().algorithm());
    assertEquals("c".repeat(64), Server.Settings.builder("c".repeat(64)).build().algorithm());
    refused("rounds must be positive, got 0", b -> b.rounds(0));
    refused("clientsPerRound must be positive, got -1", b -> b.clientsPerRound(-1));
    refused("roundTimeout must be a positive duration, got PT0S", b -> b.roundTimeout(Duration.ZERO));
    refused("roundTimeout must be a positive duration, got null", b -> b.roundTimeout(null));
    refused("minCompleted must be positive, got 0", b -> b.minCompleted(0));
    refused("maxAttempts must be positive, got 0", b -> b.maxAttempts(0));
    refused("minClients must not be negative, got -1", b -> b.minClients(-1));
    refused("dataSignature must not be null (empty accepts any)", b -> b.dataSignature(null));
    refused("overSelect must be a number >= 1, got 0.5", b -> b.overSelect(0.5));
    refused("overSelect must be a number >= 1, got NaN", b -> b.overSelect(Double.NaN));
    refused("overSelect must be a number >= 1, got Infinity", b -> b.overSelect(Double.POSITIVE_INFINITY));
    refused("clients must not be negative, got -3", b -> b.clients(-3));
    refused("aggregatorGrace must be a duration of zero or more, got PT-1S", b -> b.aggregatorGrace(Duration.ofSeconds(-1)));
    refused("clientGrace must be a duration of zero or more, got null", b -> b.clientGrace(null));
    refused("lostClientWait must be a duration of zero or more, got PT-1S", b -> b.lostClientWait(Duration.ofSeconds(-1)));
  }

  @Test
  void buildRefusesMoreCompletedUpdatesThanClientsPerRound() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Server.Settings.builder("cs").clientsPerRound(4).minCompleted(5).build());
    assertEquals("minCompleted (5) exceeds clientsPerRound (4)", e.getMessage());
    // The rule is checked on the final values, in whatever order they were set.
    assertEquals(5, Server.Settings.builder("cs").minCompleted(5).clientsPerRound(5).build().minCompleted());
    assertThrows(IllegalArgumentException.class, () -> Server.Settings.builder("cs").clientsPerRound(5).minCompleted(5).build()
        .toBuilder().clientsPerRound(4).build());
  }

  @Test
  void buildRefusesMoreRoundsOrSampledClientsThanItsEventsAndReportsCanList() {
    assertEquals(Bounded.MAX_ENTRIES, Server.Settings.builder("cs").rounds(Bounded.MAX_ENTRIES).build().rounds());
    IllegalArgumentException rounds = assertThrows(IllegalArgumentException.class,
        () -> Server.Settings.builder("cs").rounds(Bounded.MAX_ENTRIES + 1).build());
    assertEquals("rounds must be at most 65536, got 65537", rounds.getMessage());
    assertEquals(Bounded.MAX_ENTRIES, Server.Settings.builder("cs").clientsPerRound(32_768).overSelect(2).build().sampled());
    IllegalArgumentException sampled = assertThrows(IllegalArgumentException.class,
        () -> Server.Settings.builder("cs").clientsPerRound(32_769).overSelect(2).build());
    assertEquals("clientsPerRound times overSelect must be at most 65536, got 32769 times 2.0", sampled.getMessage());
  }
}
