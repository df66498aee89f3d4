package io.csfl.examples;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Server;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.Pruner;
import io.csfl.strategy.Strategies;
import io.csfl.strategy.StrategyParams;
import io.csfl.tensor.MagnitudePruning;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import io.csfl.tensor.Values;

/**
 * Complement Sparsification with masks computed by a pruner of the application's own,
 * {@link UnitBalancedPruner}, instead of CSFL's per-tensor magnitude pruning. The federation is
 * the softmax regression of {@link OwnTrainerFederation} on the Synthetic(1, 1) benchmark, one
 * client per device, in one ActorSystem.
 *
 * <p>Run: {@code mvn -q -pl examples -am install -DskipTests && java -cp
 * "examples/target/classes:$(cat examples/target/classpath.txt)" io.csfl.examples.OwnPrunerFederation
 * [rounds]}; see docs/embedding.md.
 */
public final class OwnPrunerFederation {
  private OwnPrunerFederation() {}

  /**
   * Magnitude pruning balanced over output units: every output unit of a prunable tensor keeps the
   * same share, the largest (1 - s) of its own incoming weights. Per-tensor magnitude pruning can
   * cut every weight of a unit whose weights are all small, and a unit with no inputs left stays
   * dead for the rest of training; here none can. Kernels are laid out with the output units on
   * the last axis ({@code [in, out]} for a dense layer), so unit {@code u} owns the positions
   * {@code u, u + out, u + 2 out, ...}. Dense tensors (biases) get no mask.
   *
   * <p>Stateless, as the {@link Pruner} contract asks: the aggregator may call it from any thread.
   */
  public static final class UnitBalancedPruner implements Pruner {
    @Override
    public MaskSet masks(Model model, double sparsity) {
      ModelSpec spec = model.spec();
      Mask[] masks = new Mask[spec.tensorCount()];
      for (int t = 0; t < masks.length; t++) {
        TensorSpec tensor = spec.tensor(t);
        if (tensor.prunable()) {
          masks[t] = balanced(model.tensor(t), units(tensor), sparsity);
        }
      }
      return MaskSet.of(spec, masks);
    }

    /** The output units of {@code tensor}: its last axis, or one unit for a vector. */
    static int units(TensorSpec tensor) {
      return tensor.rank() < 2 ? 1 : tensor.dim(tensor.rank() - 1);
    }

    private static Mask balanced(Values values, int units, double sparsity) {
      int fanIn = values.length() / units;
      int keep = MagnitudePruning.keptCount(fanIn, sparsity);
      float[] incoming = new float[fanIn];
      long[] words = new long[(values.length() + 63) / 64];
      for (int u = 0; u < units; u++) {
        for (int i = 0; i < fanIn; i++) {
          incoming[i] = values.get(i * units + u);
        }
        for (int i : MagnitudePruning.topMagnitude(incoming, keep).positions()) {
          int position = i * units + u;
          words[position >>> 6] |= 1L << position;
        }
      }
      return Mask.fromWords(values.length(), words);
    }
  }

  /**
   * Trains CS with {@code pruner} for {@code rounds} rounds on Synthetic(1, 1) drawn from
   * {@code seed}, 10 of its 30 devices a round, in an actor system of {@code config}; returns the
   * server's last event.
   */
  public static Server.Event run(Pruner pruner, int rounds, long seed, Config config) throws Exception {
    FederatedStrategy cs = Strategies.byName("cs", StrategyParams.defaults()).withPruner(pruner);
    return OwnTrainerFederation.run(cs, rounds, seed, config);
  }

  public static void main(String[] args) throws Exception {
    Server.Event last = run(new UnitBalancedPruner(), args.length > 0 ? Integer.parseInt(args[0]) : 10,
        OwnTrainerFederation.DEFAULT_SEED, ConfigFactory.load());
    System.out.println("last event: " + last);
  }
}
