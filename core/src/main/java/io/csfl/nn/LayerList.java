package io.csfl.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A model written as a list of layers, so that a user can try a network other than the presets
 * without writing Java. The layers, separated by commas or whitespace ({@code #} starts a comment
 * that runs to the end of the line):
 * <ul>
 *   <li>{@code conv:C:K}: C output channels, K x K kernel, stride 1, "same" zero padding (odd K),
 *       then ReLU;
 *   <li>{@code conv:C:K:valid}: the same without padding, so the image shrinks by K - 1;
 *   <li>{@code pool:K}: K x K max pooling with stride K (rows and columns past the last whole
 *       window are dropped);
 *   <li>{@code dense:N}: N units, then ReLU, except for the last layer, which feeds softmax
 *       cross-entropy and so must have as many units as the data has classes.
 * </ul>
 * The data is flattened before the first dense layer. {@code conv:32:5,pool:2,conv:64:5,pool:2,dense:512,dense:10}
 * is the {@code cnn} preset and {@code dense:200,dense:200,dense:10} the {@code mlp} preset, down to
 * tensor names and initial weights. Parsing checks the syntax; {@link Architecture#byName(String,
 * int[], int)} checks the shapes against the data, naming the first layer that does not fit.
 */
public final class LayerList {
  /** Bounds every number of a layer, far above any model this trainer can train. */
  static final int MAX_NUMBER = 1 << 16;
  /** Bounds the number of layers. */
  static final int MAX_LAYERS = 256;
  /** Bounds one layer's outputs per example, one tensor's parameters and a model's: 2^28 floats, 1 GiB. */
  static final long MAX_SIZE = 1L << 28;

  private enum Kind { CONV, POOL, DENSE }

  /** One parsed layer: {@code size} is C or N, {@code kernel} is K. */
  private record Step(Kind kind, int size, int kernel, boolean valid) {
    @Override
    public String toString() {
      return switch (kind) {
        case CONV -> "conv:" + size + ":" + kernel + (valid ? ":valid" : "");
        case POOL -> "pool:" + kernel;
        case DENSE -> "dense:" + size;
      };
    }
  }

  private final List<Step> steps;

  private LayerList(List<Step> steps) {
    this.steps = List.copyOf(steps);
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException naming the first layer that is not one of the four forms
   */
  public static LayerList parse(String text) {
    List<String> items = new ArrayList<>();
    for (String line : text.split("\\R", -1)) {
      int comment = line.indexOf('#');
      String[] parts = (comment < 0 ? line : line.substring(0, comment)).split(",", -1);
      for (int p = 0; p < parts.length; p++) {
        if (parts[p].isBlank() && p > 0 && p < parts.length - 1) {
          // A comma at a line's start or end is a separator; two in a row are a layer left out.
          throw new IllegalArgumentException("two commas with no layer between them"
              + (items.isEmpty() ? " at the list's start" : " after layer " + items.size() + " (" + items.get(items.size() - 1) + ")"));
        }
        for (String item : parts[p].split("\\s+")) {
          if (!item.isEmpty()) {
            items.add(item);
          }
        }
      }
    }
    if (items.isEmpty()) {
      throw new IllegalArgumentException("the model's layer list is empty");
    }
    if (items.size() > MAX_LAYERS) {
      throw new IllegalArgumentException("the model has " + items.size() + " layers, more than " + MAX_LAYERS);
    }
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      steps.add(parseStep(i + 1, items.get(i)));
    }
    return new LayerList(steps);
  }

  private static Step parseStep(int index, String item) {
    String[] p = item.toLowerCase(Locale.ROOT).split(":", -1);
    String where = "layer " + index + " (" + item + "): ";
    String forms = "expected conv:C:K, conv:C:K:valid, pool:K or dense:N";
    switch (p[0]) {
      case "conv" -> {
        if (p.length == 3 || p.length == 4 && (p[3].equals("valid") || p[3].equals("same"))) {
          return new Step(Kind.CONV, number(where, "C", p[1]), number(where, "K", p[2]), p.length == 4 && p[3].equals("valid"));
        }
      }
      case "pool" -> {
        if (p.length == 2) {
          return new Step(Kind.POOL, 0, number(where, "K", p[1]), true);
        }
      }
      case "dense" -> {
        if (p.length == 2) {
          return new Step(Kind.DENSE, number(where, "N", p[1]), 0, false);
        }
      }
      default -> throw new IllegalArgumentException(where + "unknown layer '" + p[0] + "', " + forms);
    }
    throw new IllegalArgumentException(where + forms);
  }

  private static int number(String where, String what, String text) {
    int n;
    try {
      n = text.length() > 6 ? -1 : Integer.parseInt(text);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1 || n > MAX_NUMBER) {
      throw new IllegalArgumentException(where + what + " must be a whole number from 1 to " + MAX_NUMBER + ", got '" + text + "'");
    }
    return n;
  }

  /** The list in its canonical form: lower case, comma-separated, no comments, "same" left out. */
  @Override
  public String toString() {
    return String.join(",", steps.stream().map(Step::toString).toList());
  }

  /**
   * The layers for examples of {@code shape} ({@code [C, H, W]} images or {@code [F]} features)
   * and {@code classes} classes, with the ReLUs and the move to channels-last that the presets
   * have. Throws one message naming the first layer that does not fit.
   */
  List<Layer> layers(int[] shape, int classes) {
    boolean image = shape.length == 3;
    int c = image ? shape[0] : 0;
    int h = image ? shape[1] : 0;
    int w = image ? shape[2] : 0;
    int features = java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact);
    List<Layer> out = new ArrayList<>();
    if (image && c > 1 && steps.get(0).kind() != Kind.DENSE) {
      out.add(new ChannelsLast(c, h, w));
    }
    int convs = 0;
    int denses = 0;
    // Summed before each layer is built, so that a model too large is refused before its layers take the memory.
    long parameters = 0;
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      String where = "layer " + (i + 1) + " (" + s + "): ";
      boolean last = i == steps.size() - 1;
      if (last && s.kind() != Kind.DENSE) {
        throw new IllegalArgumentException("last layer " + s + " must be dense:" + classes + ", for the dataset's " + classes + " classes");
      }
      if (last && s.size() != classes) {
        throw new IllegalArgumentException("last layer " + s + " must have " + classes + " outputs, the dataset's class count");
      }
      if (s.kind() != Kind.DENSE && !image) {
        throw new IllegalArgumentException(where + s.kind().name().toLowerCase(Locale.ROOT) + " needs image input (C x H x W), "
            + (denses > 0 ? "but the dense layer before it flattened the data" : "the dataset has flat features"));
      }
      switch (s.kind()) {
        case CONV -> {
          int k = s.kernel();
          if (!s.valid() && k % 2 == 0) {
            throw new IllegalArgumentException(where + "same padding needs an odd kernel size; write conv:" + s.size() + ":" + k + ":valid");
          }
          if (s.valid() && (h < k || w < k)) {
            throw new IllegalArgumentException(where + "input " + h + "x" + w + " is smaller than the " + k + "x" + k + " kernel");
          }
          int oh = s.valid() ? h - k + 1 : h;
          int ow = s.valid() ? w - k + 1 : w;
          requireSize(where, "outputs per example", (long) oh * ow * s.size());
          requireSize(where, "kernel weights", (long) k * k * c * s.size());
          requireSize(where, "patch-matrix entries per example", (long) oh * ow * k * k * c);
          parameters += (long) k * k * c * s.size() + s.size();
          requireSize(where, "parameters in this layer and those before", parameters);
          out.add(new Conv2D("conv" + ++convs, h, w, c, s.size(), k, s.valid()));
          c = s.size();
          h = oh;
          w = ow;
          out.add(new Relu(h * w * c));
        }
        case POOL -> {
          if (h < s.kernel() || w < s.kernel()) {
            throw new IllegalArgumentException(where + "input " + h + "x" + w + " is smaller than the pool");
          }
          out.add(new MaxPool(h, w, c, s.kernel()));
          h /= s.kernel();
          w /= s.kernel();
        }
        case DENSE -> {
          int inputs = image ? c * h * w : features;
          requireSize(where, "weights", (long) inputs * s.size());
          parameters += (long) inputs * s.size() + s.size();
          requireSize(where, "parameters in this layer and those before", parameters);
          out.add(new Dense("dense" + ++denses, inputs, s.size()));
          image = false;
          features = s.size();
          if (!last) {
            out.add(new Relu(s.size()));
          }
        }
      }
    }
    return out;
  }

  private static void requireSize(String where, String what, long n) {
    if (n > MAX_SIZE) {
      throw new IllegalArgumentException(where + n + " " + what + ", more than " + MAX_SIZE);
    }
  }
}
