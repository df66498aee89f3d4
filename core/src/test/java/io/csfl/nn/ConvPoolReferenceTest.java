package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csfl.internal.simd.SimdWarmUp;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Valid-padding convolution and k x k max pooling against the textbook loops: outputs, input
 * gradients and kernel gradients, over a batch of NHWC images.
 */
class ConvPoolReferenceTest {
  private static final int BATCH = 2;

  @Test
  void validConvMatchesTheNaiveLoops() {
    int h = 6;
    int w = 5;
    int in = 2;
    int out = 3;
    int k = 3;
    int oh = h - k + 1;
    int ow = w - k + 1;
    Conv2D conv = new Conv2D("c", h, w, in, out, k, true);
    assertEquals(oh * ow * out, conv.outputSize());
    Random rng = new Random(1);
    float[] kernel = gaussian(rng, k * k * in * out);
    float[] bias = gaussian(rng, out);
    float[] dKernel = new float[kernel.length];
    conv.bind(new float[][] {kernel, bias}, new float[][] {dKernel, new float[out]});
    Pass p = Pass.of(conv, rng);
    float[] x = p.x();
    float[] dy = p.dy();

    double[] expectedY = new double[p.y().length];
    double[] expectedDx = new double[x.length];
    double[] expectedDKernel = new double[kernel.length];
    for (int s = 0; s < BATCH; s++) {
      for (int r = 0; r < oh; r++) {
        for (int c = 0; c < ow; c++) {
          for (int o = 0; o < out; o++) {
            int yi = ((s * oh + r) * ow + c) * out + o;
            expectedY[yi] = bias[o];
            for (int kh = 0; kh < k; kh++) {
              for (int kw = 0; kw < k; kw++) {
                for (int i = 0; i < in; i++) {
                  int xi = ((s * h + r + kh) * w + c + kw) * in + i;
                  int ki = ((kh * k + kw) * in + i) * out + o;
                  expectedY[yi] += x[xi] * kernel[ki];
                  expectedDx[xi] += dy[yi] * kernel[ki];
                  expectedDKernel[ki] += dy[yi] * x[xi];
                }
              }
            }
          }
        }
      }
    }
    assertClose(expectedY, p.y());
    assertClose(expectedDx, p.dx());
    assertClose(expectedDKernel, dKernel);
  }

  /**
   * Same-padding convolution to the bit, on either kernel: each output is bias plus one chain of
   * fused multiply-adds over its patch in (kh, kw, channel) order, and each input gradient sums
   * its terms in (output pixel, kernel row) order, whichever way the patches are copied.
   */
  @Test
  void sameConvGivesTheBitsOfTheTapByTapOrder() {
    int h = 6;
    int w = 7;
    int k = 5;
    int out = 3;
    for (int in : new int[] {1, 3}) {
      for (boolean scalar : new boolean[] {false, true}) {
        Conv2D conv = new Conv2D("c", h, w, in, out, k);
        Random rng = new Random(4);
        float[] kernel = gaussian(rng, k * k * in * out);
        float[] bias = gaussian(rng, out);
        conv.bind(new float[][] {kernel, bias}, new float[][] {new float[kernel.length], new float[out]});
        Gemm.forceScalar(scalar);
        SimdWarmUp.assumeAllWarm(!scalar);
        Pass p;
        try {
          p = Pass.of(conv, rng);
        } finally {
          Gemm.forceScalar(false);
          SimdWarmUp.assumeAllWarm(false);
        }
        float[] expectedY = new float[p.y().length];
        float[] expectedDx = new float[p.x().length];
        for (int s = 0; s < BATCH; s++) {
          for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
              int yAt = ((s * h + r) * w + c) * out;
              float[] dPatch = new float[k * k * in];
              for (int o = 0; o < out; o++) {
                float sum = 0f;
                for (int kh = 0, q = 0; kh < k; kh++) {
                  for (int kw = 0; kw < k; kw++) {
                    for (int i = 0; i < in; i++, q++) {
                      int ih = r + kh - k / 2;
                      int iw = c + kw - k / 2;
                      float xv = ih < 0 || ih >= h || iw < 0 || iw >= w ? 0f : p.x()[((s * h + ih) * w + iw) * in + i];
                      float kv = kernel[q * out + o];
                      sum = xv == 0f ? sum : Math.fma(xv, kv, sum);
                      dPatch[q] = Math.fma(p.dy()[yAt + o], kv, dPatch[q]);
                    }
                  }
                }
                expectedY[yAt + o] = sum + bias[o];
              }
              for (int kh = 0, q = 0; kh < k; kh++) {
                for (int kw = 0; kw < k; kw++) {
                  for (int i = 0; i < in; i++, q++) {
                    int ih = r + kh - k / 2;
                    int iw = c + kw - k / 2;
                    if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                      expectedDx[((s * h + ih) * w + iw) * in + i] += dPatch[q];
                    }
                  }
                }
              }
            }
          }
        }
        String what = in + " channels, " + (scalar ? "scalar" : "SIMD");
        assertSameBits(expectedY, p.y(), "y, " + what);
        assertSameBits(expectedDx, p.dx(), "dx, " + what);
      }
    }
  }

  private static void assertSameBits(float[] expected, float[] actual, String what) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), what + ": index " + i);
    }
  }

  @Test
  void threeByThreePoolMatchesTheNaiveLoops() {
    int h = 7;
    int w = 8;
    int ch = 2;
    int k = 3;
    int oh = h / k;
    int ow = w / k;
    MaxPool pool = new MaxPool(h, w, ch, k);
    assertEquals(oh * ow * ch, pool.outputSize());
    Random rng = new Random(2);
    Pass p = Pass.of(pool, rng);
    float[] x = p.x();
    float[] expectedY = new float[p.y().length];
    float[] expectedDx = new float[x.length];
    for (int s = 0; s < BATCH; s++) {
      for (int r = 0; r < oh; r++) {
        for (int c = 0; c < ow; c++) {
          for (int d = 0; d < ch; d++) {
            int best = -1;
            for (int kh = 0; kh < k; kh++) {
              for (int kw = 0; kw < k; kw++) {
                int xi = ((s * h + r * k + kh) * w + c * k + kw) * ch + d;
                if (best < 0 || x[xi] > x[best]) {
                  best = xi;
                }
              }
            }
            int yi = ((s * oh + r) * ow + c) * ch + d;
            expectedY[yi] = x[best];
            expectedDx[best] += p.dy()[yi];
          }
        }
      }
    }
    assertArrayEquals(expectedY, p.y());
    assertArrayEquals(expectedDx, p.dx());
  }

  /** One forward and backward pass of a layer on random inputs and output gradients. */
  private record Pass(float[] x, float[] y, float[] dy, float[] dx) {
    static Pass of(Layer layer, Random rng) {
      float[] x = gaussian(rng, BATCH * layer.inputSize());
      float[] y = new float[BATCH * layer.outputSize()];
      layer.forward(x, y, BATCH);
      float[] dy = gaussian(rng, y.length);
      float[] dx = new float[x.length];
      layer.backward(x, y, dy, dx, BATCH);
      return new Pass(x, y, dy, dx);
    }
  }

  private static float[] gaussian(Random rng, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rng.nextGaussian();
    }
    return a;
  }

  private static void assertClose(double[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), "index " + i);
    }
  }
}
