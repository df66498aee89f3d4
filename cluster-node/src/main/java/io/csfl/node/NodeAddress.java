package io.csfl.node;

import com.typesafe.config.Config;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The addresses a node is given, checked before Akka sees them: Akka reports a malformed seed node
 * or a busy port by a stack trace from deep inside the ActorSystem's start.
 */
final class NodeAddress {
  /** A DNS name or IPv4 address, or an IPv6 address in brackets. */
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.%A-Za-z]+\\]");
  private static final Pattern SEED = Pattern.compile("(.+):(\\d{1,5})");

  private NodeAddress() {}

  /** The node cannot listen where it was told to: not a mistake in the flags' syntax, so no pointer to --help. */
  static final class Unavailable extends RuntimeException {
    Unavailable(String message) {
      super(message);
    }
  }

  static void checkHost(String host) {
    checkHost("--host", host);
  }

  /** Refuses {@code host}, given with {@code flag}, unless it reads as a host name or IP address. */
  static void checkHost(String flag, String host) {
    FederationOptions.require(HOST.matcher(host).matches(), flag + " '" + host + "' is not a host name or IP address"
        + (host.contains(":") && !host.startsWith("[") ? " (an IPv6 address goes in brackets: [" + host + "])" : ""));
  }

  static void checkSeeds(List<String> seeds) {
    for (String seed : seeds) {
      var m = SEED.matcher(seed);
      boolean ok = m.matches() && HOST.matcher(m.group(1)).matches() && Integer.parseInt(m.group(2)) <= 65535;
      FederationOptions.require(ok, "--seed-nodes: '" + seed + "' is not HOST:PORT");
      // Port 0 is "any free port" for binding, and no node can be reached there.
      FederationOptions.require(Integer.parseInt(m.group(2)) > 0, "--seed-nodes: '" + seed + "' names port 0, where no node listens");
    }
  }

  /**
   * Binds and releases the port the node will listen on (Akka's {@code bind} settings, else
   * --host and --port), so that a busy port is one line, not Akka's stack trace.
   */
  static void probe(String host, int port, Config overrides) {
    String bindHost = setting(overrides, "akka.remote.artery.bind.hostname", host);
    int bindPort = Integer.parseInt(setting(overrides, "akka.remote.artery.bind.port", String.valueOf(port)));
    probeListening(bindHost, bindPort, "", "");
  }

  /**
   * Whether this process can listen on {@code host:port} now (port 0, any free one, always can);
   * otherwise {@link Unavailable}, its line starting with {@code hostFlag} when the host does not
   * resolve and with {@code flag} when the port cannot be listened on (each empty, or the flag and
   * a colon, when they are not the node's own).
   */
  static void probeListening(String host, int port, String hostFlag, String flag) {
    if (port == 0) {
      return;
    }
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new Unavailable(hostFlag + "host " + host + " does not resolve");
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(address, port));
    } catch (BindException e) {
      throw new Unavailable(flag + bindFailure(host, port, e));
    } catch (IOException e) {
      throw new Unavailable(flag + "cannot listen on " + host + ":" + port + ": " + e.getMessage());
    }
  }

  /** The line for a failed bind: a busy port by name, anything else (an address not of this machine) as the OS says. */
  static String bindFailure(String host, int port, BindException e) {
    String why = String.valueOf(e.getMessage());
    return why.contains("in use") ? "port " + port + " on " + host + " is in use" : "cannot listen on " + host + ":" + port + ": " + why;
  }

  /** The BindException somewhere in {@code e}'s causes: how a failed ActorSystem start says its port was taken. */
  static BindException bindException(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException b) {
        return b;
      }
    }
    return null;
  }

  private static String setting(Config config, String path, String fallback) {
    return config.hasPath(path) && !config.getString(path).isBlank() ? config.getString(path) : fallback;
  }
}
