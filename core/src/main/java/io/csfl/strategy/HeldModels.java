package io.csfl.strategy;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;

/**
 * The global models the clients of this JVM hold, one immutable copy of each. Every client that
 * was sent the model of the same round holds the same model to the bit (whether it rebuilt it from
 * the whole model or from a patch of an earlier one), so a node hosting thousands of clients keeps
 * a handful of models, one per round its clients were last sent, instead of one per client.
 *
 * <p>A copy is keyed by algorithm, round and content hash, and handed out only after a full
 * comparison, so two federations in one JVM that happen to share an algorithm's name never mix
 * their models. It is counted while clients hold it and dropped when the last one moves on; it is
 * also only weakly held, so clients that stop without saying so (a stopped actor) do not keep it.
 */
final class HeldModels {
  /** The node's cache, shared by every client algorithm in this JVM. */
  static final HeldModels NODE = new HeldModels();

  private final Map<Key, Entry> entries = new HashMap<>();
  private final ReferenceQueue<Patches.Sparse> collected = new ReferenceQueue<>();
  private volatile boolean sharing = true;

  private record Key(String algorithm, int round, int hash) {}

  /** A model a client holds through this cache: what it gives back to {@link #release}. */
  record Lease(Patches.Sparse model, Key key) {}

  private static final class Entry extends WeakReference<Patches.Sparse> {
    private final Key key;
    private int holders;

    Entry(Key key, Patches.Sparse model, ReferenceQueue<Patches.Sparse> queue) {
      super(model, queue);
      this.key = key;
    }
  }

  /**
   * The node's copy of {@code model}, the global model of {@code round} as {@code algorithm}
   * rebuilt it, counting one more holder: {@code model} itself when no client holds an equal one.
   * The holder gives the lease back to {@link #release} when it moves on to another model.
   */
  Lease acquire(String algorithm, int round, Patches.Sparse model) {
    if (!sharing) {
      return new Lease(model, null);
    }
    // Hashed outside the lock: a pass over every weight.
    Key key = new Key(algorithm, round, model.hashCode());
    synchronized (this) {
      purge();
      Entry entry = entries.get(key);
      Patches.Sparse shared = entry == null ? null : entry.get();
      if (shared == null) {
        entry = new Entry(key, model, collected);
        entries.put(key, entry);
        shared = model;
      } else if (!shared.equals(model)) {
        // Same key, other content (another federation's model of that round): not shared.
        return new Lease(model, null);
      }
      entry.holders++;
      return new Lease(shared, key);
    }
  }

  /** One holder of {@code lease}'s model no longer holds it. */
  synchronized void release(Lease lease) {
    purge();
    if (lease.key() == null) {
      return;
    }
    Entry entry = entries.get(lease.key());
    if (entry != null && entry.refersTo(lease.model()) && --entry.holders == 0) {
      entries.remove(lease.key());
      entry.clear();
    }
  }

  /** How many distinct models clients of this JVM hold now. */
  synchronized int size() {
    purge();
    return entries.size();
  }

  /**
   * With {@code false}, every client keeps its own copy of what it holds, as if no other client
   * held the same model: the reference against which tests check that sharing changes no result.
   */
  void sharing(boolean on) {
    sharing = on;
  }

  private void purge() {
    for (Reference<? extends Patches.Sparse> r; (r = collected.poll()) != null; ) {
      Entry gone = (Entry) r;
      entries.remove(gone.key, gone);
    }
  }
}
