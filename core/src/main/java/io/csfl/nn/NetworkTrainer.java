package io.csfl.nn;

import io.csfl.data.Dataset;
import io.csfl.internal.data.Shuffle;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import java.util.Optional;
import java.util.Random;

/**
 * Mini-batch training of an {@link Architecture} with a fresh optimiser state each call (each
 * round starts from the model the server sent). Networks are reused per thread, so a client
 * actor on a training dispatcher does not reallocate its buffers every round. Data whose feature
 * or class count is not the network's is refused with an IllegalArgumentException that says both,
 * before any training.
 */
public final class NetworkTrainer implements LocalTrainer {
  private final Architecture architecture;
  private final TrainingConfig config;
  private final ThreadLocal<Network> networks;

  /**
   * A trainer of {@code architecture} under {@code config}. Each thread that trains gets its own network, built on
   * first use, so one trainer can serve many client actors. Its buffers hold the largest batch the thread's clients
   * train in: {@code config.batchSize()} samples, or a client's whole data when that is smaller, so a batch size
   * beyond every client's data (a whole-data batch) costs no memory for samples no client has.
   */
  public NetworkTrainer(Architecture architecture, TrainingConfig config) {
    this.architecture = java.util.Objects.requireNonNull(architecture, "architecture");
    this.config = java.util.Objects.requireNonNull(config, "config");
    this.networks = new ThreadLocal<>();
  }

  /** This thread's network, with room for batches of {@code batch} samples. */
  private Network network(int batch) {
    Network net = networks.get();
    if (net == null || net.maxBatch() < batch) {
      net = architecture.newNetwork(batch);
      networks.set(net);
    }
    return net;
  }

  /**
   * Which kernels this JVM runs: SIMD through the Vector API and its vector width, or the scalar
   * fallback and the flag that enables SIMD. Both compute the same results to the bit; the
   * scalar one is 4-5 times slower.
   */
  public static String kernel() {
    return Gemm.kernelName();
  }

  @Override
  public ModelSpec spec() {
    return architecture.spec();
  }

  /** The epochs, batch size and optimiser every call trains with. */
  public TrainingConfig config() {
    return config;
  }

  @Override
  public TrainingResult train(Model start, Dataset data, int[] examples, long seed) {
    return run(start, Optional.empty(), data, examples, seed);
  }

  @Override
  public TrainingResult trainPruned(Model start, MaskSet keep, Dataset data, int[] examples, long seed) {
    return run(start, Optional.of(keep.requireFits(spec())), data, examples, seed);
  }

  private TrainingResult run(Model start, Optional<MaskSet> keep, Dataset data, int[] examples, long seed) {
    if (examples.length == 0) {
      throw new IllegalArgumentException("a client with no examples cannot train");
    }
    long started = System.nanoTime();
    KernelWarmUp.trainingStarts();
    Network net = network(Math.min(config.batchSize(), examples.length));
    NetworkEvaluator.requireFits(architecture, net, data);
    net.load(start);
    keep.ifPresent(net::zeroOutside);
    Optimizer optimizer = config.optimizer().create();
    int[] order = examples.clone();
    Random rng = new Random(seed);
    double lossSum = 0;
    int seen = 0;
    for (int epoch = 0; epoch < config.epochs(); epoch++) {
      Shuffle.inPlace(order, rng);
      for (int from = 0; from < order.length; from += config.batchSize()) {
        config.checkTime(started, epoch); // before a step: a training that has ended is never thrown away
        int batch = Math.min(config.batchSize(), order.length - from);
        data.fill(order, from, batch, net.inputBuffer(), net.labelBuffer());
        lossSum += net.trainBatch(batch, optimizer);
        // Momentum would move pruned weights off zero: put them back after every step.
        keep.ifPresent(net::zeroOutside);
        seen += batch;
      }
    }
    return new TrainingResult(net.snapshot(), lossSum / seen, examples.length);
  }
}
