package io.csfl.nn;

/**
 * A float array per thread that grows on demand: the GEMM kernels' packed panels and edge blocks. A new array for
 * each product would add allocation, zeroing and garbage to every layer of every step, and the kernels run on many
 * threads at once, so each thread keeps its own, replacing it only with a larger one. Its contents are whatever the
 * thread's last product left: a user writes what it reads, or clears it first.
 */
final class ScratchFloats {
  private final ThreadLocal<float[]> arrays = ThreadLocal.withInitial(() -> new float[0]);

  /** This thread's array, of at least {@code size} floats. */
  float[] atLeast(int size) {
    float[] array = arrays.get();
    if (array.length < size) {
      array = new float[size];
      arrays.set(array);
    }
    return array;
  }
}
