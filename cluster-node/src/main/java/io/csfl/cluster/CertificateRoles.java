package io.csfl.cluster;

import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The roles a node certificate permits: one subject alternative name of type URI per role,
 * {@code csfl-role:server}, {@code csfl-role:aggregator}, {@code csfl-role:client}, which the JDK's
 * X509 API reads and any CA can write (cert-manager: {@code uris}). A certificate without such a
 * name permits the client role only: a certificate says "member of the federation", and only the
 * CA's explicit word makes a member a server or an aggregator.
 */
public final class CertificateRoles {
  /** The URI scheme of a role name in a certificate. */
  public static final String SCHEME = "csfl-role";
  /** What a certificate without role names permits. */
  public static final Set<String> DEFAULT = Set.of(NodePlan.CLIENT);
  /** The subject alternative name type of a URI (RFC 5280), as {@link X509Certificate#getSubjectAlternativeNames()} numbers it. */
  private static final int URI_NAME = 6;

  private CertificateRoles() {}

  /** The URI that names {@code role} in a certificate. */
  public static String uri(String role) {
    return SCHEME + ":" + role;
  }

  /** The roles {@code cert} permits (only the three CSFL roles count; see the class comment for none). */
  public static Set<String> of(X509Certificate cert) {
    Set<String> roles = new TreeSet<>();
    try {
      Collection<List<?>> names = cert.getSubjectAlternativeNames();
      for (List<?> name : names == null ? List.<List<?>>of() : names) {
        if (name.size() == 2 && Integer.valueOf(URI_NAME).equals(name.get(0)) && name.get(1) instanceof String uri
            && uri.startsWith(SCHEME + ":") && NodePlan.ROLES.contains(uri.substring(SCHEME.length() + 1))) {
          roles.add(uri.substring(SCHEME.length() + 1));
        }
      }
    } catch (CertificateParsingException e) {
      return DEFAULT;
    }
    return roles.isEmpty() ? DEFAULT : Set.copyOf(roles);
  }

  /**
   * The first of {@code declared} (cluster roles; Akka's own and CSFL's internal ones aside) that
   * {@code permitted} lacks, or null. A client pool needs the client role.
   */
  public static String exceeding(Set<String> declared, Set<String> permitted) {
    for (String role : new TreeSet<>(declared)) {
      String needed = role.equals(ClientsHost.POOL_ROLE) ? NodePlan.CLIENT : role;
      if (NodePlan.ROLES.contains(needed) && !permitted.contains(needed)) {
        return needed;
      }
    }
    return null;
  }

  /**
   * Fails with one line when this node's own certificate in {@code tlsDir} does not permit one of
   * {@code roles}: the other nodes would refuse the node in that role, so it had better not start.
   */
  public static void requirePermitted(Path tlsDir, Set<String> roles) {
    Set<String> permitted = of(ClusterConfig.certificate(tlsDir.resolve(ClusterConfig.TLS_FILES.get(1))));
    String role = exceeding(roles, permitted);
    if (role != null) {
      throw new IllegalArgumentException("--tls-dir " + tlsDir + ": its certificate does not permit the " + role + " role, only "
          + permitted + " (issue one that does: csfl certs --out DIR --add-nodes --nodes " + nodeName(tlsDir) + ":"
          + String.join("+", roles.stream().filter(NodePlan.ROLES::contains).sorted().toList())
          + ", DIR being the directory that holds the federation's ca/)");
    }
  }

  /** The node's name as {@code csfl certs} wrote it: the name of its directory, else NAME. */
  private static String nodeName(Path tlsDir) {
    Path name = tlsDir.toAbsolutePath().normalize().getFileName();
    return name == null ? "NAME" : name.toString();
  }
}
