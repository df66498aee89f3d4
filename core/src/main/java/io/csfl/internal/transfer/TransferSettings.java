package io.csfl.internal.transfer;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code csfl.transfer} section of the configuration.
 *
 * @param directLimit         messages up to this size go to a remote recipient as one ordinary message
 * @param chunkSize           bytes of message per chunk; with its envelope within Artery's maximum frame
 * @param window              chunks sent ahead of the receiver's acknowledgements
 * @param ackTimeout          how long a transfer waits for the receiver before it is declared failed
 * @param maxBytes            the largest message either side accepts
 * @param maxInboundTransfers chunked messages this node receives at once; a sender whose announcement
 *                            finds no place waits and announces again, for up to the ack timeout
 * @param maxInboundTransfersPerNode chunked messages this node receives at once from one node (as its
 *                            announcements name it): no member can take every place
 * @param maxInboundBytes     the bytes this node's inbound transfers may buffer at once, added up; a
 *                            chunk that would pass it ends its transfer
 * @param minRate             bytes per second an inbound transfer must bring: after a grace of one ack
 *                            timeout from its announcement, each ack timeout must bring this many
 *                            per second of it (or the rest of the message), or the transfer is dropped
 */
public record TransferSettings(int directLimit, int chunkSize, int window, Duration ackTimeout, long maxBytes,
                               int maxInboundTransfers, int maxInboundTransfersPerNode, long maxInboundBytes, long minRate) {
  /**
   * Throws IllegalArgumentException, naming the setting, unless chunk size, window, ack timeout, max bytes, max
   * inbound transfers (in all and per node) and min rate are positive, the direct limit is not
   * negative, max bytes is below 2 GiB and max inbound bytes is at least twice max bytes (a
   * complete message is joined from its blocks into one array, and both are counted while it is).
   */
  public TransferSettings {
    require(directLimit >= 0, "direct-limit must not be negative, got " + directLimit);
    require(chunkSize > 0, "chunk-size must be positive, got " + chunkSize);
    require(window > 0, "window must be positive, got " + window);
    require(!ackTimeout.isNegative() && !ackTimeout.isZero(), "ack-timeout must be positive, got " + ackTimeout);
    require(maxBytes > 0, "max-bytes must be positive, got " + maxBytes);
    require(maxBytes <= Integer.MAX_VALUE - 8, "max-bytes must be below 2 GiB (one Java array), got " + maxBytes);
    require(maxInboundTransfers > 0, "max-inbound-transfers must be positive, got " + maxInboundTransfers);
    require(maxInboundTransfersPerNode > 0, "max-inbound-transfers-per-node must be positive, got " + maxInboundTransfersPerNode);
    require(maxInboundBytes >= 2 * maxBytes, "max-inbound-bytes must be at least twice max-bytes (" + maxBytes + "), got " + maxInboundBytes);
    require(minRate > 0, "min-rate must be positive, got " + minRate);
  }

  private static void require(boolean ok, String problem) {
    if (!ok) {
      throw new IllegalArgumentException("csfl.transfer." + problem);
    }
  }

  /**
   * The settings under {@code csfl.transfer} in {@code config}, sizes in HOCON byte units (e.g.
   * {@code 128 KiB}; {@code min-rate} is bytes per second in the same units); throws a ConfigException when one is missing or mistyped.
   */
  public static TransferSettings from(Config config) {
    Config c = config.getConfig("csfl.transfer");
    return new TransferSettings(Math.toIntExact(c.getBytes("direct-limit")), Math.toIntExact(c.getBytes("chunk-size")),
        c.getInt("window"), c.getDuration("ack-timeout"), c.getBytes("max-bytes"),
        c.getInt("max-inbound-transfers"), c.getInt("max-inbound-transfers-per-node"), c.getBytes("max-inbound-bytes"),
        c.getBytes("min-rate"));
  }
}
