package io.csfl.cluster;

import akka.actor.typed.ActorSystem;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.actor.AddressFromURIString;
import io.csfl.strategy.ComplementSparsification;
import io.csfl.strategy.CsOptions;
import java.util.List;
import java.util.Set;

/**
 * The node {@link ChurnTest} kills: a client node in its own JVM hosting two slow clients. It
 * prints {@code TRAINING} when a client starts training, so the test can SIGKILL it mid-round.
 */
public final class LostNodeMain {
  private LostNodeMain() {}

  public static void main(String[] args) {
    String seed = args[0];
    ChurnTest.TestTrainer slow = new ChurnTest.TestTrainer(60_000, false) {
      @Override
      public io.csfl.nn.TrainingResult train(io.csfl.tensor.Model start, io.csfl.data.Dataset data, int[] examples, long s) {
        System.out.println("TRAINING");
        System.out.flush();
        return super.train(start, data, examples, s);
      }
    };
    NodePlan plan = ChurnTest.clientPlan(new ComplementSparsification(CsOptions.defaults()), ChurnTest.randomData(64, 1),
        ChurnTest.SIGNATURE, slow, 3, 4);
    ActorSystem<Void> system = ActorSystem.create(NodeGuardian.create(plan), "csfl",
        ClusterConfig.of("csfl", "127.0.0.1", 0, Set.of(NodePlan.CLIENT), List.of(), ChurnTest.NODE_CONFIG));
    Cluster.get(system).manager().tell(Join.create(AddressFromURIString.parse(seed)));
    System.out.println("STARTED");
    System.out.flush();
  }
}
