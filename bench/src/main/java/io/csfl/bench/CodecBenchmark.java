package io.csfl.bench;

import io.csfl.codec.MaskedSection;
import io.csfl.codec.Payload;
import io.csfl.codec.TestMasks;
import io.csfl.internal.wire.PayloadCodec;
import io.csfl.internal.wire.WireReader;
import io.csfl.internal.wire.WireWriter;
import io.csfl.tensor.Mask;
import io.csfl.tensor.TensorOps;
import io.csfl.tensor.Values;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding and decoding a sparse tensor of n = 1,000,000 float32 positions (mask plus kept
 * values) at several densities. Throughput in GB/s of dense input = ops/s * 4 MB.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@State(Scope.Thread)
public class CodecBenchmark {
  static final int N = 1_000_000;

  @Param({"0.5", "0.3", "0.1", "0.01"})
  public double density;

  private Payload payload;
  private byte[] encoded;

  @Setup
  public void setUp() {
    Mask mask = TestMasks.random(N, density, 42);
    float[] dense = new float[N];
    Random rng = new Random(1);
    for (int i = 0; i < N; i++) {
      dense[i] = (float) rng.nextGaussian();
    }
    payload = new Payload(List.of(new MaskedSection(0, mask, TensorOps.gather(Values.copyOf(dense), mask))));
    encoded = encode();
  }

  @Benchmark
  public byte[] encode() {
    WireWriter w = new WireWriter(N / 2);
    PayloadCodec.encode(payload, w);
    return w.toByteArray();
  }

  @Benchmark
  public Payload decode() {
    return PayloadCodec.decode(new WireReader(encoded));
  }
}
