package io.csfl.testkit;

import akka.actor.NoSerializationVerificationNeeded;
import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.Behaviors;
import io.csfl.actor.ChurnModel;
import io.csfl.actor.Client;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Puts a client under the run's seeded churn (drop out, or start late) and records every round
 * the client trains in, for {@link FederationResult#trained(int)}.
 */
final class ClientChurn {
  /** A round's model held back from a straggler until its delay is over; never leaves the actor. */
  private record Delayed(Client.TrainRound request) implements Client.Command, NoSerializationVerificationNeeded {}

  /** Round -> ids of the clients that trained in it; shared by every node of a run. */
  static final class Trained {
    private final Map<Integer, Set<String>> byRound = new ConcurrentHashMap<>();

    void add(int round, String clientId) {
      byRound.computeIfAbsent(round, r -> ConcurrentHashMap.newKeySet()).add(clientId);
    }

    Set<String> in(int round) {
      return Set.copyOf(byRound.getOrDefault(round, Set.of()));
    }
  }

  private ClientChurn() {}

  static Behavior<Client.Command> apply(String clientId, ChurnModel model, Duration delay, Trained trained,
                                        Behavior<Client.Command> client) {
    return Behaviors.intercept(() -> new BehaviorInterceptor<Client.Command, Client.Command>(Client.Command.class) {
      @Override
      public Behavior<Client.Command> aroundReceive(TypedActorContext<Client.Command> ctx, Client.Command msg,
                                                    ReceiveTarget<Client.Command> target) {
        if (msg instanceof Delayed d) {
          return train(ctx, d.request(), target);
        }
        if (!(msg instanceof Client.TrainRound t)) {
          return target.apply(ctx, msg);
        }
        ChurnModel.Fate fate = model.fate(clientId, t.round());
        if (fate == ChurnModel.Fate.DROP) {
          ctx.asJava().getLog().info("churn: client {} disappears in round {}", clientId, t.round());
          return Behaviors.stopped();
        }
        if (fate == ChurnModel.Fate.STRAGGLE && !delay.isZero()) {
          ctx.asJava().getLog().info("churn: client {} starts round {} {} late", clientId, t.round(), delay);
          ctx.asJava().scheduleOnce(delay, ctx.asJava().getSelf(), new Delayed(t));
          return Behaviors.same();
        }
        return train(ctx, t, target);
      }

      private Behavior<Client.Command> train(TypedActorContext<Client.Command> ctx, Client.TrainRound t,
                                             ReceiveTarget<Client.Command> target) {
        trained.add(t.round(), clientId);
        return target.apply(ctx, t);
      }
    }, client);
  }
}
