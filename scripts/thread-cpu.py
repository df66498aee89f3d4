#!/usr/bin/env python3
"""CPU time per thread group of a few JVMs, read from Linux's /proc, for scripts/tls-cost.sh -t.

  thread-cpu.py sample OUT PID...     until the first PID has exited, reads every 0.25 s the CPU
                                      time (user and system) of every thread of the PIDs, then
                                      writes to OUT (JSON) the seconds per thread group, summed
                                      over the processes
  thread-cpu.py report NAME=FILE,FILE... [NAME=...]
                                      one markdown table: per group, the median over each
                                      variant's files, and each variant's difference to the first

A thread's time is its highest reading, so a process that exits (or is killed) keeps what it had
used by its last reading, at most 0.25 s before. Threads are grouped by the name the JVM gave them
(Linux keeps its first 15 characters): Akka's dispatchers, CSFL's training and evaluation, the JIT
compilers, the garbage collector, and the main thread, which starts the node.
"""
import collections
import json
import os
import re
import statistics
import sys
import time

# (prefix of the 15-character thread name, group), first match wins.
GROUPS = [
    ("csfl-akka.remot", "Artery: serialization, framing, TLS (remote dispatcher)"),
    ("csfl-akka.actor", "actors (Akka's default and internal dispatchers)"),
    ("csfl-csfl.train", "training"),
    ("csfl-evaluation", "evaluation"),
    ("csfl-csfl.serve", "server"),
    ("csfl-tls-warm-u", "TLS warm-up"),
    ("csfl-akka.io.pi", "socket I/O (Akka's pinned dispatcher)"),
    ("csfl-scheduler", "Akka's scheduler"),
    ("C2 CompilerThre", "JIT: C2"),
    ("C1 CompilerThre", "JIT: C1"),
    ("GC Thread", "garbage collector"),
    ("G1 ", "garbage collector"),
    ("java", "main thread (start-up)"),
]


def group(name):
    for prefix, label in GROUPS:
        if name.startswith(prefix):
            return label
    return "other JVM threads"


def read_threads(pid, ticks):
    """{tid: (name, CPU seconds)} of a live process, or {} once it is gone."""
    found = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        found[tid] = (name, (int(fields[11]) + int(fields[12])) / ticks)
    return found


def by_group(last):
    totals = collections.Counter()
    for name, seconds in last.values():
        totals[group(name)] += seconds
    return dict(totals)


def running(pid):
    """Whether the process exists and has not exited (an exited one stays a zombie until reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] not in ("Z", "X")


def sample(out, pids, period=0.25):
    ticks = os.sysconf("SC_CLK_TCK")
    last = {}
    while running(pids[0]):
        for pid in pids:
            for tid, reading in read_threads(pid, ticks).items():
                if reading[1] >= last.get((pid, tid), ("", 0.0))[1]:  # an exiting thread can read less
                    last[(pid, tid)] = reading
        time.sleep(period)
    with open(out, "w") as f:
        json.dump(by_group(last), f, indent=1)


def report(variants):
    """variants: [(name, [dict of group -> seconds])]; returns the table's lines."""
    names = [name for name, _ in variants]
    groups = collections.Counter()
    for _, runs in variants:
        for run in runs:
            for g, seconds in run.items():
                groups[g] += seconds
    medians = {name: {g: statistics.median([run.get(g, 0.0) for run in runs]) for g in groups} for name, runs in variants}
    first = names[0]
    lines = ["| thread group | " + " | ".join(f"{n}, s" for n in names) + " | " +
             " | ".join(f"{n} - {first}, s" for n in names[1:]) + " |",
             "|---|" + "---:|" * (2 * len(names) - 1)]
    for g, _ in sorted(groups.items(), key=lambda item: -item[1]):
        lines.append(f"| {g} | " + " | ".join(f"{medians[n][g]:.2f}" for n in names) + " | " +
                     " | ".join(f"{medians[n][g] - medians[first][g]:+.2f}" for n in names[1:]) + " |")
    totals = {n: sum(medians[n].values()) for n in names}
    lines.append("| all (sum of the medians) | " + " | ".join(f"{totals[n]:.2f}" for n in names) + " | " +
                 " | ".join(f"{totals[n] - totals[first]:+.2f}" for n in names[1:]) + " |")
    return lines


def main(argv):
    if len(argv) >= 3 and argv[0] == "sample":
        sample(argv[1], argv[2:])
        return 0
    if len(argv) >= 2 and argv[0] == "report" and all("=" in v for v in argv[1:]):
        variants = []
        for spec in argv[1:]:
            name, files = spec.split("=", 1)
            runs = []
            for path in files.split(","):
                with open(path) as f:
                    runs.append(json.load(f))
            variants.append((name, runs))
        print("\n".join(report(variants)))
        return 0
    print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
