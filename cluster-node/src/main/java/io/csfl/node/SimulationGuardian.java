package io.csfl.node;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Client;
import io.csfl.actor.ExpectedModel;
import io.csfl.actor.Server;
import io.csfl.strategy.ClientAlgorithm;
import io.csfl.strategy.FederatedStrategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs one federation per strategy, one after the other, in this ActorSystem: it spawns the
 * aggregator, the server and the clients through their public {@code create} factories, exactly
 * as an application embedding CSFL would, and listens to the server's events.
 */
final class SimulationGuardian extends AbstractBehavior<SimulationGuardian.Command> {
  interface Command {}

  private record ServerEvent(Server.Event event) implements Command, NoSerializationVerificationNeeded {}

  /** A client that churned away; it comes back (a fresh actor, same id and data) for later rounds. */
  private record ClientGone(int index, int generation) implements Command, NoSerializationVerificationNeeded {}

  private final SimulationSetup setup;
  private final Consumer<Server.Event> sink;
  private final List<ActorRef<?>> running = new ArrayList<>();
  private final ActorRef<Server.Event> events;
  private FederatedStrategy current;
  /** The models the current federation's clients held at its checkpoint; empty for a fresh run. */
  private Optional<ResumedClients> resumed = Optional.empty();
  private ActorRef<Server.Command> server;
  private int next;

  private SimulationGuardian(ActorContext<Command> context, SimulationSetup setup, Consumer<Server.Event> sink) {
    super(context);
    this.setup = setup;
    this.sink = sink;
    this.events = context.messageAdapter(Server.Event.class, ServerEvent::new);
  }

  static Behavior<Command> create(SimulationSetup setup, Consumer<Server.Event> sink) {
    return Behaviors.setup(ctx -> new SimulationGuardian(ctx, setup, sink).launchNext());
  }

  private Behavior<Command> launchNext() {
    if (next >= setup.strategies().size()) {
      return Behaviors.stopped();
    }
    FederatedStrategy strategy = setup.strategies().get(next++);
    current = strategy;
    String prefix = strategy.name();
    ActorContext<Command> ctx = getContext();
    ExpectedModel.register(ctx.getSystem(), setup.initialModel().spec());
    resumed = setup.resumeOf(strategy).map(c -> ResumedClients.of(strategy, setup.initialModel(), setup.settings().rounds(), c,
        warning -> ctx.getLog().warn(warning)));
    ActorRef<Aggregator.Command> aggregator = ctx.spawn(
        Aggregator.create(strategy.newServer(setup.initialModel(), setup.settings().rounds()), strategy.pruner()),
        prefix + "-aggregator");
    ActorRef<Server.Command> server = ctx.spawn(
        Server.create(setup.settingsFor(strategy), aggregator, setup.evaluator(), events, resumed.map(ResumedClients::checkpoint),
            setup.checkpointer()),
        prefix + "-server", Server.DISPATCHER);
    running.add(aggregator);
    running.add(server);
    this.server = server;
    for (int i = 0; i < setup.partition().size(); i++) {
      spawnClient(i, 0);
    }
    // The clients hold their models now; the downlinks they were rebuilt from can go.
    resumed = Optional.empty();
    server.tell(new Server.Start());
    return this;
  }

  private void spawnClient(int index, int generation) {
    String id = FederationOptions.clientId(index);
    // A client that comes back after churning lost what it held; the first generation holds what the checkpoint says.
    ClientAlgorithm algorithm = generation == 0 && resumed.isPresent() ? resumed.get().giveBack(id, current.newClient()) : current.newClient();
    Behavior<Client.Command> client = Client.create(id, setup.attack().apply(index, algorithm), setup.trainer(), setup.train(),
        setup.partition().get(index), setup.settings().seed() + index);
    ActorRef<Client.Command> ref = getContext().spawn(setup.churn().apply(id, client),
        current.name() + "-" + id + (generation == 0 ? "" : "-" + generation), Client.DISPATCHER);
    if (setup.churn().active()) {
      getContext().watchWith(ref, new ClientGone(index, generation));
    }
    running.add(ref);
    server.tell(new Server.RegisterClient(id, ref));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ServerEvent.class, this::onServerEvent)
        .onMessage(ClientGone.class, this::onClientGone)
        .build();
  }

  private Behavior<Command> onServerEvent(ServerEvent wrapped) {
    Server.Event event = wrapped.event();
    sink.accept(event);
    if (event instanceof Server.RoundCompleted) {
      return this;
    }
    running.forEach(r -> {
      getContext().unwatch(r);
      getContext().stop(r);
    });
    running.clear();
    return launchNext();
  }

  private Behavior<Command> onClientGone(ClientGone gone) {
    spawnClient(gone.index(), gone.generation() + 1);
    return this;
  }
}
