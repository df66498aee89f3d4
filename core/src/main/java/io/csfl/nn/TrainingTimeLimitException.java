package io.csfl.nn;

import java.time.Duration;

/**
 * Local training stopped at its {@link TrainingConfig#timeLimit()}: its round can no longer take
 * the result. A client reports it as its failure to train that round and trains the next one as usual.
 */
public final class TrainingTimeLimitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  TrainingTimeLimitException(Duration limit, int epoch, int epochs) {
    super("local training ran past its time limit of " + limit.toString().substring(2).toLowerCase(java.util.Locale.ROOT)
        + " in epoch " + (epoch + 1) + " of " + epochs + ", and was stopped");
  }
}
