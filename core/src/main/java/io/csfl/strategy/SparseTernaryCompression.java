package io.csfl.strategy;

import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.Payload;
import io.csfl.codec.Precision;
import io.csfl.codec.Section;
import io.csfl.codec.TernarySection;
import io.csfl.internal.wire.PayloadCodec;
import io.csfl.internal.wire.WireReader;
import io.csfl.internal.wire.WireWriter;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.Values;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Sparse Ternary Compression (Sattler et al. 2019, "Robust and communication-efficient federated
 * learning from non-iid data"), in both directions. A client sends, per tensor, the top
 * {@code density} fraction of its update plus its residual, ternarized to {@code {-mu, 0, +mu}}
 * (mu: the mean kept magnitude), and keeps what that does not say as its residual. The server
 * compresses the example-weighted mean of those updates the same way, with its own residual, and
 * adds the ternary result to the global model.
 *
 * <p>Downlink under partial participation: the server remembers its last {@link #HISTORY} ternary
 * updates. A client that holds the global model of an earlier round gets the updates since then,
 * in order (a {@link Payload#isDelta() difference}), and adds them as the server did, so its
 * model equals the global model to the bit; a client the server knows nothing of, or for whom the
 * difference would outweigh the dense model, gets the dense model.
 * A client asked to add a difference to a model it does not hold refuses the round, and gets the
 * dense model next time.
 *
 * <p>{@link ServerAlgorithm#restore(int, Model)} (a replacement aggregator given only the model)
 * can rebuild the global model but not the server's residual or its history: both start empty, so
 * what the residual held is lost and every client gets the dense model once. With the state of
 * {@link ServerAlgorithm#exportState()} (a checkpoint) both come back exactly.
 */
public final class SparseTernaryCompression implements FederatedStrategy {
  /** The name that selects STC on the command line and labels its rows in metrics.csv. */
  public static final String NAME = "stc";
  /** Rounds of server updates kept to bring returning clients up to date. */
  static final int HISTORY = 64;
  private static final String RESIDUAL = "residual/";
  private static final String UPDATE = "update/";
  private final double density;

  /**
   * Sends the top {@code density} fraction of each update in both directions, at least one value
   * per tensor; throws IllegalArgumentException unless {@code density} is in (0, 1].
   */
  public SparseTernaryCompression(double density) {
    this.density = TopK.requireDensity("stc", density);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds, RobustAggregation aggregation) {
    return new Server(initial, density, aggregation);
  }

  @Override
  public ClientAlgorithm newClient() {
    return new Client(density);
  }

  static final class Client extends ErrorFeedbackClient {
    private final HeldModel held = new HeldModel(NAME);

    Client(double density) {
      super(density);
    }

    @Override
    public Model startingModel(int round, Payload downlink, ModelSpec spec) {
      return held.receive(round, downlink, spec);
    }

    @Override
    Section compress(int tensor, float[] update, float[] residual, int k) {
      return TopK.ternarizeWithFeedback(tensor, update, residual, k);
    }
  }

  private static final class Server implements ServerAlgorithm {
    private final ModelSpec spec;
    private final double density;
    private final WeightedSum sum;
    private final WeightedSum.Expect[] layout;
    private float[][] residual;
    private Model global;
    /** The ternary update committed in each recent round, by round. */
    private final TreeMap<Integer, List<TernarySection>> updates = new TreeMap<>();
    private List<TernarySection> pending;
    /** The residual once {@link #pending} is added: installed with it by commit, dropped by abandon. */
    private float[][] pendingResidual;
    /** The global model plus {@link #pending}, made (and checked finite) in close, installed by commit. */
    private Model pendingGlobal;

    Server(Model initial, double density, RobustAggregation aggregation) {
      this.spec = initial.spec();
      this.density = density;
      this.sum = new WeightedSum(spec, aggregation);
      this.layout = new WeightedSum.Expect[spec.tensorCount()];
      for (int t = 0; t < layout.length; t++) {
        layout[t] = WeightedSum.Expect.anySubset(spec.tensor(t));
      }
      this.residual = TopK.zeros(spec);
      this.global = initial;
    }

    @Override
    public Payload downlink(int round) {
      return Payloads.dense(global);
    }

    @Override
    public Optional<Payload> downlinkFrom(int round, int held) {
      if (held < 0 || held >= round || !updates.keySet().containsAll(rangeOf(held + 1, round - 1))) {
        return Optional.empty();
      }
      Collection<List<TernarySection>> since = updates.subMap(held, false, round, false).values();
      List<Section> sections = new ArrayList<>();
      for (int t = 0; t < spec.tensorCount(); t++) {
        if (since.isEmpty()) {
          // Asked again in the same round (a retried attempt): nothing changed.
          sections.add(new TernarySection(t, Mask.fromPositions(spec.tensor(t).size(), new int[0]), Mask.fromPositions(0, new int[0]), 0f));
        }
        for (List<TernarySection> update : since) {
          sections.add(update.get(t));
        }
      }
      Payload difference = new Payload(sections, Precision.FP32, held);
      // Each missed round adds its ternary update; after enough of them the dense model is smaller.
      return PayloadCodec.encodedSize(difference) < 4L * spec.parameterCount() ? Optional.of(difference) : Optional.empty();
    }

    private static List<Integer> rangeOf(int from, int to) {
      List<Integer> rounds = new ArrayList<>();
      for (int r = from; r <= to; r++) {
        rounds.add(r);
      }
      return rounds;
    }

    @Override
    public void accumulate(int round, Payload update, int examples) throws InvalidUpdateException {
      sum.add(update, examples, t -> layout[t]);
    }

    @Override
    public Optional<PruneRequest> close(int round) {
      // Into copies of the residual: a round that fails here, or is abandoned, leaves it as it was.
      List<TernarySection> next = new ArrayList<>(spec.tensorCount());
      float[][] nextResidual = new float[spec.tensorCount()][];
      for (int t = 0; t < spec.tensorCount(); t++) {
        float[] mean = sum.mean(t);
        nextResidual[t] = residual[t].clone();
        requireFiniteSum(mean, nextResidual[t]);
        next.add(TopK.ternarizeWithFeedback(t, mean, nextResidual[t], TopK.count(mean.length, density)));
      }
      // The same addition a client makes of this update, so both sides agree to the bit. Made
      // here, not in commit: finite values can add up to a model that is not (a NonFiniteValueException).
      Model nextGlobal = Payloads.plus(global, new Payload(new ArrayList<>(next), Precision.FP32, round - 1));
      sum.reset();
      pending = next;
      pendingResidual = nextResidual;
      pendingGlobal = nextGlobal;
      return Optional.empty();
    }

    /**
     * Throws NonFiniteValueException unless the mean update plus the residual is finite everywhere:
     * finite updates near the float range can add up to one that is not, and the aggregator
     * discards such a round.
     */
    private static void requireFiniteSum(float[] mean, float[] residual) {
      float[] withFeedback = new float[mean.length];
      for (int i = 0; i < mean.length; i++) {
        withFeedback[i] = mean[i] + residual[i];
      }
      Values.copyOf(withFeedback);
    }

    @Override
    public void commit(int round, Optional<MaskSet> masks) {
      global = pendingGlobal;
      updates.put(round, pending);
      residual = pendingResidual;
      pending = null;
      pendingResidual = null;
      pendingGlobal = null;
      while (updates.size() > HISTORY) {
        updates.pollFirstEntry();
      }
    }

    @Override
    public void abandon(int round) {
      sum.reset();
      pending = null;
      pendingResidual = null;
      pendingGlobal = null;
    }

    @Override
    public Model globalModel() {
      return global;
    }

    @Override
    public void restore(int round, Model global) {
      this.global = global;
      residual = TopK.zeros(spec);
      updates.clear();
      pending = null;
      pendingResidual = null;
      pendingGlobal = null;
      sum.reset();
    }

    /** The residual (one fp32 tensor per model tensor) and each remembered update, encoded as on the wire. */
    @Override
    public TensorFile exportState() {
      TensorFile state = TensorFile.EMPTY;
      for (int t = 0; t < spec.tensorCount(); t++) {
        state = state.withF32(RESIDUAL + spec.tensor(t).name(), new long[] {residual[t].length}, residual[t]);
      }
      for (var e : updates.entrySet()) {
        WireWriter out = new WireWriter(1024);
        PayloadCodec.encode(new Payload(new ArrayList<>(e.getValue()), Precision.FP32, e.getKey() - 1), out);
        state = state.withBytes(UPDATE + e.getKey(), out.toByteArray());
      }
      return state;
    }

    @Override
    public void restore(int round, Model global, TensorFile state) {
      restore(round, global);
      if (state.tensors().isEmpty()) {
        return;
      }
      float[][] r = new float[spec.tensorCount()][];
      for (int t = 0; t < r.length; t++) {
        r[t] = state.f32(RESIDUAL + spec.tensor(t).name(), spec.tensor(t).size());
      }
      TreeMap<Integer, List<TernarySection>> u = new TreeMap<>();
      for (String name : state.tensors().keySet()) {
        if (!name.startsWith(UPDATE)) {
          continue;
        }
        int at = Integer.parseInt(name.substring(UPDATE.length()));
        if (at < 1 || at > round || u.size() >= HISTORY) {
          throw new IllegalArgumentException("stc state: update of round " + at + " does not belong to a state after round " + round);
        }
        WireReader in = new WireReader(state.bytes(name));
        Payload p = PayloadCodec.decode(in);
        in.requireEnd(name);
        List<TernarySection> sections = new ArrayList<>();
        for (int t = 0; t < spec.tensorCount(); t++) {
          if (!(p.sections().size() == spec.tensorCount() && p.sections().get(t) instanceof TernarySection s
              && s.tensor() == t && s.support().length() == spec.tensor(t).size())) {
            throw new IllegalArgumentException("stc state: " + name + " is not a ternary update of this model");
          }
          sections.add(s);
        }
        u.put(at, sections);
      }
      residual = r;
      updates.putAll(u);
    }
  }
}
