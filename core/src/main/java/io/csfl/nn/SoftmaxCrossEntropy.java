package io.csfl.nn;

/** Softmax over logits followed by the mean negative log-likelihood of the true labels. */
final class SoftmaxCrossEntropy {
  private SoftmaxCrossEntropy() {}

  /**
   * Turns {@code logits[batch x classes]} into probabilities in place and returns the summed (not
   * mean) loss over the batch.
   */
  static double softmaxInPlace(float[] logits, int[] labels, int batch, int classes) {
    double loss = 0;
    for (int s = 0; s < batch; s++) {
      int off = s * classes;
      float max = Float.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, logits[off + c]);
      }
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        float e = (float) Math.exp(logits[off + c] - max);
        logits[off + c] = e;
        sum += e;
      }
      for (int c = 0; c < classes; c++) {
        logits[off + c] = (float) (logits[off + c] / sum);
      }
      loss -= Math.log(Math.max(logits[off + labels[s]], 1e-12f));
    }
    return loss;
  }

  /** Gradient of the mean loss with respect to the logits, from the probabilities. */
  static void gradient(float[] probs, int[] labels, int batch, int classes, float[] dLogits) {
    float scale = 1f / batch;
    for (int s = 0; s < batch; s++) {
      int off = s * classes;
      for (int c = 0; c < classes; c++) {
        dLogits[off + c] = probs[off + c] * scale;
      }
      dLogits[off + labels[s]] -= scale;
    }
  }
}
