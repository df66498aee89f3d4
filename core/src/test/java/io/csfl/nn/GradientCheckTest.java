package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Compares every analytic gradient with central finite differences of the mean loss. Each layer
 * type sits behind another layer in at least one network here, so its input gradient is checked
 * too, not only its parameter gradients.
 */
class GradientCheckTest {
  private static final int BATCH = 3;

  @Test
  void denseAndReluNetwork() {
    check(new Network(List.of(new Dense("a", 5, 7), new Relu(7), new Dense("b", 7, 4)), BATCH), 11);
  }

  @Test
  void convPoolNetworkIncludingConvInputGradient() {
    // Dense -> Conv2D puts the convolution behind a layer, so its dIn is exercised.
    Network net = new Network(List.of(
        new Dense("in", 6, 4 * 4 * 2), new Relu(32),
        new Conv2D("conv", 4, 4, 2, 3, 3), new Relu(4 * 4 * 3),
        new MaxPool(4, 4, 3, 2),
        new Dense("out", 2 * 2 * 3, 3)), BATCH);
    check(net, 12);
  }

  @Test
  void fiveByFiveConvAsFirstLayer() {
    check(new Network(List.of(new Conv2D("c", 6, 6, 1, 2, 5), new Relu(72), new MaxPool(6, 6, 2, 2), new Dense("d", 18, 3)), BATCH), 13);
  }

  @Test
  void convAlone() {
    check(new Network(List.of(new Conv2D("c", 4, 4, 2, 3, 3), new Dense("d", 48, 3)), BATCH), 14);
  }

  @Test
  void convBehindDense() {
    check(new Network(List.of(new Dense("in", 6, 32), new Conv2D("c", 4, 4, 2, 3, 3), new Dense("d", 48, 3)), BATCH), 15);
  }

  @Test
  void poolAlone() {
    check(new Network(List.of(new Dense("in", 6, 32), new MaxPool(4, 4, 2, 2), new Dense("d", 8, 3)), BATCH), 16);
  }

  @Test
  void validConvBehindDense() {
    check(new Network(List.of(new Dense("in", 6, 5 * 5 * 2), new Conv2D("c", 5, 5, 2, 3, 3, true), new Relu(27), new Dense("d", 27, 3)), BATCH), 17);
  }

  @Test
  void validConvWithAnEvenKernelOnAnOblongImage() {
    check(new Network(List.of(new Conv2D("c", 5, 6, 1, 2, 4, true), new Dense("d", 2 * 3 * 2, 3)), BATCH), 18);
  }

  @Test
  void threeByThreePoolThatDropsARemainder() {
    // 7x7 pooled by 3 is 2x2: the last row and column get no gradient.
    check(new Network(List.of(new Dense("in", 6, 7 * 7 * 2), new MaxPool(7, 7, 2, 3), new Dense("d", 8, 3)), BATCH), 19);
  }

  private static void check(Network net, long seed) {
    net.initialize(seed);
    Random rng = new Random(seed);
    float[] x = net.inputBuffer();
    for (int i = 0; i < BATCH * net.inputSize(); i++) {
      x[i] = (float) rng.nextGaussian();
    }
    int classes = net.spec().tensor(net.spec().tensorCount() - 1).size();
    for (int s = 0; s < BATCH; s++) {
      net.labelBuffer()[s] = rng.nextInt(classes);
    }
    net.computeGradients(BATCH);
    float[][] params = net.params();
    float[][] analytic = new float[params.length][];
    for (int t = 0; t < params.length; t++) {
      analytic[t] = net.grads()[t].clone();
    }
    int checked = 0;
    int kinks = 0;
    double base = net.evaluateBatch(BATCH, null) / BATCH;
    for (int t = 0; t < params.length; t++) {
      for (int i = 0; i < params[t].length; i += Math.max(1, params[t].length / 25)) {
        float saved = params[t][i];
        double h = 1e-3;
        params[t][i] = (float) (saved + h);
        double plus = net.evaluateBatch(BATCH, null) / BATCH;
        params[t][i] = (float) (saved - h);
        double minus = net.evaluateBatch(BATCH, null) / BATCH;
        params[t][i] = saved;
        restoreInput(net, x);
        // Max-pooling and ReLU are not differentiable where two inputs tie or an input is 0; a step
        // that crosses such a point shows up as one-sided slopes that disagree. Skip those points.
        double forward = (plus - base) / h;
        double backward = (base - minus) / h;
        if (Math.abs(forward - backward) > 1e-3 + 0.02 * Math.abs(forward + backward) / 2) {
          kinks++;
          continue;
        }
        double numeric = (plus - minus) / (2 * h);
        double a = analytic[t][i];
        double tolerance = 1e-3 + 1e-2 * Math.max(Math.abs(a), Math.abs(numeric));
        assertEquals(numeric, a, tolerance, net.spec().tensor(t).name() + "[" + i + "]");
        checked++;
      }
    }
    assertTrue(checked > 40 && kinks * 4 < checked, "checked " + checked + " gradients, skipped " + kinks + " at kinks");
  }

  /** evaluateBatch leaves the input buffer alone, but be explicit: the check relies on it. */
  private static void restoreInput(Network net, float[] x) {
    assertTrue(net.inputBuffer() == x);
  }
}
