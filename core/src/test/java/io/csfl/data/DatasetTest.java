package io.csfl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The dataset abstraction: shapes, compact storage, groups, and validation at the factory. */
class DatasetTest {
  private static Dataset grouped() {
    return Dataset.builder("grouped", 3)
        .add(new float[] {1, 2, 3}, 0, "alice")
        .add(new float[] {4, 5, 6}, 2, "bob")
        .add(new float[] {7, 8, 9}, 1, "alice")
        .build();
  }

  @Test
  void aBuilderGivesFloatVectorsWithGroupsInOrderOfAppearance() {
    Dataset d = grouped();
    assertArrayEquals(new int[] {3}, d.shape());
    assertEquals(3, d.features());
    assertEquals(3, d.classes(), "one more than the largest label");
    assertEquals(List.of("alice", "bob"), d.groupNames());
    assertEquals(1, d.group(1));
    float[] x = new float[6];
    int[] y = new int[2];
    d.fill(new int[] {2, 1}, 0, 2, x, y);
    assertArrayEquals(new float[] {7, 8, 9, 4, 5, 6}, x);
    assertArrayEquals(new int[] {1, 2}, y);
  }

  @Test
  void bytesAreScaledToTheUnitIntervalAndImagesHaveAChannelAxis() {
    Dataset d = Dataset.of("img", 2, 2, 10, new byte[] {0, (byte) 255, 51, 102}, new byte[] {9});
    assertArrayEquals(new int[] {1, 2, 2}, d.shape());
    float[] x = new float[4];
    int[] y = new int[1];
    d.fill(new int[] {0}, 0, 1, x, y);
    assertArrayEquals(new float[] {0f, 1f, 0.2f, 0.4f}, x, 1e-6f);
    assertEquals(9, y[0]);
    assertFalse(d.hasGroups());
  }

  @Test
  void selectingExamplesDropsAndRenumbersEmptyGroups() {
    Dataset bobOnly = grouped().select("bob", new int[] {1});
    assertEquals(List.of("bob"), bobOnly.groupNames());
    assertEquals(0, bobOnly.group(0));
    assertEquals(2, bobOnly.label(0));
    assertEquals(3, bobOnly.classes());
  }

  @Test
  void theFactoryRefusesInconsistentData() {
    int[] shape = {2};
    assertThrows(IllegalArgumentException.class, () -> Dataset.ofFloats("n", shape, 2, new float[3], new int[2], null, null),
        "values do not match shape times examples");
    IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
        () -> Dataset.ofFloats("n", shape, 2, new float[2], new int[] {2}, null, null));
    assertTrue(label.getMessage().contains("label 2"), label.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Dataset.ofFloats("n", shape, 2, new float[] {Float.NaN, 0}, new int[1], null, null));
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> Dataset.ofFloats("n", shape, 2, new float[2], new int[1], new int[] {0}, List.of("a", "b")));
    assertTrue(empty.getMessage().contains("group 'b' has no examples"), empty.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Dataset.ofFloats("n", new int[] {0}, 2, new float[0], new int[0], null, null));
    assertThrows(IllegalArgumentException.class, () -> Dataset.builder("b", 2).add(new float[3], 0));
    assertThrows(IllegalStateException.class, () -> Dataset.builder("b", 1).add(new float[1], 0).add(new float[1], 0, "g"));
    assertEquals("dataset e has no examples", assertThrows(IllegalArgumentException.class, () -> Dataset.builder("e", 3).build()).getMessage());
    assertEquals("dataset one: 1 class, expected 2 to 65536",
        assertThrows(IllegalArgumentException.class, () -> Dataset.builder("one", 1).add(new float[1], 0).build()).getMessage());
    assertEquals("dataset k: 0 classes, expected 2 to 65536",
        assertThrows(IllegalArgumentException.class, () -> Dataset.builder("k", 1).classes(0)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Dataset.builder("k", 1).classes(-3));
  }

  /**
   * A builder checks its shape as the factories do, and holds only what it was given: a shape too
   * large for one array is refused at once (it overflowed to a negative size, or ran out of
   * memory), and a wide but valid shape allocates nothing before its first example.
   */
  @Test
  void aBuildersShapeIsCheckedAndItsValuesGrowWithItsExamples() {
    assertEquals("dataset d: bad shape [100000, 100000]",
        assertThrows(IllegalArgumentException.class, () -> Dataset.builder("d", 100_000, 100_000)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Dataset.builder("d", 50_000, 50_000));
    assertThrows(IllegalArgumentException.class, () -> Dataset.builder("d", 3, 0));
    // 400M features each: room for 16 examples up front overflowed int to 2.1G floats (8.4 GB, out of memory); now none until the first.
    Dataset.Builder wide = Dataset.builder("wide", 20_000, 20_000);
    assertEquals(0, wide.valuesHeld());
    float[] x = new float[4];
    Dataset.Builder small = Dataset.builder("small", 2, 2);
    for (int i = 0; i < 1000; i++) {
      x[0] = i;
      small.add(x, i % 3);
    }
    Dataset d = small.build();
    assertEquals(1000, d.size());
    float[] read = new float[4];
    d.fill(new int[] {999}, 0, 1, read, new int[1]);
    assertEquals(999f, read[0]);
    assertEquals(2, d.label(998));
    assertTrue(small.valuesHeld() >= 4000 && small.valuesHeld() <= 8000, "grown by doubling: " + small.valuesHeld());
  }

  @Test
  void theFingerprintFollowsTheContent() {
    assertEquals(grouped().fingerprint(), grouped().fingerprint());
    Dataset other = Dataset.builder("grouped", 3).add(new float[] {1, 2, 3}, 0, "alice").add(new float[] {4, 5, 6}, 2, "bob")
        .add(new float[] {7, 8, 10}, 1, "alice").build();
    assertNotEquals(grouped().fingerprint(), other.fingerprint());
  }

  @Test
  void theNaturalSplitGivesEachGroupOneClient() {
    Dataset d = grouped();
    List<int[]> parts = Partitioner.parse("natural").split(d, 2, new Random(1));
    assertArrayEquals(new int[] {0, 2}, parts.get(0));
    assertArrayEquals(new int[] {1}, parts.get(1));
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> Partitioner.parse("natural").split(d, 3, new Random(1)));
    assertTrue(wrong.getMessage().contains("has 2 groups, so the number of clients must be 2, not 3"), wrong.getMessage());
    Dataset plain = Dataset.of("plain", 1, 1, 2, new byte[2], new byte[2]);
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> Partitioner.parse("natural").split(plain, 1, new Random(1)));
    assertTrue(none.getMessage().contains("has none"), none.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Partitioner.parse("natural:2"));
  }
}
