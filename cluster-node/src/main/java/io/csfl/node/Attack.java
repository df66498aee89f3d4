package io.csfl.node;

import io.csfl.codec.Payload;
import io.csfl.data.Dataset;
import io.csfl.nn.LocalTrainer;
import io.csfl.nn.TrainingResult;
import io.csfl.strategy.ClientAlgorithm;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import java.util.Locale;

/**
 * A simulated model-poisoning attack, for measuring the server's defences: the first
 * {@code attackers} clients train honestly, then send the update of a step {@code scale} times as
 * long (trained = start + scale * (trained - start)), in whatever form their algorithm sends it.
 *
 * @param scale     the factor the malicious clients' training step is multiplied by; 1 is honest
 * @param attackers how many clients (client-0000 onwards) attack
 */
record Attack(double scale, int attackers) {
  static final Attack NONE = new Attack(1, 0);

  Attack {
    if (!Double.isFinite(scale)) {
      throw new IllegalArgumentException("--attack: the scale must be a finite number");
    }
    if (attackers < 0) {
      throw new IllegalArgumentException("--attackers must not be negative");
    }
  }

  /** {@code scale:S}, with {@code attackers} malicious clients. */
  static Attack parse(String spec, int attackers, int clients) {
    if (attackers > clients) {
      throw new IllegalArgumentException("--attackers (" + attackers + ") exceeds --clients (" + clients + ")");
    }
    String key = spec.trim().toLowerCase(Locale.ROOT);
    if (!key.startsWith("scale:")) {
      throw new IllegalArgumentException("unknown --attack '" + spec + "' (expected scale:S)");
    }
    try {
      return new Attack(Double.parseDouble(key.substring("scale:".length())), attackers);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad scale in --attack '" + spec + "' (expected scale:S)");
    }
  }

  /** The algorithm client {@code index} runs: {@code honest}, or its malicious twin. */
  ClientAlgorithm apply(int index, ClientAlgorithm honest) {
    return index < attackers ? new Scaled(honest, scale) : honest;
  }

  private record Scaled(ClientAlgorithm honest, double scale) implements ClientAlgorithm {
    @Override
    public Model startingModel(Payload downlink, ModelSpec spec) {
      return honest.startingModel(downlink, spec);
    }

    @Override
    public Model startingModel(int round, Payload downlink, ModelSpec spec) {
      return honest.startingModel(round, downlink, spec);
    }

    @Override
    public TrainingResult train(LocalTrainer trainer, Model start, Dataset data, int[] examples, long seed) {
      return honest.train(trainer, start, data, examples, seed);
    }

    @Override
    public Payload uplink(Payload downlink, Model start, Model trained) {
      ModelBuffer step = ModelBuffer.copyOf(trained);
      for (int t = 0; t < step.spec().tensorCount(); t++) {
        float[] out = step.tensor(t);
        float[] from = start.tensor(t).toArray();
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) (from[i] + scale * (out[i] - from[i]));
        }
      }
      return honest.uplink(downlink, start, step.toModel());
    }
  }
}
