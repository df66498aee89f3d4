package io.csfl.node;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.csfl.actor.Aggregator;
import io.csfl.actor.Client;
import io.csfl.actor.Server;
import io.csfl.strategy.FederatedStrategy;
import io.csfl.strategy.MagnitudePruner;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs one federation per strategy, one after the other, in this ActorSystem: it spawns the
 * aggregator, the server and the clients through their public {@code create} factories, exactly
 * as an application embedding CSFL would, and listens to the server's events.
 */
final class SimulationGuardian extends AbstractBehavior<Server.Event> {
  private final SimulationSetup setup;
  private final Consumer<Server.Event> sink;
  private final List<ActorRef<?>> running = new ArrayList<>();
  private int next;

  private SimulationGuardian(ActorContext<Server.Event> context, SimulationSetup setup, Consumer<Server.Event> sink) {
    super(context);
    this.setup = setup;
    this.sink = sink;
  }

  static Behavior<Server.Event> create(SimulationSetup setup, Consumer<Server.Event> sink) {
    return Behaviors.setup(ctx -> new SimulationGuardian(ctx, setup, sink).launchNext());
  }

  private Behavior<Server.Event> launchNext() {
    if (next >= setup.strategies().size()) {
      return Behaviors.stopped();
    }
    FederatedStrategy strategy = setup.strategies().get(next++);
    String prefix = strategy.name();
    ActorContext<Server.Event> ctx = getContext();
    ActorRef<Aggregator.Command> aggregator = ctx.spawn(
        Aggregator.create(strategy.newServer(setup.initialModel(), setup.settings().rounds()), new MagnitudePruner()),
        prefix + "-aggregator");
    ActorRef<Server.Command> server = ctx.spawn(
        Server.create(setup.settingsFor(strategy), aggregator, setup.evaluator(), ctx.getSelf()),
        prefix + "-server", Server.DISPATCHER);
    running.add(aggregator);
    running.add(server);
    for (int i = 0; i < setup.partition().size(); i++) {
      String id = FederationOptions.clientId(i);
      ActorRef<Client.Command> client = ctx.spawn(
          Client.create(id, strategy.newClient(), setup.trainer(), setup.train(), setup.partition().get(i), setup.settings().seed() + i),
          prefix + "-" + id, Client.DISPATCHER);
      running.add(client);
      server.tell(new Server.RegisterClient(id, client));
    }
    server.tell(new Server.Start());
    return this;
  }

  @Override
  public Receive<Server.Event> createReceive() {
    return newReceiveBuilder()
        .onMessage(Server.RoundCompleted.class, this::forward)
        .onMessage(Server.Finished.class, this::onDone)
        .onMessage(Server.Aborted.class, this::onDone)
        .build();
  }

  private Behavior<Server.Event> forward(Server.Event event) {
    sink.accept(event);
    return this;
  }

  private Behavior<Server.Event> onDone(Server.Event event) {
    sink.accept(event);
    running.forEach(getContext()::stop);
    running.clear();
    return launchNext();
  }
}
