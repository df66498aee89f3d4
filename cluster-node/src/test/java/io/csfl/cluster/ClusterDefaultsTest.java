package io.csfl.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Settings of csfl-cluster.conf that only a benchmark would otherwise notice were lost. */
class ClusterDefaultsTest {
  private static Config node(Config overrides) {
    return ClusterConfig.of("csfl", "127.0.0.1", 0, Set.of("client"), List.of(), overrides);
  }

  /**
   * The TCP stage gathers at least a whole Artery frame per socket write while one is in flight:
   * with Akka's 16 KiB (one TLS record) each record waited for the previous write's
   * acknowledgement, and TLS cost twice the CPU it does now (TlsCostTest).
   */
  @Test
  void socketWritesGatherAWholeFrame() {
    for (Config c : List.of(node(ClusterConfig.insecure()), node(ConfigFactory.empty()))) {
      long buffer = c.getBytes("akka.remote.artery.advanced.materializer.io.tcp.write-buffer-size");
      long frame = c.getBytes("akka.remote.artery.advanced.maximum-frame-size");
      assertTrue(buffer >= frame, "write buffer " + buffer + " < frame " + frame);
    }
  }
}
