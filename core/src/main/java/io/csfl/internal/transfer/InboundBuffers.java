package io.csfl.internal.transfer;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes a node's inbound transfers hold in their buffers, together, against
 * {@code csfl.transfer.max-inbound-bytes}. Its courier and their {@link Inbound} actors share one.
 *
 * <p>What is counted is what the buffers hold, not what the announcements promise: a member that
 * announces big messages and then sends little of them holds little of the bound, and cannot shut
 * out the transfers of others by announcements alone. A transfer takes its share a block at a
 * time, as its chunks arrive, and gives it all back when it ends.
 */
final class InboundBuffers {
  private final long max;
  private final AtomicLong held = new AtomicLong();

  InboundBuffers(long max) {
    this.max = max;
  }

  /** Takes {@code bytes} more if they fit under the bound; false, taking nothing, if they do not. */
  boolean tryHold(long bytes) {
    long now;
    do {
      now = held.get();
      if (now + bytes > max) {
        return false;
      }
    } while (!held.compareAndSet(now, now + bytes));
    return true;
  }

  /** Why {@code bytes} more do not fit now: the reason a refused transfer is given. */
  String noRoomFor(long bytes) {
    return "this node's inbound transfers already buffer " + held() + " bytes; " + bytes
        + " more would pass its csfl.transfer.max-inbound-bytes (" + max + ")";
  }

  void release(long bytes) {
    held.addAndGet(-bytes);
  }

  /** The bytes held now, by every inbound transfer together. */
  long held() {
    return held.get();
  }

  long max() {
    return max;
  }
}
