package io.csfl.node;

import java.nio.file.Path;

/**
 * A process that holds a run's locks, as another csfl run would: locks {@code args[0]} (and
 * {@code args[1]} as its checkpoint directory), prints {@code locked}, and holds them until its
 * standard input ends.
 */
final class RunLockHolder {
  private RunLockHolder() {}

  public static void main(String[] args) throws Exception {
    var locks = RunLock.acquireRun(Path.of(args[0]), "--out", Path.of(args[1]));
    System.out.println("locked");
    System.out.flush();
    while (System.in.read() >= 0) {
      // held until the parent closes our input
    }
    locks.forEach(RunLock::close);
  }
}
