package io.csfl.internal.transfer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** A chunk size that would not fit Artery's frame is refused when the node starts, not by silent drops later. */
class FrameSizeTest {
  private static Config with(String chunkSize, String frame) {
    return ConfigFactory.parseString("csfl.transfer.chunk-size = " + chunkSize + "\nakka.remote.artery.advanced.maximum-frame-size = " + frame)
        .withFallback(ConfigFactory.load());
  }

  @Test
  void theClusterNodesChunkSizeFitsArterysDefaultFrame() {
    Config config = with("240 KiB", "256 KiB");
    Transfers.checkFrameSize(config, TransferSettings.from(config));
  }

  @Test
  void aChunkAsBigAsTheFrameIsRefused() {
    Config config = with("256 KiB", "256 KiB");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Transfers.checkFrameSize(config, TransferSettings.from(config)));
    assertTrue(e.getMessage().contains("csfl.transfer.chunk-size") && e.getMessage().contains("maximum-frame-size"), e.getMessage());
  }
}
