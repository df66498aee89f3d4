package io.csfl.codec;

final class Sections {
  private Sections() {}

  static void requireIndex(int tensor) {
    if (tensor < 0) {
      throw new IllegalArgumentException("negative tensor index " + tensor);
    }
  }
}
