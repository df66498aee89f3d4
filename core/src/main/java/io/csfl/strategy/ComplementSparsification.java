package io.csfl.strategy;

import io.csfl.checkpoint.Checkpoint;
import io.csfl.checkpoint.TensorFile;
import io.csfl.codec.DenseSection;
import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.Section;
import io.csfl.codec.TernarySection;
import io.csfl.codec.ValuesSection;
import io.csfl.internal.wire.PayloadCodec;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelBuffer;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorOps;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Complement Sparsification (Jiang and Borcea, AAAI 2023), exactly as in the project's spec: the
 * server ships the magnitude-pruned model S_t with its masks M_t; clients train the whole model
 * and return only the weights at the pruned positions (W_k * (1 - M_t)) plus the dense biases;
 * the server forms D = S_t + eta * A (A the example-weighted mean complement), averages the
 * biases, and prunes D by magnitude into S_t+1. Round 1 (and any warm-up round) is dense FedAvg
 * followed by pruning.
 *
 * <p>On the wire, beyond the paper: a client that returns gets a {@link Patches patch} from the
 * global model it holds, when the server still has that model and the patch is smaller. The kept
 * weights of S_t only change when pruning swaps them, so the patch is mostly the swapped positions
 * and the biases. What the client starts from is the same to the bit.
 */
public final class ComplementSparsification implements FederatedStrategy {
  /**
   * The paper's method's name on the command line and in metrics.csv; its variants and {@code cs:S}
   * have names of their own.
   */
  public static final String NAME = "cs";
  private static final String MASK = "mask/";
  /** Under {@link Checkpoint#heldState(int)}: a remembered model's masks, 64 positions per 8 bytes. */
  private static final String KEPT = "kept/";
  /** Under {@link Checkpoint#heldState(int)}: a remembered model's kept values (all of a dense tensor's). */
  private static final String VALUES = "values/";
  private final String name;
  private final CsOptions options;
  private final CsVariant variant;

  /** The paper's method. */
  public ComplementSparsification(CsOptions options) {
    this(NAME, options, CsVariant.paper());
  }

  /** A variant beyond the paper (cs-fp16, cs-1bit, cs-topk), under its own name. */
  public ComplementSparsification(String name, CsOptions options, CsVariant variant) {
    this.name = name;
    this.options = options;
    this.variant = variant;
  }

  @Override
  public String name() {
    return name;
  }

  /** The settings this instance runs with: sparsity schedule, eta, warm-up and downlink history. */
  public CsOptions options() {
    return options;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when {@code initial} has no kernel (no {@link
   *     io.csfl.tensor.TensorSpec#prunable() prunable} tensor): CS prunes kernels and trains their
   *     complement, and with none it would only average the biases, dense, every round
   */
  @Override
  public ServerAlgorithm newServer(Model initial, int totalRounds, RobustAggregation aggregation) {
    if (initial.spec().prunableCount() == 0) {
      throw new IllegalArgumentException(name + " prunes a model's kernels, and this model has none (every tensor is a bias): "
          + "declare its weight matrices with TensorSpec.kernel, or use fedavg");
    }
    return new Server(initial, options, variant, totalRounds, aggregation);
  }

  @Override
  public ClientAlgorithm newClient() {
    return new Client(name, variant);
  }

  /**
   * Returns the complement of every masked tensor, everything else dense; per the variant, only
   * the top fraction of the complement (with error feedback) and the ternary code of the kept updates.
   */
  static final class Client implements ClientAlgorithm {
    private final CsVariant variant;
    private final HeldModel held;
    /** cs-topk: complement values not sent yet, by absolute position; null until first needed. */
    private Residual residual;

    Client(String name, CsVariant variant) {
      this.variant = variant;
      this.held = new HeldModel(name);
    }

    @Override
    public Model startingModel(int round, Payload downlink, ModelSpec spec) {
      return held.receive(round, downlink, spec);
    }

    @Override
    public Payload uplink(Payload downlink, Model start, Model trained) {
      List<Section> sections = new ArrayList<>();
      for (int t = 0; t < trained.spec().tensorCount(); t++) {
        // A patch downlink carries no masks: they are those of the model it rebuilt.
        Optional<Mask> kept = downlink.isDelta() ? held.mask(t) : downlink.section(t, MaskedSection.class).map(MaskedSection::mask);
        if (kept.isEmpty()) {
          sections.add(new DenseSection(t, trained.tensor(t)));
          continue;
        }
        Mask complement = kept.get().complement();
        sections.add(variant.sparseUplink()
            ? topOfComplement(t, complement, trained)
            : new ValuesSection(t, TensorOps.gather(trained.tensor(t), complement)));
        if (variant.keptSigns()) {
          sections.add(keptSigns(t, kept.get(), start, trained));
        }
      }
      return new Payload(sections, variant.precision());
    }

    private MaskedSection topOfComplement(int t, Mask complement, Model trained) {
      if (residual == null) {
        residual = new Residual(trained.spec());
      }
      float[] full = residual.expand(t);
      int[] positions = complement.positions();
      float[] values = TensorOps.gather(trained.tensor(t), complement).toArray();
      float[] carried = new float[positions.length];
      for (int j = 0; j < positions.length; j++) {
        carried[j] = full[positions[j]];
      }
      Mask chosen = TopK.selectWithFeedback(values, carried, TopK.count(values.length, variant.uplinkDensity()));
      for (int j = 0; j < positions.length; j++) {
        full[positions[j]] = carried[j];
      }
      residual.store(t, full);
      return new MaskedSection(t, chosen, TensorOps.gather(values, chosen));
    }

    /**
     * The kept positions' update as a ternary code over those positions: a weight whose update is
     * exactly zero (a blank pixel of this client's data, a dead unit) is left out of the support,
     * so it does not move; the others carry their sign, scaled by the mean magnitude of the
     * non-zero updates, so the code moves the kept weights by the same total amount as the update.
     */
    private static TernarySection keptSigns(int t, Mask kept, Model start, Model trained) {
      float[] before = TensorOps.gather(start.tensor(t), kept).toArray();
      float[] after = TensorOps.gather(trained.tensor(t), kept).toArray();
      long[] moved = new long[(before.length + 63) >>> 6];
      long[] positive = new long[moved.length];
      int count = 0;
      double magnitude = 0;
      for (int j = 0; j < before.length; j++) {
        float delta = after[j] - before[j];
        if (delta != 0) {
          moved[j >>> 6] |= 1L << j;
          magnitude += Math.abs(delta);
          if (delta > 0) {
            positive[count >>> 6] |= 1L << count;
          }
          count++;
        }
      }
      float scale = count == 0 ? 0f : (float) (magnitude / count);
      return new TernarySection(t, Mask.fromWords(before.length, moved), Mask.fromWords(count, Arrays.copyOf(positive, (count + 63) >>> 6)), scale);
    }
  }

  private static final class Server implements ServerAlgorithm {
    private final CsOptions options;
    private final CsVariant variant;
    private final int totalRounds;
    private final ModelSpec spec;
    private final WeightedSum sum;
    /** S_t: zero outside the masks once pruning has started. */
    private Model global;
    private Optional<MaskSet> masks = Optional.empty();
    /** The complement of each mask: where this round's client values belong. */
    private Mask[] complements;
    private Model candidate;
    /** Recent global models by round (0: the initial model), to patch returning clients from. */
    private final TreeMap<Integer, Patches.Sparse> history = new TreeMap<>();
    /** The encoded size of the common downlink of {@link #sizedRound}: a patch must beat it. */
    private long downlinkSize;
    private int sizedRound = -1;

    Server(Model initial, CsOptions options, CsVariant variant, int totalRounds, RobustAggregation aggregation) {
      this.options = options;
      this.variant = variant;
      this.totalRounds = totalRounds;
      this.spec = initial.spec();
      this.sum = new WeightedSum(spec, aggregation);
      this.global = initial;
      this.complements = new Mask[spec.tensorCount()];
      remember(0);
    }

    @Override
    public Payload downlink(int round) {
      return Payloads.sparse(global, masks, variant.precision());
    }

    /**
     * The patch from the global model of round {@code held} to this round's, when the server still
     * has that model and the patch is smaller than the sparse model itself.
     */
    @Override
    public Optional<Payload> downlinkFrom(int round, int held) {
      Patches.Sparse base = history.get(held);
      if (base == null) {
        return Optional.empty();
      }
      if (sizedRound != round) {
        downlinkSize = PayloadCodec.encodedSize(downlink(round));
        sizedRound = round;
      }
      return Patches.between(held, base, new Patches.Sparse(global, masks), variant.precision())
          .filter(patch -> PayloadCodec.encodedSize(patch) < downlinkSize);
    }

    @Override
    public Optional<Payload> heldDownlink(int held) {
      return Optional.ofNullable(history.get(held)).map(m -> Payloads.sparse(m.model(), m.masks(), variant.precision()));
    }

    private void remember(int round) {
      if (options.downlinkHistory() == 0) {
        return;
      }
      history.put(round, new Patches.Sparse(global, masks));
      // The last downlinkHistory rounds, by round rather than by count: a restored history holds
      // only the rounds clients held, and must forget each when an uninterrupted one would.
      history.headMap(round - options.downlinkHistory(), true).clear();
    }

    @Override
    public void accumulate(int round, Payload update, int examples) throws InvalidUpdateException {
      // The complement values are measured from S_t too: it is zero there, so they are their own difference.
      sum.add(update, examples, this::expect, global);
    }

    private WeightedSum.Expect expect(int t) {
      if (complements[t] == null) {
        return WeightedSum.Expect.DENSE;
      }
      Optional<Mask> signs = variant.keptSigns() ? masks.orElseThrow().mask(t) : Optional.empty();
      return new WeightedSum.Expect(Optional.of(complements[t]), signs);
    }

    @Override
    public Optional<PruneRequest> close(int round) {
      if (sum.examples() == 0) {
        candidate = global;
      } else {
        ModelBuffer d = ModelBuffer.zeros(spec);
        for (int t = 0; t < spec.tensorCount(); t++) {
          float[] mean = sum.mean(t);
          float[] out = d.tensor(t);
          if (complements[t] == null) {
            System.arraycopy(mean, 0, out, 0, mean.length);
          } else {
            // D = S + eta * A: A is zero on the kept positions and S is zero on the pruned ones.
            // cs-1bit also adds the clients' mean signed step on the kept positions.
            global.tensor(t).copyTo(out, 0);
            float eta = (float) options.serverRate();
            float[] kept = sum.signMean(t);
            for (int i = 0; i < out.length; i++) {
              out[i] += eta * mean[i] + kept[i];
            }
          }
        }
        candidate = d.toModel();
      }
      sum.reset();
      if (round <= options.warmupRounds()) {
        return Optional.empty();
      }
      return Optional.of(new PruneRequest(candidate, options.sparsityFor(round + 1, totalRounds)));
    }

    @Override
    public void commit(int round, Optional<MaskSet> next) {
      if (next.isEmpty()) {
        global = candidate;
        masks = Optional.empty();
        complements = new Mask[spec.tensorCount()];
        remember(round);
        return;
      }
      MaskSet m = next.get().requireFits(spec);
      ModelBuffer pruned = ModelBuffer.copyOf(candidate);
      Mask[] comp = new Mask[spec.tensorCount()];
      for (int t = 0; t < spec.tensorCount(); t++) {
        Optional<Mask> mask = m.mask(t);
        if (mask.isPresent()) {
          TensorOps.applyMask(pruned.tensor(t), mask.get());
          comp[t] = mask.get().complement();
        }
      }
      global = pruned.toModel();
      masks = Optional.of(m);
      complements = comp;
      remember(round);
    }

    @Override
    public void abandon(int round) {
      sum.reset();
    }

    /**
     * After pruning has started, the masks are the non-zero positions of {@code global}'s prunable
     * tensors: whatever pruner made them, the model was zeroed exactly outside them. (A kept weight
     * that is exactly 0 would count as pruned; the next round's pruning draws fresh masks anyway.)
     */
    @Override
    public void restore(int round, Model global) {
      sum.reset();
      // Only the restored model is known again: clients that hold older ones get the sparse model.
      history.clear();
      candidate = global;
      if (round <= options.warmupRounds()) {
        commit(round, Optional.empty());
        return;
      }
      Mask[] kept = new Mask[spec.tensorCount()];
      for (int t = 0; t < kept.length; t++) {
        if (spec.tensor(t).prunable()) {
          kept[t] = TensorOps.nonZeros(global.tensor(t));
        }
      }
      commit(round, Optional.of(MaskSet.of(spec, kept)));
    }

    /**
     * The masks, one byte per position (1: kept), so a restore does not have to infer them from
     * the model's zeros; and, under {@link Checkpoint#heldState(int)}, each earlier model the
     * history still has, compactly: per masked tensor its mask (one bit per position) and kept
     * values, per dense tensor its values. A checkpoint keeps those only for rounds clients hold.
     */
    @Override
    public TensorFile exportState() {
      return export(Integer.MIN_VALUE);
    }

    /** Builds only the earlier models the server does not have yet: normally one, that of {@code round - 1}. */
    @Override
    public TensorFile exportNewState(int round) {
      return export(round - 1);
    }

    /** The state with the earlier models from round {@code from} on, as {@link Checkpoint#withoutHeldBefore} would cut it. */
    private TensorFile export(int from) {
      TensorFile state = TensorFile.EMPTY;
      if (!history.isEmpty()) {
        NavigableMap<Integer, Patches.Sparse> earlier = history.headMap(history.lastKey(), false);
        for (Map.Entry<Integer, Patches.Sparse> e : earlier.tailMap(from, true).entrySet()) {
          state = exportHeld(state, Checkpoint.heldState(e.getKey()), e.getValue());
        }
        if (!earlier.isEmpty() && earlier.firstKey() < from) {
          state = state.withMeta(Checkpoint.HELD_OLDEST, Integer.toString(earlier.firstKey()));
        }
      }
      if (masks.isEmpty()) {
        return state;
      }
      for (int t = 0; t < spec.tensorCount(); t++) {
        Optional<Mask> m = masks.get().mask(t);
        if (m.isPresent()) {
          byte[] kept = new byte[m.get().length()];
          for (int p : m.get().positions()) {
            kept[p] = 1;
          }
          state = state.withBytes(MASK + spec.tensor(t).name(), kept);
        }
      }
      return state;
    }

    private TensorFile exportHeld(TensorFile state, String at, Patches.Sparse m) {
      for (int t = 0; t < spec.tensorCount(); t++) {
        String name = spec.tensor(t).name();
        Optional<Mask> mask = m.mask(t);
        if (mask.isEmpty()) {
          state = state.withF32(at + VALUES + name, new long[] {spec.tensor(t).size()}, m.model().tensor(t).toArray());
          continue;
        }
        long[] words = mask.get().toWords();
        ByteBuffer bits = ByteBuffer.allocate(words.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        bits.asLongBuffer().put(words);
        state = state.withBytes(at + KEPT + name, bits.array())
            .withF32(at + VALUES + name, new long[] {mask.get().cardinality()}, TensorOps.gather(m.model().tensor(t), mask.get()).toArray());
      }
      return state;
    }

    /**
     * The earlier models in {@code state}, by round, each checked against the model's spec; those
     * older than the history's window are left out, as the history would have forgotten them.
     */
    private TreeMap<Integer, Patches.Sparse> importHeld(int round, TensorFile state) {
      TreeMap<Integer, Patches.Sparse> out = new TreeMap<>();
      for (String name : state.tensors().keySet()) {
        if (!name.startsWith(Checkpoint.HELD_STATE)) {
          continue;
        }
        int at = Checkpoint.heldRound(name);
        if (at >= round) {
          throw new IllegalArgumentException("cs state: a model of round " + at + " does not belong to a state after round " + round);
        }
        if (at > round - options.downlinkHistory() && !out.containsKey(at)) {
          out.put(at, importModel(state.under(Checkpoint.heldState(at)), at));
        }
      }
      return out;
    }

    private Patches.Sparse importModel(TensorFile entry, int at) {
      float[][] arrays = new float[spec.tensorCount()][];
      Mask[] kept = new Mask[spec.tensorCount()];
      int names = 0;
      for (int t = 0; t < arrays.length; t++) {
        String name = spec.tensor(t).name();
        int size = spec.tensor(t).size();
        if (!entry.tensors().containsKey(KEPT + name)) {
          arrays[t] = entry.f32(VALUES + name, size);
          names++;
          continue;
        }
        byte[] bits = entry.bytes(KEPT + name);
        if (bits.length != ((size + 63) >>> 6) * 8) {
          throw new IllegalArgumentException("cs state: the mask of " + name + " in round " + at + " has " + bits.length + " bytes, the tensor " + size + " positions");
        }
        long[] words = new long[bits.length / 8];
        ByteBuffer.wrap(bits).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(words);
        kept[t] = Mask.fromWords(size, words);
        float[] values = entry.f32(VALUES + name, kept[t].cardinality());
        int[] positions = kept[t].positions();
        arrays[t] = new float[size];
        for (int j = 0; j < positions.length; j++) {
          // Assigned, not added: a kept -0.0 stays -0.0, as the model had it.
          arrays[t][positions[j]] = values[j];
        }
        names += 2;
      }
      if (names != entry.tensors().size()) {
        throw new IllegalArgumentException("cs state: the model of round " + at + " has tensors " + entry.tensors().keySet() + " this model does not");
      }
      boolean masked = Arrays.stream(kept).anyMatch(m -> m != null);
      return new Patches.Sparse(Model.copyOf(spec, arrays), masked ? Optional.of(MaskSet.of(spec, kept)) : Optional.empty());
    }

    @Override
    public void restore(int round, Model global, TensorFile state) {
      TreeMap<Integer, Patches.Sparse> earlier = importHeld(round, state);
      restoreMasks(round, global, state);
      if (options.downlinkHistory() > 0) {
        earlier.forEach(history::putIfAbsent);
      }
    }

    private void restoreMasks(int round, Model global, TensorFile state) {
      if (spec.tensors().stream().noneMatch(s -> state.tensors().containsKey(MASK + s.name()))) {
        restore(round, global);
        return;
      }
      Mask[] kept = new Mask[spec.tensorCount()];
      for (int t = 0; t < kept.length; t++) {
        String name = MASK + spec.tensor(t).name();
        if (!state.tensors().containsKey(name)) {
          continue;
        }
        byte[] b = state.bytes(name);
        if (b.length != spec.tensor(t).size()) {
          throw new IllegalArgumentException("cs state: " + name + " has " + b.length + " positions, the tensor " + spec.tensor(t).size());
        }
        int[] positions = new int[b.length];
        int n = 0;
        for (int i = 0; i < b.length; i++) {
          if (b[i] == 1) {
            positions[n++] = i;
          } else if (b[i] != 0) {
            throw new IllegalArgumentException("cs state: " + name + " holds a byte other than 0 and 1");
          }
        }
        kept[t] = Mask.fromPositions(b.length, java.util.Arrays.copyOf(positions, n));
      }
      sum.reset();
      history.clear();
      candidate = global;
      commit(round, Optional.of(MaskSet.of(spec, kept)));
    }

    @Override
    public Model globalModel() {
      return global;
    }
  }
}
