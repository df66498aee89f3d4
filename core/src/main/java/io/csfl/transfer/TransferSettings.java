package io.csfl.transfer;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code csfl.transfer} section of the configuration.
 *
 * @param directLimit messages up to this size go to a remote recipient as one ordinary message
 * @param chunkSize   bytes of message per chunk; well below Artery's 256 KiB frame
 * @param window      chunks sent ahead of the receiver's acknowledgements
 * @param ackTimeout  how long a transfer waits for the receiver before it is declared failed
 * @param maxBytes    the largest message either side accepts
 */
public record TransferSettings(int directLimit, int chunkSize, int window, Duration ackTimeout, long maxBytes) {
  public TransferSettings {
    if (chunkSize <= 0 || window <= 0 || directLimit < 0 || maxBytes <= 0 || ackTimeout.isNegative() || ackTimeout.isZero()) {
      throw new IllegalArgumentException("bad csfl.transfer settings: " + directLimit + ", " + chunkSize + ", " + window + ", " + ackTimeout + ", " + maxBytes);
    }
    if (maxBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("csfl.transfer.max-bytes must be below 2 GiB (one Java array), got " + maxBytes);
    }
  }

  public static TransferSettings from(Config config) {
    Config c = config.getConfig("csfl.transfer");
    return new TransferSettings(Math.toIntExact(c.getBytes("direct-limit")), Math.toIntExact(c.getBytes("chunk-size")),
        c.getInt("window"), c.getDuration("ack-timeout"), c.getBytes("max-bytes"));
  }
}
