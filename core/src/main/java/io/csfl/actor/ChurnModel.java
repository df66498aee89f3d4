package io.csfl.actor;

import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.SplittableRandom;

/**
 * Seeded churn for simulations: when a client is sent a round, with probability {@code dropRate}
 * it disappears mid-round (its actor stops, so the collector sees it drop out), and with
 * probability {@code stragglerRate} it is slowed beyond the round's deadline (it never answers
 * that round). The fate of (client, round) depends only on the seed, so runs are reproducible and
 * every algorithm of a simulation meets the same churn.
 *
 * @param dropRate      the probability that a client disappears in a round, in [0, 1]
 * @param stragglerRate the probability that a client misses a round's deadline, in [0, 1]; at most
 *                      {@code 1 - dropRate}
 * @param seed          fixes every client's fate in every round
 */
public record ChurnModel(double dropRate, double stragglerRate, long seed) {
  /**
   * What churn does to one client in one round: nothing, it disappears ({@code DROP}), or it misses the deadline
   * ({@code STRAGGLE}).
   */
  public enum Fate { /** The client answers as usual. */ NONE, /** The client disappears mid-round. */ DROP, /** The client misses the deadline. */ STRAGGLE }

  /**
   * Checks the rates: each must be at least 0 and their sum at most 1 (NaN is refused too), else
   * {@link IllegalArgumentException}.
   */
  public ChurnModel {
    if (!(dropRate >= 0 && stragglerRate >= 0 && dropRate + stragglerRate <= 1)) {
      throw new IllegalArgumentException("drop and straggler rates must be >= 0 and add up to at most 1, got "
          + dropRate + " and " + stragglerRate);
    }
  }

  /** No churn: every client answers every round, and {@link #apply} leaves clients as they are. */
  public static ChurnModel none() {
    return new ChurnModel(0, 0, 0);
  }

  /** Whether any client can be dropped or slowed, that is whether either rate is above 0. */
  public boolean active() {
    return dropRate > 0 || stragglerRate > 0;
  }

  /**
   * The fate of {@code clientId} in {@code round}: a pure function of the seed, the id and the round, so the same
   * triple always gives the same answer, on any node and for any algorithm.
   */
  public Fate fate(String clientId, int round) {
    // SplittableRandom mixes its seed; java.util.Random's first draws from nearby seeds are correlated.
    double u = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + clientId.hashCode() * 0xC2B2AE3D27D4EB4FL + round).nextDouble();
    return u < dropRate ? Fate.DROP : u < dropRate + stragglerRate ? Fate.STRAGGLE : Fate.NONE;
  }

  /** Wraps a client so that its round messages meet this model's churn. */
  public Behavior<Client.Command> apply(String clientId, Behavior<Client.Command> client) {
    if (!active()) {
      return client;
    }
    return Behaviors.intercept(() -> new BehaviorInterceptor<Client.Command, Client.Command>(Client.Command.class) {
      @Override
      public Behavior<Client.Command> aroundReceive(TypedActorContext<Client.Command> ctx, Client.Command msg,
                                                    ReceiveTarget<Client.Command> target) {
        if (msg instanceof Client.TrainRound t) {
          Fate fate = fate(clientId, t.round());
          if (fate == Fate.DROP) {
            ctx.asJava().getLog().info("churn: client {} disappears in round {}", clientId, t.round());
            return Behaviors.stopped();
          }
          if (fate == Fate.STRAGGLE) {
            ctx.asJava().getLog().info("churn: client {} straggles past the deadline of round {}", clientId, t.round());
            return Behaviors.same();
          }
        }
        return target.apply(ctx, msg);
      }
    }, client);
  }
}
