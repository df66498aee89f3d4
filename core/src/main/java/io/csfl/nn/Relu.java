package io.csfl.nn;


final class Relu implements Layer {
  private final int size;

  Relu(int size) {
    this.size = size;
  }

  @Override
  public int inputSize() {
    return size;
  }

  @Override
  public int outputSize() {
    return size;
  }

  @Override
  public void forward(float[] x, float[] y, int batch) {
    int n = batch * size;
    for (int i = 0; i < n; i++) {
      y[i] = Math.max(0f, x[i]);
    }
  }

  @Override
  public void backward(float[] x, float[] y, float[] dy, float[] dx, int batch) {
    if (dx == null) {
      return;
    }
    int n = batch * size;
    for (int i = 0; i < n; i++) {
      dx[i] = y[i] > 0f ? dy[i] : 0f;
    }
  }
}
