package io.csfl.tensor;

/**
 * A tensor would hold a NaN or an infinity. Tensors refuse them when they are made, so a model or
 * an update is finite wherever it exists; this names the cause apart from other bad arguments, so
 * that the aggregator can tell updates that add up to no valid model (finite values near the float
 * range, scaled and summed) from a programming error.
 */
public final class NonFiniteValueException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  NonFiniteValueException(String message) {
    super(message);
  }
}
