package io.csfl.cluster;

import akka.actor.ActorSystem;
import akka.actor.ExtendedActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.event.Logging;
import akka.event.LoggingAdapter;
import akka.remote.artery.tcp.SSLEngineProvider;
import akka.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider;
import io.csfl.actor.CertifiedRoles;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import scala.Option;

/**
 * Akka's {@link RotatingKeysSSLEngineProvider}, plus a log line for every inbound connection it
 * refuses, plus the roles each peer's certificate permits. Akka drops a connection whose TLS
 * handshake fails without a word, so a node would not show that something without the
 * federation's certificate is knocking. The TLS itself is Akka's and the JDK's: this class only
 * watches the server side's engines for the exception that ends a handshake (at most one line per
 * {@link #QUIET_MS} ms, with the count of refusals since the last), and reads the peer's
 * certificate on the connections this node opens, the ones that go to a member's canonical
 * address, into {@link CertifiedRoles} (see {@link CertificateRoles} and {@link RoleBinding}).
 * So that the certificate read at an address is the one of the node listening there, every
 * handshake names the address it was made to as its TLS server name, and a node accepts only
 * handshakes that name its own.
 */
public final class RefusalLoggingSSLEngineProvider implements SSLEngineProvider {
  static final long QUIET_MS = 10_000;

  private final SSLEngineProvider delegate;
  private final LoggingAdapter log;
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong lastLogged = new AtomicLong();
  private final ActorSystem system;
  private final CertifiedRoles roles;
  private final AtomicBoolean bindingStarted = new AtomicBoolean();

  /**
   * Akka creates the provider named in {@code akka.remote.artery.ssl.ssl-engine-provider} with
   * this constructor, when the transport starts: before any message crosses, roles are bound.
   */
  public RefusalLoggingSSLEngineProvider(ActorSystem system) {
    this.delegate = new RotatingKeysSSLEngineProvider(system);
    this.log = Logging.getLogger(system, RefusalLoggingSSLEngineProvider.class);
    this.system = system;
    this.roles = CertifiedRoles.get(system);
    roles.bind();
  }

  /**
   * Accepts only a handshake that names this node's own canonical address as its server name: a
   * connection made to another address and relayed here (by a member that wants the certificate
   * of this node recorded for its own address) fails its handshake.
   */
  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    SSLEngine engine = delegate.createServerSSLEngine(hostname, port);
    SSLParameters params = engine.getSSLParameters();
    params.setSNIMatchers(List.of(SNIHostName.createSNIMatcher(Pattern.quote(ownServerName()))));
    engine.setSSLParameters(params);
    return new Watched(engine);
  }

  /** This node's canonical address as a server name: the configured one, or the bound port for port 0. */
  private String ownServerName() {
    var config = system.settings().config();
    String host = config.getString("akka.remote.artery.canonical.hostname");
    int port = config.getInt("akka.remote.artery.canonical.port");
    akka.actor.Address bound;
    try {
      bound = ((ExtendedActorSystem) system).provider().getDefaultAddress();
    } catch (RuntimeException e) {
      bound = null;
    }
    if (bound != null) { // null only before the transport has bound; then the configuration is all there is
      host = bound.getHost().orElse(host);
      port = bound.getPort().orElse(port);
    }
    return serverName(host, port);
  }

  /** Names the address this node connects to as the server name, which the peer checks is its own. */
  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    SSLEngine engine = delegate.createClientSSLEngine(hostname, port);
    SSLParameters params = engine.getSSLParameters();
    params.setServerNames(List.of(new SNIHostName(serverName(hostname, port))));
    engine.setSSLParameters(params);
    return engine;
  }

  /**
   * A canonical address as a TLS server name (a DNS name, so a digest: the address may be an IP
   * address or too long for one label). Both ends compute it, neither trusts the other's.
   */
  static String serverName(String host, int port) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest((host + ":" + port).getBytes(StandardCharsets.UTF_8));
      return "a" + HexFormat.of().formatHex(digest, 0, 20) + ".csfl-address";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /**
   * This node opened the connection, to the peer's canonical address (host and port of the
   * engine, so of the session): the peer's certificate says what the member there may be.
   */
  @Override
  public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
    Option<Throwable> problem = delegate.verifyClientSession(hostname, session);
    if (problem.isDefined()) {
      return problem;
    }
    try {
      X509Certificate peer = (X509Certificate) session.getPeerCertificates()[0];
      roles.record(session.getPeerHost(), session.getPeerPort(), CertificateRoles.of(peer));
    } catch (SSLPeerUnverifiedException | ClassCastException | ArrayIndexOutOfBoundsException e) {
      return Option.apply(e);
    }
    startBinding();
    return problem;
  }

  /** The actor that downs members claiming roles beyond their certificates; started once the system runs. */
  private void startBinding() {
    boolean cluster = "cluster".equals(system.settings().config().getString("akka.actor.provider"));
    if (cluster && bindingStarted.compareAndSet(false, true)) {
      try {
        ((ExtendedActorSystem) system).systemActorOf(Adapter.props(RoleBinding::create), "csfl-role-binding");
      } catch (IllegalStateException e) { // terminating
        log.debug("no role binding: {}", e.getMessage());
      }
    }
  }

  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    Option<Throwable> problem = delegate.verifyServerSession(hostname, session);
    if (problem.isDefined()) {
      refused(problem.get());
    }
    return problem;
  }

  private void refused(Throwable why) {
    refused.incrementAndGet();
    long now = System.currentTimeMillis();
    long last = lastLogged.get();
    if (now - last >= QUIET_MS && lastLogged.compareAndSet(last, now)) {
      long count = refused.getAndSet(0);
      log.warning("refused {} inbound connection(s) without a valid federation certificate, the last because: {}", count, why.getMessage());
    }
  }

  /** The server side of one connection; wrap and unwrap are where a failed handshake surfaces. */
  private final class Watched extends SSLEngine {
    private final SSLEngine engine;
    private boolean reported;

    Watched(SSLEngine engine) {
      this.engine = engine;
    }

    private SSLException report(SSLException e) {
      if (!reported) {
        reported = true;
        refused(e);
      }
      return e;
    }

    @Override
    public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
      try {
        return engine.wrap(srcs, offset, length, dst);
      } catch (SSLException e) {
        throw report(e);
      }
    }

    @Override
    public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
      try {
        return engine.unwrap(src, dsts, offset, length);
      } catch (SSLException e) {
        throw report(e);
      }
    }

    @Override public Runnable getDelegatedTask() { return engine.getDelegatedTask(); }
    @Override public void closeInbound() throws SSLException { engine.closeInbound(); }
    @Override public boolean isInboundDone() { return engine.isInboundDone(); }
    @Override public void closeOutbound() { engine.closeOutbound(); }
    @Override public boolean isOutboundDone() { return engine.isOutboundDone(); }
    @Override public String[] getSupportedCipherSuites() { return engine.getSupportedCipherSuites(); }
    @Override public String[] getEnabledCipherSuites() { return engine.getEnabledCipherSuites(); }
    @Override public void setEnabledCipherSuites(String[] suites) { engine.setEnabledCipherSuites(suites); }
    @Override public String[] getSupportedProtocols() { return engine.getSupportedProtocols(); }
    @Override public String[] getEnabledProtocols() { return engine.getEnabledProtocols(); }
    @Override public void setEnabledProtocols(String[] protocols) { engine.setEnabledProtocols(protocols); }
    @Override public SSLSession getSession() { return engine.getSession(); }
    @Override public SSLSession getHandshakeSession() { return engine.getHandshakeSession(); }
    @Override public void beginHandshake() throws SSLException { engine.beginHandshake(); }
    @Override public SSLEngineResult.HandshakeStatus getHandshakeStatus() { return engine.getHandshakeStatus(); }
    @Override public void setUseClientMode(boolean mode) { engine.setUseClientMode(mode); }
    @Override public boolean getUseClientMode() { return engine.getUseClientMode(); }
    @Override public void setNeedClientAuth(boolean need) { engine.setNeedClientAuth(need); }
    @Override public boolean getNeedClientAuth() { return engine.getNeedClientAuth(); }
    @Override public void setWantClientAuth(boolean want) { engine.setWantClientAuth(want); }
    @Override public boolean getWantClientAuth() { return engine.getWantClientAuth(); }
    @Override public void setEnableSessionCreation(boolean flag) { engine.setEnableSessionCreation(flag); }
    @Override public boolean getEnableSessionCreation() { return engine.getEnableSessionCreation(); }
    @Override public SSLParameters getSSLParameters() { return engine.getSSLParameters(); }
    @Override public void setSSLParameters(SSLParameters params) { engine.setSSLParameters(params); }
    @Override public String getApplicationProtocol() { return engine.getApplicationProtocol(); }
    @Override public String getHandshakeApplicationProtocol() { return engine.getHandshakeApplicationProtocol(); }
    @Override public String getPeerHost() { return engine.getPeerHost(); }
    @Override public int getPeerPort() { return engine.getPeerPort(); }
  }
}
