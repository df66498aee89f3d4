package io.csfl.internal.simd;

import java.util.Arrays;

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
 * Once two probes in a row beat the scalar kernel's recent cost per unit of work on calls of the
 * same shape, the kernel is warm and every later call takes the SIMD one without timing. Costs are
 * compared shape by shape because a unit of work is not equally dear in every call: the scalar
 * matrix product skips zeros, so its cost per multiply-add of a sparse product says nothing about
 * a dense one. After {@link #MAX_CALLS} calls the kernel is taken as warm whatever the probes said,
 * so no timing accident keeps a run scalar for long.
 *
 * <p>One instance per kernel, shared by all threads. Its counters are updated without locks: a lost
 * update only moves a probe by a call or delays the switch by one, and the warm flag is volatile.
 */
public final class SimdWarmUp {
  /** Whether this JVM has the Vector API ({@code --add-modules jdk.incubator.vector}), which every SIMD kernel needs. */
  public static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  /** One call in this many takes the SIMD kernel while it is not yet warm. */
  static final int PROBE_EVERY = 8;
  /** Calls after which the SIMD kernel is taken as warm even if no probe showed it faster. */
  static final int MAX_CALLS = 1 << 12;
  /** Shapes whose scalar cost is remembered; two shapes that share a slot take turns in it. */
  private static final int SHAPES = 64;
  /** Probes in a row that must beat the scalar kernel's cost. */
  private static final int WINS_NEEDED = 2;

  private static final ThreadLocal<Boolean> FORCED = ThreadLocal.withInitial(() -> Boolean.FALSE);

  /**
   * Runs {@code work} with every kernel's SIMD path taken on this thread, to have the JIT compile
   * them (io.csfl.nn.KernelWarmUp). Its calls are timed as probes, so they can show a kernel warm,
   * but do not count towards {@link #MAX_CALLS}: they say nothing about compiled code.
   */
  public static void runWarmingUp(Runnable work) {
    FORCED.set(Boolean.TRUE);
    try {
      work.run();
    } finally {
      FORCED.remove();
    }
  }

  /** Set by tests that compare the SIMD kernels with the scalar ones: every kernel is warm from the start. */
  private static volatile boolean allWarm;

  private volatile boolean warm;
  private int calls;
  private int wins;
  /** Per slot: the shape whose scalar cost it holds, and that cost in nanoseconds per unit of work, smoothed. */
  private final int[] shapes = new int[SHAPES];
  private final double[] scalarCosts = new double[SHAPES];

  /** A kernel that is not warm yet. */
  public SimdWarmUp() {
    Arrays.fill(scalarCosts, Double.NaN);
  }

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

  /** {@link #run(long, int, Runnable, Runnable)} for a kernel whose calls all have one shape. */
  public void run(long work, Runnable simd, Runnable scalar) {
    run(work, 0, simd, scalar);
  }

  /**
   * Runs {@code simd} or {@code scalar}, which must compute the same thing, and times it: the SIMD
   * one on every {@link #PROBE_EVERY}th call, the scalar one otherwise. {@code work} is the call's
   * size in any unit proportional to its cost (multiply-adds, elements), the same for both;
   * {@code shape} names calls whose costs per unit of work compare (a product's dimensions).
   */
  public void run(long work, int shape, Runnable simd, Runnable scalar) {
    boolean forced = FORCED.get();
    int call = forced ? calls : ++calls;
    boolean probe = forced || call % PROBE_EVERY == 0;
    long start = System.nanoTime();
    (probe ? simd : scalar).run();
    long nanos = System.nanoTime() - start;
    if (call >= MAX_CALLS) {
      warm = true;
    }
    if (work > 0) {
      record(probe, shape, (double) nanos / work);
    }
  }

  /** Takes one timing, in nanoseconds per unit of work, of the SIMD kernel or the scalar one, on a call of {@code shape}. */
  void record(boolean simd, int shape, double cost) {
    int slot = Math.floorMod(shape * 0x9E3779B9, SHAPES);
    if (!simd) {
      boolean known = shapes[slot] == shape && !Double.isNaN(scalarCosts[slot]);
      scalarCosts[slot] = known ? 0.75 * scalarCosts[slot] + 0.25 * cost : cost;
      shapes[slot] = shape;
      return;
    }
    if (shapes[slot] != shape || Double.isNaN(scalarCosts[slot])) {
      return; // nothing of this shape to compare with yet
    }
    if (cost < scalarCosts[slot]) {
      if (++wins >= WINS_NEEDED) {
        warm = true;
      }
    } else {
      wins = 0;
    }
  }
}
