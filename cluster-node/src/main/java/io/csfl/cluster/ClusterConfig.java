package io.csfl.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The Akka configuration of one cluster node: CSFL's cluster defaults plus this node's address and roles. */
public final class ClusterConfig {
  private ClusterConfig() {}

  /**
   * @param seedNodes host:port of the nodes to join through (this node's own address may be one)
   * @param overrides a user's HOCON, applied over everything else
   */
  public static Config of(String systemName, String host, int port, Set<String> roles, List<String> seedNodes, Config overrides) {
    List<String> seeds = seedNodes.stream().map(s -> "akka://" + systemName + "@" + s).collect(Collectors.toList());
    return overrides
        .withFallback(ConfigFactory.empty()
            .withValue("akka.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
            .withValue("akka.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
            .withValue("akka.cluster.roles", ConfigValueFactory.fromIterable(roles))
            .withValue("akka.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds)))
        .withFallback(ConfigFactory.parseResources("csfl-cluster.conf"))
        .withFallback(ConfigFactory.load());
  }
}
