package io.csfl.node;

import io.csfl.checkpoint.Checkpoint;
import io.csfl.codec.Payload;
import io.csfl.internal.wire.PayloadCodec;
import io.csfl.internal.wire.WireReader;
import io.csfl.internal.wire.WireWriter;
import io.csfl.strategy.ClientAlgorithm;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.ServerAlgorithm;
import io.csfl.tensor.Model;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The models a resumed simulation's clients held when its checkpoint was written. The clients
 * lived in the process that stopped, so each is given back the global model the checkpoint says
 * it held, rebuilt from the strategy's restored history exactly as it first received it; the
 * server then sends it what the uninterrupted run would have (CS: a patch). A client whose model
 * the strategy cannot rebuild (no history, or a round older than its window) holds nothing and is
 * left out of the checkpoint's held map, so it gets the whole downlink, as it would have then.
 *
 * @param checkpoint what the server resumes from: the checkpoint, its held map cut to the clients
 *                   given a model back
 * @param downlinks  per client id, the downlink that carried its model, as the client decoded it
 */
record ResumedClients(Checkpoint checkpoint, Map<String, Payload> downlinks) {
  ResumedClients {
    downlinks = Map.copyOf(downlinks);
  }

  /** Rebuilds the models {@code c}'s clients held; a state the strategy refuses is reported to {@code warnings} and none is rebuilt. */
  static ResumedClients of(FederatedStrategy strategy, Model initial, int rounds, Checkpoint c, Consumer<String> warnings) {
    ServerAlgorithm server = strategy.newServer(initial, rounds);
    Map<Integer, Optional<Payload>> byRound = new HashMap<>();
    Map<String, Payload> downlinks = new HashMap<>();
    try {
      server.restore(c.round(), c.global(), c.strategyState());
      c.held().forEach((id, round) -> byRound.computeIfAbsent(round, r -> server.heldDownlink(r).map(ResumedClients::asDecoded))
          .ifPresent(p -> downlinks.put(id, p)));
    } catch (IllegalArgumentException e) {
      warnings.accept(c.algorithm() + ": the clients start without the models they held: " + e.getMessage());
      downlinks.clear();
    }
    Map<String, Integer> held = new HashMap<>(c.held());
    held.keySet().retainAll(downlinks.keySet());
    return new ResumedClients(new Checkpoint(c.algorithm(), c.round(), c.metrics(), held, c.global(), c.strategyState()), downlinks);
  }

  /** {@code algorithm}, for client {@code id}, holding again what it held. */
  ClientAlgorithm giveBack(String id, ClientAlgorithm algorithm) {
    Payload downlink = downlinks.get(id);
    if (downlink != null) {
      algorithm.startingModel(checkpoint.held().get(id) + 1, downlink, checkpoint.global().spec());
    }
    return algorithm;
  }

  /** The payload as a client decodes it off the wire: values in the precision they travel in. */
  private static Payload asDecoded(Payload p) {
    WireWriter out = new WireWriter(1 << 16);
    PayloadCodec.encode(p, out);
    WireReader in = new WireReader(out.toByteArray());
    Payload decoded = PayloadCodec.decode(in);
    in.requireEnd("a held downlink");
    return decoded;
  }
}
