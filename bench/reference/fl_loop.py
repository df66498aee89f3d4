#!/usr/bin/env python3
"""A single-process numpy FedAvg and Complement Sparsification loop, to compare with `csfl simulate`.

It does the work `csfl simulate` does with the same flags: the same partition of Fashion-MNIST's
60,000 training images over the clients (iid, or Dirichlet label skew as CSFL draws it), the same
number of clients sampled per round, the same local epochs, batches and optimiser (fresh each
round), the same model, an example-weighted aggregate, and an evaluation of the global model on
the 10,000 test images after every round. For cs, the server's side is CSFL's: round 1 is dense
FedAvg, then the aggregate is pruned by magnitude per weight tensor (biases stay dense) to the
scheduled sparsity; clients train the whole pruned model and send back the weights at the pruned
positions and the biases; the server forms D = S + eta * A (A the example-weighted mean of those
weights) and prunes D again. Random draws (initial model, partition, sampling, shuffling) come
from numpy's generator, so the accuracies are close to CSFL's, not equal to them.

  bench/reference/fl_loop.py --algorithm fedavg,cs --model mlp --clients 100 --per-round 10 --rounds 30 \\
      --partition dirichlet:0.5 --optimizer adam --lr 0.01 --local-epochs 5 --batch-size 64 --seed 7
"""
import train  # sets the BLAS thread count before numpy is imported, and exits 2 without numpy

import argparse
import json
import sys
import time

np = train.np
F32 = train.F32


# ---------------------------------------------------------------------------------------------
# Partitions (core/src/main/java/io/csfl/data)

MIN_EXAMPLES = 10
MAX_ATTEMPTS = 1000


def iid(labels, clients, rng):
    """Shuffle, then deal out near-equal slices."""
    order = rng.permutation(len(labels))
    return [np.sort(order[c * len(order) // clients:(c + 1) * len(order) // clients]) for c in range(clients)]


def dirichlet(labels, clients, rng, alpha, capped):
    """Each class divided among the clients in Dirichlet(alpha) proportions; drawn again until every
    client holds at least min(10, n / clients) examples. Capped: a client that already holds its
    fair share gets none of the classes drawn after that."""
    min_size = max(1, min(MIN_EXAMPLES, len(labels) // clients))
    by_class = [np.flatnonzero(labels == k) for k in range(int(labels.max()) + 1)]
    fair = len(labels) / clients
    for _ in range(MAX_ATTEMPTS):
        parts = [[] for _ in range(clients)]
        sizes = np.zeros(clients)
        for members in by_class:
            if len(members) == 0:
                continue
            shuffled = rng.permutation(members)
            p = rng.dirichlet(np.full(clients, alpha))
            if capped:
                p[sizes >= fair] = 0
            p = p / p.sum() if p.sum() > 0 else np.full(clients, 1 / clients)
            cuts = np.floor(np.cumsum(p) * len(shuffled) + 0.5).astype(int)
            cuts[-1] = len(shuffled)
            cuts = np.maximum.accumulate(cuts)
            for c, piece in enumerate(np.split(shuffled, cuts[:-1])):
                parts[c].append(piece)
                sizes[c] += len(piece)
        if sizes.min() >= min_size:
            return [np.sort(np.concatenate(p)) for p in parts]
    raise SystemExit(f"dirichlet:{alpha} left a client with fewer than {min_size} examples in {MAX_ATTEMPTS} draws")


def partition(spec, labels, clients, rng):
    name, _, value = spec.partition(":")
    if name == "iid" and not value:
        return iid(labels, clients, rng)
    if name in ("dirichlet", "dirichlet-capped") and value:
        return dirichlet(labels, clients, rng, float(value), name == "dirichlet-capped")
    raise SystemExit(f"unknown partition {spec!r}: this reference loop knows iid, dirichlet:A and dirichlet-capped:A")


# ---------------------------------------------------------------------------------------------
# Server side (core/src/main/java/io/csfl/strategy)


def sparsity_for(round_, total, start, end, warmup):
    """CsOptions.sparsityFor: the mask used in a round, linear from start (first pruned round) to end."""
    first = warmup + 2
    if total <= first or round_ <= first:
        return start
    return start + min(1.0, (round_ - first) / (total - first)) * (end - start)


def prune(net, model, sparsity):
    """Per weight tensor, keep the round((1 - s) * n) largest |w| (MagnitudePruner); biases dense."""
    kept = np.ones(net.size, dtype=bool)
    for a, b, prunable in net.tensors:
        if prunable:
            n = b - a
            keep = n - int(np.floor(sparsity * n + 0.5))
            kept[a:b] = False
            if keep > 0:
                kept[a + np.argpartition(-np.abs(model[a:b]), keep - 1)[:keep]] = True
    return kept


class FedAvgServer:
    def __init__(self, initial, net, args):
        self.model = initial.copy()

    def start(self):
        """The model the clients start from."""
        return self.model

    def close(self, round_, trained, weights):
        mean = np.zeros(len(self.model))
        for model, w in zip(trained, weights):
            mean += w * model
        self.model = (mean / sum(weights)).astype(F32)


class CsServer:
    def __init__(self, initial, net, args):
        self.net, self.args = net, args
        self.model = initial.copy()
        self.kept = None  # positions of S_t that the mask keeps; None while the model is dense
        self.prunable = np.zeros(net.size, dtype=bool)
        for a, b, p in net.tensors:
            self.prunable[a:b] = p

    def start(self):
        return self.model

    def close(self, round_, trained, weights):
        mean = np.zeros(len(self.model))
        # Dense positions (biases, or everything before the first mask) are averaged; the clients'
        # weights at the pruned positions are the complement A, added to S scaled by eta.
        uplink = ~self.prunable if self.kept is not None else np.ones(len(self.model), dtype=bool)
        if self.kept is not None:
            uplink |= ~self.kept
        for model, w in zip(trained, weights):
            mean[uplink] += w * model[uplink]
        mean /= sum(weights)
        if self.kept is None:
            candidate = mean
        else:
            complement = self.prunable & ~self.kept
            candidate = self.model.astype(np.float64)
            candidate[~self.prunable] = mean[~self.prunable]
            candidate[complement] += self.args.server_rate * mean[complement]
        candidate = candidate.astype(F32)
        if round_ <= self.args.warmup_rounds:
            self.model, self.kept = candidate, None
            return
        s = sparsity_for(round_ + 1, self.args.rounds, self.args.sparsity, self.args.sparsity_end, self.args.warmup_rounds)
        self.kept = prune(self.net, candidate, s)
        self.model = np.where(self.kept, candidate, F32(0))


SERVERS = {"fedavg": FedAvgServer, "cs": CsServer}


# ---------------------------------------------------------------------------------------------


def local_training(net, start, images, labels, examples, args, rng):
    """Local epochs from the server's model with a fresh optimiser; the last batch may be smaller."""
    net.params[:] = start
    opt = train.optimizer_for(args.optimizer, net.size, args.lr, args.momentum)
    order = examples.copy()
    for _ in range(args.local_epochs):
        rng.shuffle(order)
        for at in range(0, len(order), args.batch_size):
            idx = order[at:at + args.batch_size]
            net.train_batch(train.batch_of(images, idx), labels[idx], opt)
    return net.params.copy()


def run(algorithm, args, data, parts):
    train_x, train_y, test_x, test_y = data
    net = train.build(args.model, args.seed)
    server = SERVERS[algorithm](net.params.copy(), net, args)
    started = time.perf_counter()
    rows = []
    trained_examples = 0
    for round_ in range(1, args.rounds + 1):
        t0 = time.perf_counter()
        # Sampling draws from (seed, round) only, so both algorithms train the same clients.
        sample = np.sort(np.random.default_rng([args.seed, round_]).choice(args.clients, args.per_round, replace=False))
        start = server.start()
        trained, weights = [], []
        for c in sample:
            rng = np.random.default_rng([args.seed, round_, int(c)])
            trained.append(local_training(net, start, train_x, train_y, parts[c], args, rng))
            weights.append(len(parts[c]))
            trained_examples += len(parts[c]) * args.local_epochs
        server.close(round_, trained, weights)
        net.params[:] = server.model
        acc, loss = net.evaluate(test_x, test_y)
        rows.append((round_, acc, loss))
        if not args.quiet:
            print(f"{algorithm} round {round_:3d}: accuracy {acc:.4f} loss {loss:.4f} ({time.perf_counter() - t0:.1f} s)", flush=True)
    wall = time.perf_counter() - started
    return {"algorithm": algorithm, "final_accuracy": rows[-1][1], "best_accuracy": max(r[1] for r in rows),
            "final_loss": rows[-1][2], "wall_s": wall, "examples_trained": trained_examples}


def main(argv=None):
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--algorithm", default="fedavg,cs", help="fedavg, cs or both, comma-separated (default fedavg,cs)")
    a.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    a.add_argument("--clients", type=int, default=100)
    a.add_argument("--per-round", type=int, default=10)
    a.add_argument("--rounds", type=int, default=30)
    a.add_argument("--partition", default="dirichlet:0.5", help="iid, dirichlet:A or dirichlet-capped:A")
    a.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    a.add_argument("--lr", type=float, default=0.01)
    a.add_argument("--momentum", type=float, default=0.0)
    a.add_argument("--local-epochs", type=int, default=5)
    a.add_argument("--batch-size", type=int, default=64)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--sparsity", type=float, default=0.5, help="cs: sparsity of the first mask (default 0.5)")
    a.add_argument("--sparsity-end", type=float, help="cs: sparsity of the last round (default: --sparsity)")
    a.add_argument("--server-rate", type=float, default=1.5, help="cs: eta (default 1.5)")
    a.add_argument("--warmup-rounds", type=int, default=0, help="cs: dense rounds before the first pruning")
    a.add_argument("--data", default=train.DATA)
    a.add_argument("--quiet", action="store_true", help="no line per round")
    a.add_argument("--json", action="store_true", help="end with one JSON line for bench/compare")
    args = a.parse_args(argv)
    if args.sparsity_end is None:
        args.sparsity_end = args.sparsity
    algorithms = [x.strip() for x in args.algorithm.split(",") if x.strip()]
    unknown = [x for x in algorithms if x not in SERVERS]
    if unknown or not 0 < args.per_round <= args.clients:
        raise SystemExit(f"algorithms: fedavg and cs only (got {unknown}); --per-round must be in 1..--clients")

    started = time.perf_counter()
    data = train.load_fashion_mnist(args.data)
    parts = partition(args.partition, data[1], args.clients, np.random.default_rng(args.seed))
    print(f"numpy {np.__version__}, one thread: {', '.join(algorithms)}, {args.model}, {args.clients} clients "
          f"({args.partition}), {args.per_round} per round, {args.rounds} rounds, {args.local_epochs} local epochs, "
          f"{args.optimizer} {args.lr}, batch {args.batch_size}", flush=True)
    results = [run(alg, args, data, parts) for alg in algorithms]
    total = time.perf_counter() - started
    print("| algorithm | rounds | final acc | best acc | examples trained | wall s |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['algorithm']} | {args.rounds} | {r['final_accuracy']:.4f} | {r['best_accuracy']:.4f} | "
              f"{r['examples_trained']:,} | {r['wall_s']:.1f} |")
    print(f"wall time, data loading included: {total:.1f} s")
    if args.json:
        print(json.dumps({"results": results, "wall_s": total}))


if __name__ == "__main__":
    sys.exit(main())
