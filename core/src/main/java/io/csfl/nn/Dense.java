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

  Dense(String name, int in, int out) {
    this.name = name;
    this.in = in;
    this.out = out;
    this.wT = new float[in * out];
    this.dwT = new float[in * out];
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
    Gemm.mulAdd(batch, out, in, x, 0, in, 1, w, 0, y, 0);
    Gemm.addRowVector(y, 0, batch, b);
  }

  @Override
  public void backward(float[] x, float[] y, float[] dy, float[] dx, int batch) {
    // dW[in x out] += x^T * dy. Both factors are sparse (x where inputs are 0, dy where the next
    // ReLU was off), and the kernel skips the zeros of its left factor: x^T costs one out-long row
    // update per non-zero of x; dy^T (into dW^T, then transposed back) one in-long row per non-zero
    // of dy. Take the cheaper: with many inactive units the second is several times faster.
    long viaInput = Gemm.countNonZeros(x, batch * in) * (long) out;
    long viaGradient = Gemm.countNonZeros(dy, batch * out) * (long) in + (long) in * out;
    if (viaGradient < viaInput) {
      Arrays.fill(dwT, 0f);
      Gemm.mulAdd(out, in, batch, dy, 0, 1, out, x, 0, dwT, 0);
      Gemm.addTransposed(dwT, out, in, dw);
    } else {
      Gemm.mulAdd(in, out, batch, x, 0, 1, in, dy, 0, dw, 0);
    }
    Gemm.addColumnSums(dy, 0, batch, db);
    if (dx != null) {
      Gemm.transpose(w, in, out, wT);
      Arrays.fill(dx, 0, batch * in, 0f);
      Gemm.mulAdd(batch, in, out, dy, 0, out, 1, wT, 0, dx, 0);
    }
  }
}
