package io.csfl.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import io.csfl.actor.Client;
import java.util.List;

/**
 * The parent of the virtual clients a client node hosts (so their paths are {@code
 * /user/clients/<id>}, which the large-message stream matches). It spawns each client on the
 * training dispatcher and registers it with the receptionist under {@link Client#KEY}.
 */
public final class ClientsHost {
  private ClientsHost() {}

  /** One hosted client: its name and its behavior. */
  public record HostedClient(String id, Behavior<Client.Command> behavior) {}

  public static Behavior<Void> create(List<HostedClient> clients) {
    return Behaviors.setup(ctx -> {
      for (HostedClient c : clients) {
        // A client whose training throws replies Failed itself; a crash of the actor restarts it.
        ActorRef<Client.Command> ref = ctx.spawn(
            Behaviors.supervise(c.behavior()).onFailure(SupervisorStrategy.restart()), c.id(), Client.DISPATCHER);
        ctx.getSystem().receptionist().tell(Receptionist.register(Client.KEY, ref));
      }
      ctx.getLog().info("hosting {} clients", clients.size());
      return Behaviors.empty();
    });
  }
}
