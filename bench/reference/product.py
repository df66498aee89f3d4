#!/usr/bin/env python3
"""One dense matrix product C = A B of float32s, (M x K) times (K x N), timed on one BLAS thread.

The mlp's training step is mostly such products at batch 64 (784 x 200 and 200 x 200 weights, and
their transposes in the backward pass), so how fast the BLAS numpy uses multiplies them bounds how
fast bench/reference/train.py can train the mlp in its dense regime. bench/compare times the same
shapes with CSFL's blocked kernel (GemmBenchmark), to show where the two engines stand on the
machine before any zero is skipped.

  bench/reference/product.py --m 64 --k 784 --n 200 --time 2 --iterations 3
"""
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import time

import numpy as np


def multiply_adds_per_s(m, k, n, seconds, rng):
    """Products per second of an (m x k) by (k x n) product into a preallocated C, over `seconds`, times m k n."""
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    c = np.empty((m, n), np.float32)
    done = 0
    start = time.perf_counter()
    while True:
        for _ in range(50):
            np.matmul(a, b, out=c)
        done += 50
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done * m * k * n / elapsed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--m", type=int, default=64)
    p.add_argument("--k", type=int, default=784)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--warmup", type=float, default=2, help="untimed seconds first (default 2)")
    p.add_argument("--time", type=float, default=2, help="seconds per timed iteration (default 2)")
    p.add_argument("--iterations", type=int, default=3, help="timed iterations (default 3)")
    p.add_argument("--json", action="store_true", help="end with one JSON line for bench/compare")
    args = p.parse_args(argv)
    if min(args.m, args.k, args.n, args.iterations) < 1 or args.time <= 0:
        print("product.py: --m, --k, --n and --iterations must be at least 1 and --time above 0", file=sys.stderr)
        return 2
    rng = np.random.default_rng(3)
    multiply_adds_per_s(args.m, args.k, args.n, args.warmup, rng)
    scores = [multiply_adds_per_s(args.m, args.k, args.n, args.time, rng) for _ in range(args.iterations)]
    for i, s in enumerate(scores, 1):
        print(f"  iteration {i}: {s / 1e9:.1f} G multiply-adds/s")
    mean = float(np.mean(scores))
    print(f"{args.m} x {args.k} times {args.k} x {args.n}: {mean / 1e9:.1f} G multiply-adds/s, one thread")
    if args.json:
        print(json.dumps({"m": args.m, "k": args.k, "n": args.n, "multiply_adds_per_s": mean, "iterations": scores}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
