package io.csfl.strategy;

import io.csfl.codec.Precision;
import java.util.Objects;

/**
 * What a CS variant adds to the paper's method; {@link #paper()} adds nothing.
 *
 * @param precision     how values travel in both directions
 * @param keptSigns     cs-1bit: clients also send, for the kept positions, a ternary code of their
 *                      update (zero where it is exactly zero, else its sign scaled by the mean magnitude
 *                      of the tensor's non-zero updates), and the server adds the clients' mean code to
 *                      the kept weights. Without the zero, the 6-17% of kept weights that Adam leaves
 *                      exactly unchanged on non-IID data (blank pixels, dead units) would drift by a
 *                      default sign every round.
 * @param uplinkDensity cs-topk: the fraction q of complement values a client sends (the largest in
 *                      magnitude, with error feedback of the rest); 1 sends all of them
 */
public record CsVariant(Precision precision, boolean keptSigns, double uplinkDensity) {
  /**
   * Throws NullPointerException without a precision and IllegalArgumentException unless
   * {@code uplinkDensity} is in (0, 1].
   */
  public CsVariant {
    Objects.requireNonNull(precision, "precision");
    if (!(uplinkDensity > 0 && uplinkDensity <= 1)) {
      throw new IllegalArgumentException("uplink density must be in (0, 1], got " + uplinkDensity);
    }
  }

  /** The paper's method: float32 values, no kept-weight signs, the whole complement sent. */
  public static CsVariant paper() {
    return new CsVariant(Precision.FP32, false, 1.0);
  }

  boolean sparseUplink() {
    return uplinkDensity < 1;
  }
}
