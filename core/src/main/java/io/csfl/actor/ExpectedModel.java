package io.csfl.actor;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import io.csfl.internal.wire.WireLimits;
import io.csfl.tensor.ModelSpec;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model an ActorSystem's CSFL actors exchange. {@link WireSerializer} decodes a message from
 * another node only as far as this model allows (see {@link WireLimits}): a few bytes that
 * announce more tensors, values or mask positions than the model has are refused before they are
 * allocated.
 *
 * <p>Whoever creates a node's {@link Server}, {@link Aggregator} or {@link Client} registers the
 * model's spec once; the {@code csfl} command and the simulation do. A system that expects several
 * models (one federation after another with different architectures) registers each, and accepts
 * what any of them allows. Until a model is registered, any model of at most
 * {@code csfl.codec.max-parameters} parameters is accepted.
 */
public final class ExpectedModel implements Extension {
  private final WireLimits fallback;
  private final AtomicReference<WireLimits> registered = new AtomicReference<>();

  private ExpectedModel(ActorSystem<?> system) {
    this.fallback = WireLimits.ofParameters(system.settings().config().getLong("csfl.codec.max-parameters"));
  }

  /** Messages this system receives from other nodes carry tensors of {@code spec}. */
  public static void register(ActorSystem<?> system, ModelSpec spec) {
    WireLimits limits = WireLimits.of(Objects.requireNonNull(spec, "spec"));
    Id.INSTANCE.apply(system).registered.accumulateAndGet(limits, (old, added) -> old == null ? added : old.or(added));
  }

  /** What a message from another node may announce, now. */
  static WireLimits limits(ActorSystem<?> system) {
    ExpectedModel expected = Id.INSTANCE.apply(system);
    WireLimits limits = expected.registered.get();
    return limits != null ? limits : expected.fallback;
  }

  private static final class Id extends ExtensionId<ExpectedModel> {
    private static final Id INSTANCE = new Id();

    @Override
    public ExpectedModel createExtension(ActorSystem<?> system) {
      return new ExpectedModel(system);
    }
  }
}
