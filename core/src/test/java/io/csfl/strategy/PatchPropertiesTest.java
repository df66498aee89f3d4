package io.csfl.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csfl.codec.Payload;
import io.csfl.codec.Precision;
import io.csfl.internal.wire.PayloadCodec;
import io.csfl.internal.wire.WireReader;
import io.csfl.internal.wire.WireWriter;
import io.csfl.tensor.Mask;
import io.csfl.tensor.MaskSet;
import io.csfl.tensor.Model;
import io.csfl.tensor.ModelSpec;
import io.csfl.tensor.TensorSpec;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** A patch between any two sparse models, sent through the codec, rebuilds the second from the first. */
class PatchPropertiesTest {
  @Property(tries = 200)
  void aPatchRebuildsTheNextModelExactly(@ForAll @IntRange(min = 1, max = 3000) int n,
                                         @ForAll @DoubleRange(min = 0, max = 1) double density,
                                         @ForAll @DoubleRange(min = 0, max = 0.5) double flipRate,
                                         @ForAll @DoubleRange(min = 0, max = 1) double changeRate,
                                         @ForAll long seed) {
    Random rng = new Random(seed);
    ModelSpec spec = ModelSpec.of(List.of(TensorSpec.kernel("k", 1, n), TensorSpec.bias("b", 3)));
    boolean[] before = new boolean[n];
    boolean[] after = new boolean[n];
    float[] old = new float[n];
    float[] now = new float[n];
    for (int i = 0; i < n; i++) {
      before[i] = rng.nextDouble() < density;
      after[i] = rng.nextDouble() < flipRate != before[i];
      old[i] = before[i] ? (float) rng.nextGaussian() : 0f;
      boolean same = before[i] && rng.nextDouble() >= changeRate;
      now[i] = !after[i] ? 0f : same ? old[i] : (float) rng.nextGaussian();
    }
    Patches.Sparse held = sparse(spec, before, old, new float[] {1, 2, 3});
    Patches.Sparse next = sparse(spec, after, now, new float[] {1, -2, 4});
    Payload patch = Patches.between(7, held, next, Precision.FP32).orElseThrow();
    WireWriter out = new WireWriter(64);
    PayloadCodec.encode(patch, out);
    Patches.Sparse rebuilt = Patches.apply(held, PayloadCodec.decode(new WireReader(out.toByteArray())));
    assertEquals(next.model(), rebuilt.model());
    assertEquals(next.masks(), rebuilt.masks());
  }

  private static Patches.Sparse sparse(ModelSpec spec, boolean[] kept, float[] kernel, float[] bias) {
    int[] positions = java.util.stream.IntStream.range(0, kept.length).filter(i -> kept[i]).toArray();
    Mask mask = Mask.fromPositions(kept.length, positions);
    return new Patches.Sparse(Model.copyOf(spec, new float[][] {kernel, bias}), Optional.of(MaskSet.of(spec, new Mask[] {mask, null})));
  }
}
