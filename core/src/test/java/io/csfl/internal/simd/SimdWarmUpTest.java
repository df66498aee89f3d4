package io.csfl.internal.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When a kernel's warm-up runs its SIMD form and when it stops timing: the decision, not the speed. */
class SimdWarmUpTest {
  @Test
  void untilWarmOneCallInEightRunsTheSimdKernel() {
    SimdWarmUp warmUp = new SimdWarmUp();
    int[] ran = new int[2];
    for (int call = 1; call <= 80; call++) {
      warmUp.run(0, () -> ran[0]++, () -> ran[1]++);
    }
    assertEquals(10, ran[0], "SIMD probes");
    assertEquals(70, ran[1], "scalar calls");
    assertFalse(warmUp.warm(), "work 0 records no timing, so nothing shows the SIMD kernel faster");
  }

  @Test
  void aWarmUpRunsTheSimdKernelOnEveryCallOfItsThreadAndOnlyThere() throws InterruptedException {
    SimdWarmUp warmUp = new SimdWarmUp();
    int[] ran = new int[2];
    SimdWarmUp.runWarmingUp(() -> {
      for (int call = 1; call <= 20; call++) {
        warmUp.run(0, () -> ran[0]++, () -> ran[1]++);
      }
    });
    assertEquals(20, ran[0], "every call of the warm-up takes the SIMD kernel");
    assertEquals(0, ran[1]);
    // Its calls do not count: the next seven are scalar, the eighth the first probe.
    int[] after = new int[2];
    Thread other = new Thread(() -> SimdWarmUp.runWarmingUp(() -> {}));
    other.start();
    other.join();
    for (int call = 1; call <= 8; call++) {
      warmUp.run(0, () -> after[0]++, () -> after[1]++);
    }
    assertEquals(1, after[0], "SIMD probes after the warm-up");
    assertEquals(7, after[1], "scalar calls after the warm-up");
  }

  @Test
  void twoProbesInARowFasterThanTheScalarKernelMakeItWarm() {
    SimdWarmUp warmUp = new SimdWarmUp();
    warmUp.record(false, 0, 10.0);
    warmUp.record(true, 0, 5.0);
    assertFalse(warmUp.warm(), "one probe is not enough");
    warmUp.record(true, 0, 12.0);
    warmUp.record(true, 0, 5.0);
    assertFalse(warmUp.warm(), "a slower probe starts the count again");
    warmUp.record(true, 0, 5.0);
    assertTrue(warmUp.warm());
  }

  @Test
  void aProbeBeforeAnyScalarTimingDoesNotCount() {
    SimdWarmUp warmUp = new SimdWarmUp();
    warmUp.record(true, 0, 0.001);
    warmUp.record(true, 0, 0.001);
    assertFalse(warmUp.warm(), "nothing to compare with yet");
  }

  @Test
  void theScalarCostIsSmoothedSoOneFastScalarCallDoesNotHideAFasterSimdKernel() {
    SimdWarmUp warmUp = new SimdWarmUp();
    warmUp.record(false, 0, 100.0);
    warmUp.record(false, 0, 1.0); // 0.75 * 100 + 0.25 * 1 = 75.25
    warmUp.record(true, 0, 50.0);
    warmUp.record(true, 0, 50.0);
    assertTrue(warmUp.warm());
  }

  @Test
  void afterMaxCallsTheKernelIsWarmWhateverTheProbesSaid() {
    SimdWarmUp warmUp = new SimdWarmUp();
    for (int call = 1; call < SimdWarmUp.MAX_CALLS; call++) {
      warmUp.run(0, () -> {}, () -> {});
    }
    assertFalse(warmUp.warm());
    warmUp.run(0, () -> {}, () -> {});
    assertTrue(warmUp.warm());
  }

  @Test
  void testsCanMakeEveryKernelWarm() {
    SimdWarmUp warmUp = new SimdWarmUp();
    try {
      SimdWarmUp.assumeAllWarm(true);
      assertTrue(warmUp.warm());
    } finally {
      SimdWarmUp.assumeAllWarm(false);
    }
    assertFalse(warmUp.warm());
  }

  @Test
  void aProbeIsComparedWithScalarCallsOfItsOwnShapeOnly() {
    SimdWarmUp warmUp = new SimdWarmUp();
    warmUp.record(false, 1, 0.1); // a sparse product: cheap per multiply-add for the zero-skipping scalar kernel
    warmUp.record(false, 2, 10.0); // a dense one
    warmUp.record(true, 1, 0.5);
    warmUp.record(true, 1, 0.5);
    assertFalse(warmUp.warm(), "slower than the scalar kernel on the same shape");
    warmUp.record(true, 3, 0.01);
    warmUp.record(true, 3, 0.01);
    assertFalse(warmUp.warm(), "no scalar timing of that shape to compare with");
    warmUp.record(true, 2, 0.5);
    warmUp.record(true, 2, 0.5);
    assertTrue(warmUp.warm());
  }
}
