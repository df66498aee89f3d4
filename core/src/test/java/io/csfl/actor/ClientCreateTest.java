package io.csfl.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.csfl.strategy.FedAvg;
import org.junit.jupiter.api.Test;

/** A client is refused when it is made, not rounds later, if its examples are not in its data. */
class ClientCreateTest {
  @Test
  void exampleIndicesOutsideTheDataOrNoneAreRefusedAtCreate() {
    IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> Client.create("client-0001",
        new FedAvg().newClient(), TestModels.trainer(), TestModels.dataset(), new int[] {3, 64}, 1));
    assertEquals("client client-0001: example index 64 is outside its data set of 64 examples", outside.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Client.create("client-0001",
        new FedAvg().newClient(), TestModels.trainer(), TestModels.dataset(), new int[] {-1}, 1));
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> Client.create("client-0001",
        new FedAvg().newClient(), TestModels.trainer(), TestModels.dataset(), new int[0], 1));
    assertEquals("client client-0001 has no examples", none.getMessage());
  }
}
