package io.csfl.nn;

import io.csfl.internal.simd.SimdWarmUp;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gets the JIT to compile the SIMD kernels while a run starts, before its first training needs them,
 * by training a throw-away network on made-up inputs on a background thread.
 *
 * <p>On JDK 17 a Vector API kernel runs ten to fifty times slower than its scalar twin until C2 has
 * compiled it, so the kernels start on their scalar twins and switch once the SIMD ones are measured
 * faster ({@link SimdWarmUp}). Compilation is triggered by the SIMD kernels' own calls, so without
 * a warm-up a short run's first round pays for slow SIMD probes on its real work, while the JVM is
 * still compiling everything else. A run's start (reading the data, starting the actors) leaves a
 * core partly idle; the steps here use it to run the SIMD kernels, which then reach the JIT's queue
 * earlier. They stop as soon as real training starts (they would take a core from it), once a
 * step's time has stopped falling, or at a time limit.
 *
 * <p>The warm-up has its own network, optimiser and inputs and touches no state a run uses, and the
 * kernels compute the same bits on either path, so results never change: only when the SIMD
 * kernels take over. Steps are of a few samples, so that one step of a large model, run before
 * anything is compiled, does not hold a core long after training starts.
 */
public final class KernelWarmUp {
  /** Samples per step. */
  private static final int BATCH = 8;
  /** Steps whose median time is compared with the fastest such median so far. */
  private static final int WINDOW = 8;
  /** Steps before the warm-up may stop for a lack of progress. */
  private static final int MIN_STEPS = 2 * WINDOW;
  /** How long the steps may go without a window's median 10% below the fastest before the warm-up stops. */
  private static final long PATIENCE_NANOS = 500_000_000L;
  /** Real trainings started in this JVM ({@link NetworkTrainer}): a warm-up stops at the first after its start. */
  private static final AtomicLong TRAININGS = new AtomicLong();

  /** A warm-up that is not running: what {@link #start} returns where there is nothing to compile. */
  private static final KernelWarmUp NONE = new KernelWarmUp();

  private final Thread thread;
  private volatile boolean stopped;

  private KernelWarmUp() {
    this.thread = null;
  }

  private KernelWarmUp(Architecture architecture, TrainingConfig config, long limitNanos, long patienceNanos) {
    long trainingsAtStart = TRAININGS.get();
    this.thread = new Thread(() -> {
      try {
        SimdWarmUp.runWarmingUp(() -> run(architecture, config, limitNanos, patienceNanos, trainingsAtStart));
      } catch (OutOfMemoryError e) {
        // A model too large for the heap: the run itself meets it and says so; a warm-up is only an optimisation.
      }
    }, "csfl-kernel-warm-up");
    thread.setDaemon(true);
  }

  /**
   * Starts warming up the kernels that training {@code architecture} with {@code config}'s
   * optimiser uses, on a daemon thread that stops at the first real training in this JVM, once its
   * steps have stopped getting faster, after {@code limit}, or at {@link #stop()}. Nothing starts
   * where there is nothing to compile: without the Vector API the scalar kernels run from the start.
   */
  public static KernelWarmUp start(Architecture architecture, TrainingConfig config, Duration limit) {
    return start(architecture, config, limit, Duration.ofNanos(PATIENCE_NANOS));
  }

  /** {@link #start(Architecture, TrainingConfig, Duration)} with its patience for steps that get no faster. */
  static KernelWarmUp start(Architecture architecture, TrainingConfig config, Duration limit, Duration patience) {
    if (!Gemm.simd() || limit.isZero() || limit.isNegative()) {
      return NONE;
    }
    KernelWarmUp warmUp = new KernelWarmUp(architecture, config, limit.toNanos(), patience.toNanos());
    warmUp.thread.start();
    return warmUp;
  }

  /** Whether a warm-up started (not where there was nothing to compile). */
  public boolean started() {
    return thread != null;
  }

  /** Whether its thread is still running. */
  boolean running() {
    return thread != null && thread.isAlive();
  }

  /**
   * Stops the warm-up after its current step, for a run that ends before it trains (its flags were
   * wrong, or it had nothing left to do); does not wait.
   */
  public void stop() {
    stopped = true;
  }

  /** Waits up to {@code timeout} for the warm-up's thread to end; true if it has (or never started). */
  boolean awaitEnd(Duration timeout) throws InterruptedException {
    if (thread != null) {
      thread.join(Math.max(1, timeout.toMillis()));
    }
    return thread == null || !thread.isAlive();
  }

  /** Called by every real training as it starts: a running warm-up stops after its current step. */
  static void trainingStarts() {
    TRAININGS.incrementAndGet();
  }

  private void run(Architecture architecture, TrainingConfig config, long limitNanos, long patienceNanos, long trainingsAtStart) {
    long start = System.nanoTime();
    int batch = Math.min(config.batchSize(), BATCH);
    Network net = architecture.newNetwork(batch);
    net.initialize(1);
    Optimizer optimizer = config.optimizer().create();
    // Inputs half zeros, as images' dark pixels are, so the zero-skipping kernels run too.
    Random rng = new Random(1);
    float[] x = net.inputBuffer();
    for (int i = 0; i < batch * net.inputSize(); i++) {
      x[i] = rng.nextBoolean() ? 0f : rng.nextFloat();
    }
    int[] y = net.labelBuffer();
    for (int s = 0; s < batch; s++) {
      y[s] = s % net.classes();
    }
    long[] window = new long[WINDOW];
    long fastest = Long.MAX_VALUE;
    long fastestAt = start;
    long now = start;
    for (int step = 0; !stopped && TRAININGS.get() == trainingsAtStart && now - start < limitNanos
        && (step < MIN_STEPS || now - fastestAt < patienceNanos); step++) {
      net.trainBatch(batch, optimizer);
      long end = System.nanoTime();
      window[step % WINDOW] = end - now;
      if (step % WINDOW == WINDOW - 1) {
        long[] sorted = window.clone();
        Arrays.sort(sorted);
        long median = sorted[WINDOW / 2];
        if (median < fastest - fastest / 10) {
          fastest = median;
          fastestAt = end;
        }
      }
      now = end;
    }
  }
}
