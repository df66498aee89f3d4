package io.csfl.internal.simd;

/**
 * Chooses between a SIMD kernel and its scalar twin while the JIT warms up. The two compute the same
 * bits, so which one runs changes a call's speed, never its result.
 *
 * <p>On JDK 17 a Vector API kernel is fast only once C2 has compiled it: until then every vector
 * operation is a call into the API's Java fallback, which allocates, and the kernel runs ten to fifty
 * times slower than the plain scalar loop beside it. A short run, or a node that evaluates a model
 * a few times, spends seconds there. So until the SIMD kernel is measured faster, most calls take the
 * scalar one, and one call in {@link #PROBE_EVERY} takes the SIMD one, which both times it and lets
 * the JIT see it run (compilation is triggered by the kernel's own invocations and loop iterations).
 * Once two probes in a row beat the scalar kernel's recent cost per unit of work, the kernel is
 * warm and every later call takes the SIMD one without timing. After {@link #MAX_CALLS} calls the
 * kernel is taken as warm whatever the probes said, so no timing accident keeps a run scalar.
 *
 * <p>One instance per kernel, shared by all threads. Its counters are updated without locks: a lost
 * update only moves a probe by a call or delays the switch by one, and the warm flag is volatile.
 */
public final class SimdWarmUp {
  /** One call in this many takes the SIMD kernel while it is not yet warm. */
  static final int PROBE_EVERY = 8;
  /** Calls after which the SIMD kernel is taken as warm even if no probe showed it faster. */
  static final int MAX_CALLS = 1 << 16;
  /** Probes in a row that must beat the scalar kernel's cost. */
  private static final int WINS_NEEDED = 2;

  /** Set by tests that compare the SIMD kernels with the scalar ones: every kernel is warm from the start. */
  private static volatile boolean allWarm;

  private volatile boolean warm;
  private int calls;
  private int wins;
  /** The scalar kernel's recent cost in nanoseconds per unit of work, smoothed; NaN until timed. */
  private double scalarCost = Double.NaN;

  /** A kernel that is not warm yet. */
  public SimdWarmUp() {}

  /** Whether the SIMD kernel is warm: the caller runs it directly, untimed. */
  public boolean warm() {
    return warm || allWarm;
  }

  /**
   * For tests that compare the SIMD kernels with the scalar ones: {@code true} makes every kernel
   * warm, so the SIMD one runs on every call from the first.
   */
  public static void assumeAllWarm(boolean warm) {
    allWarm = warm;
  }

  /**
   * Runs {@code simd} or {@code scalar}, which must compute the same thing, and times it: the SIMD
   * one on every {@link #PROBE_EVERY}th call, the scalar one otherwise. {@code work} is the call's
   * size in any unit proportional to its cost (multiply-adds, elements), the same for both.
   */
  public void run(long work, Runnable simd, Runnable scalar) {
    int call = ++calls;
    boolean probe = call % PROBE_EVERY == 0;
    long start = System.nanoTime();
    (probe ? simd : scalar).run();
    long nanos = System.nanoTime() - start;
    if (call >= MAX_CALLS) {
      warm = true;
    }
    if (work > 0) {
      record(probe, (double) nanos / work);
    }
  }

  /** Takes one timing, in nanoseconds per unit of work, of the SIMD kernel or the scalar one. */
  void record(boolean simd, double cost) {
    if (!simd) {
      scalarCost = Double.isNaN(scalarCost) ? cost : 0.75 * scalarCost + 0.25 * cost;
    } else if (cost < scalarCost) {
      if (++wins >= WINS_NEEDED) {
        warm = true;

      }
    } else {
      wins = 0;
    }
  }
}
