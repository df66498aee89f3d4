package io.csfl.nn;

import io.csfl.tensor.TensorSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Fully connected layer: out = in * W + b, with W of shape [in, out] (Keras' kernel layout). */
final class Dense implements Layer {
  private final String name;
  private final int in;
  private final int out;
  private float[] w;
  private float[] b;
  private float[] dw;
  private float[] db;
  private final float[] wT;
  private final float[] dwT;
  private final int[] unitBits;
  private final int[] activeUnit;
  /**
   * What transposing one weight back costs, in multiply-adds of the kernel: the transpose moves one
   * float at a time with strided writes, while the kernel does a vector of multiply-adds per
   * instruction. Set from timing both on the mlp's first layer in one process.
   */
  private static final long TRANSPOSE_COST = 16;
  /**
   * The input of the latest {@link #forward} and its non-zeros (-1: not counted), which
   * {@link #backward} is given again: the weight gradient's choice of route needs the same count.
   */
  private float[] countedInput;
  private int countedBatch;
  private long countedInputNonZeros = -1;

  Dense(String name, int in, int out) {
    this.name = name;
    this.in = in;
    this.out = out;
    this.wT = new float[in * out];
    this.dwT = new float[in * out];
    this.unitBits = new int[out];
    this.activeUnit = new int[out];
  }

  @Override
  public int inputSize() {
    return in;
  }

  @Override
  public int outputSize() {
    return out;
  }

  @Override
  public List<TensorSpec> parameters() {
    return List.of(TensorSpec.kernel(name + "/kernel", in, out), TensorSpec.bias(name + "/bias", out));
  }

  @Override
  public void bind(float[][] params, float[][] grads) {
    w = params[0];
    b = params[1];
    dw = grads[0];
    db = grads[1];
  }

  @Override
  public void initialize(Random rng) {
    HeInit.fill(w, in, rng);
    Arrays.fill(b, 0f);
  }

  @Override
  public void forward(float[] x, float[] y, int batch) {
    Arrays.fill(y, 0, batch * out, 0f);
    // The SIMD product counts x's non-zeros to choose its kernel; counted here, the count also
    // serves the backward pass, which is given the same x (the scalar product needs no count).
    long inputNonZeros = Gemm.simd() ? Gemm.countNonZeros(x, batch * in) : -1;
    Gemm.mulAdd(batch, out, in, x, 0, in, 1, w, 0, y, 0, inputNonZeros);
    countedInput = x;
    countedBatch = batch;
    countedInputNonZeros = inputNonZeros;
    Gemm.addRowVector(y, 0, batch, b);
  }

  @Override
  public void backward(float[] x, float[] y, float[] dy, float[] dx, int batch) {
    // dW[in x out] += x^T * dy. Both factors are sparse (x where inputs are 0, dy where the next
    // ReLU was off), and the kernel skips the zeros of its left factor: x^T costs one out-long row
    // update per non-zero of x; dy^T (into dW^T, then transposed back) one in-long row per non-zero
    // of dy. Take the cheaper: with many inactive units the second is several times faster.
    // Only units with a non-zero gradient somewhere in the batch take part in the products with
    // dy, so only their rows of dW^T and of W^T are zeroed, transposed or read; the other rows of
    // those scratch buffers hold stale values that nothing reads.
    // The counts are those of the products' left factors (dy^T, x^T, dy): the kernels need not
    // count again. x's is the forward pass's when this is the x it counted.
    int active = activeUnits(dy, batch);
    long inputNonZeros = x == countedInput && batch == countedBatch && countedInputNonZeros >= 0
        ? countedInputNonZeros : Gemm.countNonZeros(x, batch * in);
    long outputGradientNonZeros = Gemm.countNonZeros(dy, batch * out);
    if (weightGradientViaOutput(batch, inputNonZeros, outputGradientNonZeros, active)) {
      for (int u = 0; u < active; u++) {
        Arrays.fill(dwT, activeUnit[u] * in, (activeUnit[u] + 1) * in, 0f);
      }
      Gemm.mulAdd(out, in, batch, dy, 0, 1, out, x, 0, dwT, 0, outputGradientNonZeros);
      Gemm.addTransposedRows(dwT, out, in, activeUnit, active, dw);
    } else {
      Gemm.mulAdd(in, out, batch, x, 0, 1, in, dy, 0, dw, 0, inputNonZeros);
    }
    Gemm.addColumnSums(dy, 0, batch, db);
    if (dx != null) {
      Gemm.transposeColumns(w, in, out, activeUnit, active, wT);
      Arrays.fill(dx, 0, batch * in, 0f);
      Gemm.mulAdd(batch, in, out, dy, 0, out, 1, wT, 0, dx, 0, outputGradientNonZeros);
    }
  }

  /**
   * Lists in {@code activeUnit} the units whose gradient is non-zero for some sample (the same
   * test as the kernel's: neither 0 nor -0), in ascending order; returns how many.
   */
  private int activeUnits(float[] dy, int batch) {
    Gemm.orColumnMagnitudes(dy, batch, out, unitBits);
    int count = 0;
    for (int u = 0; u < out; u++) {
      activeUnit[count] = u;
      count += unitBits[u] != 0 ? 1 : 0;
    }
    return count;
  }

  /**
   * Whether dW is cheaper as dy^T * x, then transposed back, than as x^T * dy. The kernel's cost
   * ({@link Gemm#transposedProductCost}) is about one unit per non-zero of its left factor times
   * the length of the other's rows while that factor is sparse, less per multiply-add once it is
   * dense enough for the blocked kernel; transposing dW^T's rows of the active units back into dW
   * costs about {@link #TRANSPOSE_COST} units per weight.
   */
  boolean weightGradientViaOutput(int batch, long inputNonZeros, long outputGradientNonZeros, int activeUnits) {
    long viaInput = Gemm.transposedProductCost(in, out, batch, inputNonZeros);
    long viaGradient = Gemm.transposedProductCost(out, in, batch, outputGradientNonZeros) + TRANSPOSE_COST * in * activeUnits;
    return viaGradient < viaInput;
  }
}
