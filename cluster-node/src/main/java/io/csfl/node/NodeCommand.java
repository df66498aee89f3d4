package io.csfl.node;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.management.javadsl.AkkaManagement;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.csfl.cluster.ClientsHost;
import io.csfl.cluster.ClusterConfig;
import io.csfl.cluster.MembershipLog;
import io.csfl.cluster.NodeGuardian;
import io.csfl.cluster.NodePlan;
import io.csfl.cluster.Rejoin;
import io.csfl.data.DataFileException;
import io.csfl.metrics.MetricsCsv;
import io.csfl.report.Report;
import io.csfl.strategy.FederatedStrategy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.IntFunction;
import akka.actor.typed.Behavior;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code csfl node}: one process of a CSFL cluster. Every node takes the same federation flags,
 * so each derives the same split and initial model; the roles say what this one runs.
 */
@Command(name = "node", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Run a node of a CSFL Akka cluster: server, aggregator and/or client role.")
final class NodeCommand implements Callable<Integer> {
  static final String SYSTEM_NAME = "csfl";
  private static final Pattern RANGE = Pattern.compile("(\\d+)-(\\d+)");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--role", paramLabel = "ROLE", required = true, split = ",", converter = NameConverter.class, description = "Comma list of server, aggregator, client.")
  List<String> roles;

  @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "Address this node binds and is reached at. Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "25520", description = "Port of this node. Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--seed-nodes", paramLabel = "HOST:PORT", split = ",", description = "host:port of the nodes to join through. Default: this node.")
  List<String> seedNodes;

  @Option(names = "--client-ids", paramLabel = "A-B|auto", description = "The virtual clients this node hosts, as A-B (inclusive), or auto: "
      + "a share of all clients, divided among the nodes started with auto by rendezvous hashing and redivided when one "
      + "joins or leaves (only the leaver's clients move, or only those the joiner takes). Default: all.")
  String clientIds;

  @Option(names = "--min-clients", paramLabel = "N", description = "The server starts once this many clients registered. Default: --clients.")
  Integer minClients;

  @Option(names = "--lost-client-wait", paramLabel = "TIME", converter = DurationConverter.class, description = "Server: how long a round "
      + "waits, before it samples, for clients that trained earlier and are gone (a crashed node's, which a client pool starts "
      + "again on its other nodes) to register again; clients that stay away are waited for once. Default: none, rounds sample "
      + "at once from the clients registered.")
  Duration lostClientWait;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "out", description = "Server: output directory for metrics.csv and the report. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Option(names = "--target", paramLabel = "ACC", defaultValue = "0.70", description = "Accuracy target of the report. Default: ${DEFAULT-VALUE}.")
  double target;

  @Option(names = "--exit-when-done", description = "Leave the cluster and exit when the run ends: 0 finished, 3 aborted. "
      + "The server's node tells every node when the run ends; give it to each node that should then stop.")
  boolean exitWhenDone;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Server: where a checkpoint is written after every round, and where a server "
      + "that takes over finds the last one; every server-capable node must see the same directory. Default: OUT/checkpoints.")
  Path checkpointDir;

  @Option(names = "--keep-checkpoints", paramLabel = "N", defaultValue = "3", description = "Server: checkpoints kept (the newest). Default: ${DEFAULT-VALUE}.")
  int keepCheckpoints;

  @Option(names = "--resume", description = "Server: continue the run in --out and --checkpoint-dir after its last checkpoint, "
      + "appending to metrics.csv; with no checkpoint there, start at round 1. Without it a server node refuses an --out that "
      + "already holds a run.")
  boolean resume;

  @Option(names = "--tls-dir", paramLabel = "DIR", description = "This node's certificate directory from 'csfl certs' (tls.key, tls.crt, ca.crt): "
      + "the node presents tls.crt and accepts only peers with a certificate from the same CA.")
  Path tlsDir;

  @Option(names = "--insecure", description = "Plain TCP without certificates: anyone who reaches the port can join. "
      + "For a laptop or a closed test network.")
  boolean insecure;

  @Option(names = "--config", paramLabel = "FILE",
      description = "HOCON file: csfl.<flag> keys as flag defaults; akka.* settings for the node. Default: $CSFL_CONFIG.")
  Path config;

  @Option(names = "--management-port", paramLabel = "PORT|off", description = "Port of the HTTP endpoint for health checks (/ready, /alive) and "
      + "the cluster routes (/cluster/members); 0 for any free port, off for none. Default: --port + 1000.")
  String managementPort;

  @Option(names = "--management-host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "Address of that endpoint. On a "
      + "non-loopback address the cluster routes are read-only (no leave or down over HTTP). Default: ${DEFAULT-VALUE}.")
  String managementHost;

  @Option(names = "--rejoin", negatable = true, description = "When the cluster downs this node while it runs (a long "
      + "pause, a partition), start again and rejoin with the same roles and clients. Default: on, off for server nodes.")
  Boolean rejoin;

  @Option(names = "--private-data", description = "Each site keeps its own data: a client node trains the clients it hosts "
      + "(--client-ids A-B) on its own --dataset, shared among them by --partition (default iid), and the server node evaluates "
      + "on its own test set. Nodes then agree on the data's shape, classes and CSV columns instead of on the data. Every node "
      + "of the federation must be given it, and --clients. Default: off, every node loads the same data and the partition "
      + "gives each client its share.")
  boolean privateData;

  @Mixin
  FederationOptions federation;

  @Option(names = "--algorithm", defaultValue = "cs", paramLabel = "NAME", completionCandidates = FederationOptions.AlgorithmNames.class,
      description = "The one algorithm the cluster trains (csfl simulate compares several): " + FederationOptions.ALGORITHM_NAMES)
  void algorithm(String name) {
    federation.algorithms = List.of(name.split(",", -1));
  }

  @Override
  public Integer call() throws Exception {
    NodePlan plan;
    Config overrides;
    Optional<Config> management;
    // Port 0 binds any free port, which no seed list can name: such a node of its own joins itself once bound.
    boolean joinSelf = (seedNodes == null || seedNodes.isEmpty()) && port == 0;
    List<String> seeds = seedNodes == null || seedNodes.isEmpty() ? (joinSelf ? List.of() : List.of(host + ":" + port)) : seedNodes;
    try {
      // Before the seeds, which name this port when no --seed-nodes are given.
      FederationOptions.require(port >= 0 && port <= 65535, "--port must be in 0..65535, got " + port);
      // "--seed-nodes ," names none; left alone, the node would found a federation of its own.
      FederationOptions.require(seedNodes == null || !seedNodes.isEmpty(), "--seed-nodes names no HOST:PORT");
      Config transport = transport();
      int httpPort = managementPort();
      federation.requireAlgorithmNames();
      FederationOptions.require(federation.algorithms.size() == 1,
          "a cluster trains one algorithm, but --algorithm names " + federation.algorithms.size() + " (csfl simulate compares several)");
      NodeAddress.checkHost(host);
      NodeAddress.checkSeeds(seeds);
      validateFederation();
      FederationOptions.requireDirectory(out, "--out");
      FederationOptions.requireDirectory(checkpointDir, "--checkpoint-dir");
      overrides = (config == null ? ConfigFactory.empty() : FlagDefaults.settings(spec, config)).withFallback(transport);
      ClusterConfig.checkSettings(overrides.withFallback(ClusterConfig.defaults()));
      // Before either port is tried: the answer does not depend on what else listens there.
      FederationOptions.require(httpPort <= 0 || httpPort != port, "--management-port " + httpPort + " is --port's too: give each its own");
      NodeAddress.probe(host, port, overrides);
      // The health endpoint too: a node that started without it would not be found ready.
      if (httpPort > 0) {
        NodeAddress.checkHost("--management-host", managementHost);
      }
      NodeAddress.probeListening(managementHost, Math.max(httpPort, 0), "--management-host: ", "--management-port: ");
      federation.validateWithData();
      plan = plan();
      management = httpPort < 0 ? Optional.empty()
          : Optional.of(ClusterConfig.management(managementHost, httpPort, hostedClients(plan)));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    } catch (DataFileException | NodeAddress.Unavailable e) {
      spec.commandLine().getErr().println("csfl: " + CsflCommand.oneLine(e.getMessage()));
      return CommandLine.ExitCode.USAGE;
    }
    federation.announceKernels();
    if (privateData) {
      // The columns, to compare with other nodes' when the server names a column list by its hash.
      String columns = federation.dataOptions.csv() ? "; columns " + CsflCommand.oneLine(String.join(",", federation.dataOptions.featureColumnNames())) : "";
      String data = federation.dataOptions.dataset.trim();
      plan.clients().ifPresentOrElse(c -> System.out.printf(
          "csfl node: private data: %d training examples of %s, shared by clients %s to %s (--partition %s)%s%n",
          federation.data().train().size(), data, FederationOptions.clientId(c.from()), FederationOptions.clientId(c.to()),
          federation.partition, columns),
          () -> System.out.printf("csfl node: private data: the data's shape, classes and columns from %s%s%n", data, columns));
    }
    if (privateData && !plan.roles().contains(NodePlan.SERVER) && federation.dataOptions.testFraction != null) {
      System.err.println("csfl: WARNING: --test-fraction holds " + federation.dataOptions.testFraction + " of this site's rows out of"
          + " training, and a node without the server role evaluates nothing; leave it out to train on them all");
    }
    // Once the flags are accepted: a refusal stays the one line it is.
    resumeWarning(seeds).ifPresent(w -> System.err.println("csfl: WARNING: " + w));
    if (insecure) {
      System.err.println("csfl: WARNING: --insecure: plain TCP, anyone who reaches " + host + ":" + (port == 0 ? "PORT (the port it binds, below)" : port)
          + " can join this federation");
    }
    var withManagement = management.map(overrides::withFallback).orElse(overrides);
    if (!insecure) {
      warmUpTls(ClusterConfig.of(SYSTEM_NAME, host, port, plan.roles(), seeds, withManagement));
    }
    try {
      return Rejoin.run(() -> startSystem(plan, seeds, withManagement, management.isPresent()),
          rejoin == null ? !plan.roles().contains(NodePlan.SERVER) : rejoin);
    } catch (RuntimeException e) {
      // The port was free a moment ago; Akka has logged the failure and stopped the system.
      java.net.BindException bind = NodeAddress.bindException(e);
      spec.commandLine().getErr().println("csfl: " + (bind != null ? NodeAddress.bindFailure(host, port, bind) : "the node did not start: " + e));
      return CommandLine.ExitCode.USAGE;
    }
  }

  /** Runs the TLS code in memory before the node joins (see TlsWarmUp); a failure costs only the warm-up. */
  private static void warmUpTls(Config config) {
    try {
      io.csfl.cluster.TlsWarmUp.Result done = io.csfl.cluster.TlsWarmUp.run(config);
      if (!done.took().isZero()) { // zero: turned off
        System.out.printf("csfl node: TLS warm-up: %d handshakes and %d MiB of records in memory, %d ms%n",
            done.handshakes(), done.bytes() >> 20, done.took().toMillis());
      }
    } catch (java.security.GeneralSecurityException | java.io.IOException | RuntimeException e) {
      System.err.println("csfl node: WARNING: no TLS warm-up: " + e);
    }
  }

  /**
   * What a --resume of this node is likely to get wrong, in one line, before it starts: on a node
   * without the server role it does nothing; on a server node that is its own only seed node, the
   * node founds a cluster of its own when it starts, apart from the clients and aggregator of the
   * run it continues if they still run (the first seed node listed joins itself when no other answers).
   */
  java.util.Optional<String> resumeWarning(List<String> seeds) {
    if (!resume) {
      return java.util.Optional.empty();
    }
    if (!roles.contains(NodePlan.SERVER)) {
      return java.util.Optional.of("--resume is for a node with the server role; this node (" + String.join(",", roles) + ") ignores it");
    }
    String self = host + ":" + port;
    if (seeds.stream().allMatch(self::equals)) {
      return java.util.Optional.of("--resume with this node as its only seed node: if the run's other nodes still run, this node"
          + " does not join them but founds a cluster of its own, and both wait; give --seed-nodes another of their addresses too"
          + " (see docs/cluster.md, server failover)");
    }
    return java.util.Optional.empty();
  }

  /** Checks the federation's flags, which --private-data and the roles change, before the data are read. */
  void validateFederation() {
    federation.privateData = privateData;
    // A site that does not evaluate needs no test set of its own.
    federation.dataOptions.trainingOnly = privateData && !roles.contains(NodePlan.SERVER);
    federation.validate();
  }

  /** One incarnation of this node: its ActorSystem, and the management endpoint when there is one. */
  private ActorSystem<Void> startSystem(NodePlan plan, List<String> seeds, Config config, boolean management) {
    ActorSystem<Void> system = ActorSystem.create(NodeGuardian.create(plan), SYSTEM_NAME,
        ClusterConfig.of(SYSTEM_NAME, host, port, plan.roles(), seeds, config));
    if (seeds.isEmpty()) {
      akka.cluster.typed.Cluster.get(system).manager().tell(akka.cluster.typed.Join.create(system.address()));
    }
    io.csfl.actor.ExpectedModel.register(system, federation.architecture().spec());
    system.systemActorOf(MembershipLog.create(), "membership-log", Props.empty());
    // The bound port, which is --port's unless that is 0.
    System.out.printf("csfl node %s at %s:%d, roles %s, seeds %s%n", system.address(), host,
        system.address().getPort().orElse(port), plan.roles(), seeds);
    if (management) {
      AkkaManagement.get(system).start().whenComplete((uri, failure) -> {
        if (failure == null) {
          System.out.println("csfl node: health at " + uri + "/ready and /alive, cluster routes at " + uri + "/cluster/members");
        } else {
          System.err.println("csfl node: WARNING: no health endpoint, cannot bind --management-host/--management-port: " + failure.getMessage());
        }
      });
    }
    return system;
  }

  /** --management-port as a port (0: any free one), -1 for off; by default --port + 1000, or any free port past 65535. */
  private int managementPort() {
    if (managementPort == null || managementPort.isBlank()) {
      return port > 0 && port + 1000 <= 65535 ? port + 1000 : 0;
    }
    if (managementPort.trim().equals("off")) {
      return -1;
    }
    try {
      int p = Integer.parseInt(managementPort.trim());
      FederationOptions.require(p >= 0 && p <= 65535, "");
      return p;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--management-port must be a port (0..65535) or off, got '" + managementPort + "'");
    }
  }

  /** The clients a client node must have registered before it is ready: its fixed range, or all for a pool node. */
  private static int hostedClients(NodePlan plan) {
    return plan.clients().map(c -> c.shared() ? c.total() : c.to() - c.from() + 1).orElse(0);
  }

  /** Mutual TLS with --tls-dir, or plain TCP with --insecure; one of them is required. */
  private Config transport() {
    FederationOptions.require(!(insecure && tlsDir != null), "--insecure and --tls-dir exclude each other");
    FederationOptions.require(insecure || tlsDir != null,
        "a node needs --tls-dir DIR (its certificates from 'csfl certs'), or --insecure to run without TLS");
    if (insecure) {
      return ClusterConfig.insecure();
    }
    Config tls = ClusterConfig.tls(tlsDir);
    // The other nodes would refuse this node in a role its certificate does not permit: say so now.
    io.csfl.cluster.CertificateRoles.requirePermitted(tlsDir, new LinkedHashSet<>(roles));
    return tls;
  }

  /** What this node runs, by role, from its flags, checked with the data ({@code validateWithData}) first. */
  NodePlan plan() {
    Set<String> roleSet = new LinkedHashSet<>(roles);
    for (String r : roleSet) {
      FederationOptions.require(NodePlan.ROLES.contains(r), "unknown role '" + r + "' (expected server, aggregator, client)");
    }
    FederationOptions.require(target > 0 && target <= 1, "--target must be in (0, 1]");
    // Left there, it would be ignored: the operator meant this node to host clients, or another node.
    FederationOptions.require(clientIds == null || clientIds.isBlank() || roleSet.contains(NodePlan.CLIENT),
        "--client-ids " + clientIds + " names the clients a node with the client role hosts, and this node's roles are " + roleSet
            + ": add the client role, or leave --client-ids out");
    FederationOptions.require(keepCheckpoints >= 1, "--keep-checkpoints must be at least 1");
    int[] range = clientRange();
    int min = minClients == null ? federation.clients : minClients;
    FederationOptions.require(min >= 1 && min <= federation.clients, "--min-clients must be between 1 and --clients");
    FederatedStrategy strategy = federation.strategies().get(0);
    // Every role needs the data: the aggregator for the model's input shape and classes.
    io.csfl.data.Splits data = federation.data();
    // The clients' shares: a client node trains on them, a server checks the counts clients declare.
    // With private data a site shares its own data among its clients, and no server can check their counts.
    List<int[]> parts = !privateData && (roleSet.contains(NodePlan.CLIENT) || roleSet.contains(NodePlan.SERVER))
        ? federation.split(data.train()) : List.of();
    FederationOptions.require(!privateData || range != null || !roleSet.contains(NodePlan.CLIENT),
        "--private-data: a site's clients train on its own data, so they cannot move between nodes: give them with --client-ids A-B, not auto");
    FederationOptions.require(!privateData || !roleSet.contains(NodePlan.CLIENT) || (clientIds != null && !clientIds.isBlank()),
        "--private-data: give the clients this site hosts with --client-ids A-B, a range of its own; without it a node hosts all "
            + federation.clients + " clients, and two sites would train the same ones");
    List<int[]> siteShares = privateData && roleSet.contains(NodePlan.CLIENT) ? federation.siteShares(data.train(), range[0], range[1]) : null;
    IntFunction<int[]> shareOf = i -> siteShares != null ? siteShares.get(i - range[0]) : parts.get(i);

    // The aggregator starts from it; the server expects an aggregator that starts from the same.
    boolean aggregating = roleSet.contains(NodePlan.AGGREGATOR) || roleSet.contains(NodePlan.SERVER);
    io.csfl.tensor.Model initial = aggregating ? federation.initialModel() : null;
    String aggregatorSignature = aggregating ? federation.aggregatorSignature(initial) : null;
    // What the clients hosted here say at the handshake, and what the server expects them to.
    String clientSignature = roleSet.contains(NodePlan.CLIENT) || roleSet.contains(NodePlan.SERVER)
        ? federation.clientSignature(data.train()) : null;
    Optional<NodePlan.AggregatorPart> aggregator = roleSet.contains(NodePlan.AGGREGATOR)
        ? Optional.of(new NodePlan.AggregatorPart(strategy, initial, federation.rounds, aggregatorSignature))
        : Optional.empty();
    Optional<ClientsHost.ClientPool> hosted = Optional.empty();
    if (roleSet.contains(NodePlan.CLIENT)) {
      io.csfl.nn.LocalTrainer trainer = federation.trainer();
      IntFunction<Behavior<io.csfl.actor.Client.Command>> client = i -> io.csfl.actor.Client.create(FederationOptions.clientId(i),
          clientSignature, strategy.newClient(), trainer, data.train(), shareOf.apply(i), federation.seed + i);
      hosted = Optional.of(range == null
          ? ClientsHost.ClientPool.shared(federation.clients, client)
          : ClientsHost.ClientPool.fixed(federation.clients, range[0], range[1], client));
      if (range == null) {
        roleSet.add(ClientsHost.POOL_ROLE);
      }
    }
    Optional<NodePlan.ServerPart> server = Optional.empty();
    if (roleSet.contains(NodePlan.SERVER)) {
      io.csfl.checkpoint.Checkpoints store = new io.csfl.checkpoint.Checkpoints(checkpointDir != null ? checkpointDir
          : out.resolve("checkpoints"), keepCheckpoints);
      FederationOptions.require(resume || !holdsARun(store), out + " already holds a run: continue it with --resume, "
          + "or choose a new --out directory");
      requireClaimable(out, store.directory());
      RunDefinition.claim(store.directory(), RunDefinition.of(federation, federation.dataSignature(data.train())));
      io.csfl.actor.Server.Settings settings = federation.serverSettings(min, clientSignature, aggregatorSignature, parts).toBuilder()
          .lostClientWait(lostClientWait == null ? Duration.ZERO : lostClientWait).build();
      server = Optional.of(new NodePlan.ServerPart(settings, federation.evaluator(data.test()), out.resolve("metrics.csv"), rounds -> {
            try {
              Report.render(out, rounds, target);
              System.out.println("report: " + out.resolve(Report.SUMMARY));
            } catch (Exception e) {
              System.err.println("csfl: could not render the report: " + ReportCommand.failure(out, e));
            }
          }, ModelFiles.checkpointer(store, federation.rounds, federation.architecture(), federation.dataOptions.modelMetadata(),
              a -> out.resolve("model.safetensors")),
          () -> ModelFiles.resumePoint(store, settings.algorithm(), federation.rounds, federation.architecture(),
              federation.dataOptions.modelMetadata(), out.resolve("model.safetensors")),
          runClaim(out, store.directory())));
    }
    return new NodePlan(roleSet, aggregator, hosted, server, exitWhenDone);
  }

  /**
   * The server's claim on its files while it runs on this node: --out and the checkpoint
   * directory, locked for this process as a simulation locks them, so that no other csfl process
   * (a server of another cluster given the same directories, a report) writes them meanwhile.
   * Another run's lock is an IllegalStateException, which the node's server waits out; a
   * directory that cannot be made or locked is an IllegalArgumentException.
   */
  static java.util.function.Supplier<AutoCloseable> runClaim(Path out, Path checkpoints) {
    return () -> {
      List<RunLock> locks;
      try {
        locks = RunLock.acquireRun(out, "--out", checkpoints);
      } catch (RunLock.InUse e) {
        throw new IllegalStateException(e.getMessage());
      }
      return () -> locks.forEach(RunLock::close);
    };
  }

  /**
   * At the node's start, whether its server could lock --out and the checkpoint directory:
   * one that cannot be made or written is refused now, not when the server starts here. Held by
   * another process is no refusal: the server that runs elsewhere, or ran here before, has them.
   */
  private static void requireClaimable(Path out, Path checkpoints) {
    try {
      RunLock.acquireRun(out, "--out", checkpoints).forEach(RunLock::close);
    } catch (RunLock.InUse e) {
      // Another process's server holds them; this node's server waits for them if it starts here.
    }
  }

  /**
   * Whether a server node would continue another run here: a checkpoint, or a metrics row. Only
   * at the node's start: a server that takes over later continues what the others checkpointed.
   */
  private boolean holdsARun(io.csfl.checkpoint.Checkpoints store) {
    java.nio.file.Path csv = out.resolve("metrics.csv");
    try {
      return !store.isEmpty() || (java.nio.file.Files.exists(csv) && !MetricsCsv.read(csv).isEmpty());
    } catch (RuntimeException e) {
      return true;
    }
  }

  /** A client id of --client-ids, all digits; one past the int range is past every federation's, as the range check then says. */
  private static int clientIdOf(String digits) {
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      return Integer.MAX_VALUE;
    }
  }

  /** The fixed range of --client-ids, or null for {@code auto}: a share of all clients, agreed with the other pool nodes. */
  private int[] clientRange() {
    if (clientIds == null || clientIds.isBlank()) {
      return new int[] {0, federation.clients - 1};
    }
    if (clientIds.trim().equals("auto")) {
      return null;
    }
    Matcher m = RANGE.matcher(clientIds.trim());
    FederationOptions.require(m.matches(), "--client-ids must look like A-B, got '" + clientIds + "'");
    int from = clientIdOf(m.group(1));
    int to = clientIdOf(m.group(2));
    FederationOptions.require(from <= to, "--client-ids " + clientIds + " runs backwards: give the lower id first");
    FederationOptions.require(to < federation.clients, "--client-ids " + clientIds + " must lie within 0-" + (federation.clients - 1));
    return new int[] {from, to};
  }
}
