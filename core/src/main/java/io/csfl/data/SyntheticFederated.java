package io.csfl.data;

import io.csfl.internal.data.Shuffle;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The Synthetic(alpha, beta) federated benchmark of FedProx (Li et al., "Federated Optimization in
 * Heterogeneous Networks", MLSys 2020), also in LEAF: 30 devices, 60 features, 10 classes, with
 * the published generator's recipe.
 *
 * <ul>
 *   <li>Device k holds {@code floor(exp(N(4, 2))) + 50} examples (a lognormal, power-law-like
 *       spread of sizes).
 *   <li>Its model: {@code u_k ~ N(0, alpha)}, {@code W_k ~ N(u_k, 1)} (60 x 10) and
 *       {@code b_k ~ N(u_k, 1)}; its label is {@code argmax(softmax(x W_k + b_k))}.
 *   <li>Its features: {@code B_k ~ N(0, beta)}, mean {@code v_k ~ N(B_k, 1)} per feature, and
 *       {@code x ~ N(v_k, Sigma)} with diagonal {@code Sigma_jj = j^-1.2}.
 * </ul>
 * Alpha sets how much the devices' models differ, beta how much their features do; (0, 0) is the
 * least and (1, 1) the most heterogeneous of the usual settings. Each device's examples are
 * shuffled and split as the published script splits them: the first 90 % (rounded down) train,
 * the rest test. The training set's groups are the devices ({@code f_00000} to {@code f_00029}),
 * for the {@code natural} split. Everything is drawn from one {@link Random} seeded with
 * {@code seed}, so a seed always gives the same data.
 */
public final class SyntheticFederated {
  /** The number of devices, each one group of the training set. */
  public static final int DEVICES = 30;
  /** Features per example. */
  public static final int FEATURES = 60;
  /** Classes of the labels. */
  public static final int CLASSES = 10;
  /** The fraction of each device's examples that trains, as in the published script. */
  public static final double TRAIN_FRACTION = 0.9;

  private SyntheticFederated() {}

  /** The training and test sets of Synthetic(alpha, beta) for {@code seed}. */
  public static Splits generate(double alpha, double beta, long seed) {
    if (!(alpha >= 0) || !(beta >= 0) || !Double.isFinite(alpha) || !Double.isFinite(beta)) {
      throw new IllegalArgumentException("synthetic needs alpha and beta of 0 or more, got " + alpha + ", " + beta);
    }
    Random rng = new Random(seed);
    int[] sizes = new int[DEVICES];
    for (int k = 0; k < DEVICES; k++) {
      sizes[k] = (int) Math.exp(4 + 2 * rng.nextGaussian()) + 50;
    }
    double[] modelMean = new double[DEVICES];
    double[] featureShift = new double[DEVICES];
    for (int k = 0; k < DEVICES; k++) {
      modelMean[k] = alpha * rng.nextGaussian();
    }
    for (int k = 0; k < DEVICES; k++) {
      featureShift[k] = beta * rng.nextGaussian();
    }
    double[] sd = new double[FEATURES];
    for (int j = 0; j < FEATURES; j++) {
      sd[j] = Math.pow(j + 1, -0.6);
    }
    double[][] featureMean = new double[DEVICES][FEATURES];
    for (int k = 0; k < DEVICES; k++) {
      for (int j = 0; j < FEATURES; j++) {
        featureMean[k][j] = featureShift[k] + rng.nextGaussian();
      }
    }
    String name = "synthetic(" + alpha + "," + beta + ") seed " + seed;
    Dataset.Builder train = Dataset.builder(name + " train", FEATURES).classes(CLASSES);
    Dataset.Builder test = Dataset.builder(name + " test", FEATURES).classes(CLASSES);
    for (int k = 0; k < DEVICES; k++) {
      double[][] w = new double[FEATURES][CLASSES];
      double[] b = new double[CLASSES];
      for (double[] row : w) {
        for (int c = 0; c < CLASSES; c++) {
          row[c] = modelMean[k] + rng.nextGaussian();
        }
      }
      for (int c = 0; c < CLASSES; c++) {
        b[c] = modelMean[k] + rng.nextGaussian();
      }
      List<float[]> xs = new ArrayList<>(sizes[k]);
      int[] ys = new int[sizes[k]];
      for (int i = 0; i < sizes[k]; i++) {
        float[] x = new float[FEATURES];
        for (int j = 0; j < FEATURES; j++) {
          x[j] = (float) (featureMean[k][j] + sd[j] * rng.nextGaussian());
        }
        xs.add(x);
        ys[i] = argmax(x, w, b);
      }
      int[] order = Shuffle.range(sizes[k], rng);
      int trainCount = (int) (TRAIN_FRACTION * sizes[k]);
      String device = String.format("f_%05d", k);
      for (int i = 0; i < sizes[k]; i++) {
        int e = order[i];
        if (i < trainCount) {
          train.add(xs.get(e), ys[e], device);
        } else {
          test.add(xs.get(e), ys[e], device);
        }
      }
    }
    return new Splits(train.build(), test.build(), "synthetic:" + alpha + "," + beta + " (seed " + seed + ")");
  }

  /** The softmax is monotone, so its argmax is that of the logits. */
  private static int argmax(float[] x, double[][] w, double[] b) {
    int best = 0;
    double bestLogit = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < CLASSES; c++) {
      double logit = b[c];
      for (int j = 0; j < FEATURES; j++) {
        logit += x[j] * w[j][c];
      }
      if (logit > bestLogit) {
        bestLogit = logit;
        best = c;
      }
    }
    return best;
  }
}
