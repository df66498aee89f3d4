package io.csfl.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Ports for tests that must know a node's port before the node starts (a seed node, a node that
 * rejoins at its own address): one the system has just handed out as free on loopback, rather
 * than a fixed number that another program on the machine may hold.
 */
final class LoopbackPorts {
  private LoopbackPorts() {}

  /** A TCP port on 127.0.0.1 that was free a moment ago. */
  static int free() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
