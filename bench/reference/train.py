#!/usr/bin/env python3
"""A plain one-thread numpy trainer of CSFL's mlp and cnn presets, to compare training speed with.

Same shapes as CSFL's presets (core/src/main/java/io/csfl/nn/Architecture.java): the mlp is
784-200-200-10 with ReLU, the cnn is 5x5 conv 32 (same padding), ReLU, 2x2 max pool, 5x5 conv 64,
ReLU, 2x2 max pool, dense 512, ReLU, dense 10, on channels-last images. Weights are He-normal
(N(0, 2 / fan-in)), biases zero, softmax cross-entropy averaged over the batch, Adam with Keras'
defaults (beta1 0.9, beta2 0.999, epsilon 1e-7) or plain SGD, batches of 64 Fashion-MNIST images
scaled to [0, 1] as they are drawn. The numbers differ from CSFL's to the bit (another random
generator, another summation order), the work does not.

Two modes, as CSFL's JMH benchmarks (bench/src/main/java/io/csfl/nn):
  steady  train on and on over a shuffled epoch and report samples/s after a warm-up
          (TrainingThroughputBenchmark);
  epoch   train one epoch of 937 batches from the initial model with a fresh optimiser, again and
          again, and report samples/s (EpochThroughputBenchmark).

  bench/reference/train.py --model mlp --optimizer adam --lr 0.01 --mode steady
  bench/reference/train.py --model mlp --lr 0.001 --mode epoch --epochs 1 --warmup-epochs 0 --evaluate
"""
import os
import sys

# One thread, whatever BLAS numpy was built with: set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

try:
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view
except ImportError:
    print("bench/reference needs numpy (2.x): apt-get install python3-numpy, or pip install numpy", file=sys.stderr)
    sys.exit(2)

import argparse
import gzip
import json
import struct
import time

BATCH = 64
#: CSFL's parameter counts for the presets; the models built here must have exactly these.
PARAMETERS = {"mlp": 199_210, "cnn": 1_663_370}
HOME = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(HOME, "data", "fashion-mnist")
F32 = np.float32


# ---------------------------------------------------------------------------------------------
# Data


def _read_idx(path, magic, dims):
    """The array of a gzip IDX file, checked against the magic number and rank it must have."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 + 4 * dims:
        raise ValueError(f"{path}: too short for an IDX header")
    got, = struct.unpack(">i", raw[:4])
    if got != magic:
        raise ValueError(f"{path}: magic number {got}, expected {magic}")
    shape = struct.unpack(">" + "i" * dims, raw[4:4 + 4 * dims])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {body.size} bytes of data, the header says {shape}")
    return body.reshape(shape)


def load_fashion_mnist(directory=DATA):
    """(train images, train labels, test images, test labels); images uint8 [n, 28, 28, 1]."""
    def part(prefix):
        images = _read_idx(os.path.join(directory, prefix + "-images-idx3-ubyte.gz"), 2051, 3)
        labels = _read_idx(os.path.join(directory, prefix + "-labels-idx1-ubyte.gz"), 2049, 1)
        if len(images) != len(labels) or labels.max() > 9:
            raise ValueError(f"{directory}: {prefix} images and labels do not match")
        return images.reshape(-1, 28, 28, 1), labels.astype(np.int64)
    return part("train") + part("t10k")


def batch_of(images, indices):
    """Grey levels to floats in [0, 1], as CSFL's Dataset.fill does, batch by batch."""
    return images[indices].astype(F32) * F32(1 / 255)


# ---------------------------------------------------------------------------------------------
# Layers. Each keeps what its backward pass needs from the last forward pass. Parameters and
# gradients are views into one flat buffer each, so an optimiser step is a few vector operations.


class Dense:
    def __init__(self, inputs, outputs):
        self.shapes = [(inputs, outputs), (outputs,)]
        self.fan_in = inputs

    def forward(self, x):
        self.in_shape = x.shape
        self.x = x = x.reshape(len(x), -1)
        y = x @ self.w
        y += self.b
        return y

    def backward(self, dy, need_dx):
        np.matmul(self.x.T, dy, out=self.dw)
        np.sum(dy, axis=0, out=self.db)
        return (dy @ self.w.T).reshape(self.in_shape) if need_dx else None


class Relu:
    shapes = []

    def forward(self, x):
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, dy, need_dx):
        return dy * (self.y > 0)


class Conv:
    """k x k convolution, stride 1, same padding, NHWC input, kernel [k, k, in, out]: im2col + GEMM."""

    def __init__(self, channels_in, channels_out, k):
        self.k, self.cin, self.cout = k, channels_in, channels_out
        self.shapes = [(k, k, channels_in, channels_out), (channels_out,)]
        self.fan_in = k * k * channels_in

    def forward(self, x):
        b, h, w, c = x.shape
        p = self.k // 2
        padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        windows = sliding_window_view(padded, (self.k, self.k), axis=(1, 2))  # [b, h, w, c, kh, kw]
        self.cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(b * h * w, self.k * self.k * c)
        self.in_shape = x.shape
        y = self.cols @ self.w.reshape(-1, self.cout)
        y += self.b
        return y.reshape(b, h, w, self.cout)

    def backward(self, dy, need_dx):
        dy = dy.reshape(-1, self.cout)
        np.matmul(self.cols.T, dy, out=self.dw.reshape(-1, self.cout))
        np.sum(dy, axis=0, out=self.db)
        if not need_dx:
            return None
        b, h, w, c = self.in_shape
        k, p = self.k, self.k // 2
        dcols = (dy @ self.w.reshape(-1, self.cout).T).reshape(b, h, w, k, k, c)
        dx = np.zeros((b, h + 2 * p, w + 2 * p, c), dtype=F32)
        for kh in range(k):
            for kw in range(k):
                dx[:, kh:kh + h, kw:kw + w, :] += dcols[:, :, :, kh, kw, :]
        return dx[:, p:p + h, p:p + w, :]


class MaxPool2:
    """2x2 max pooling, stride 2. Ties go to the first position in row-major order, as in CSFL:
    blank background gives equal outputs across a window once the biases have moved."""
    shapes = []

    def forward(self, x):
        b, h, w, c = self.in_shape = x.shape
        self.windows = x.reshape(b, h // 2, 2, w // 2, 2, c)
        self.y = self.windows.max(axis=(2, 4))
        return self.y

    def backward(self, dy, need_dx):
        dx = np.zeros(self.windows.shape, dtype=dy.dtype)
        taken = np.zeros(dy.shape, dtype=bool)
        for r, c in ((0, 0), (0, 1), (1, 0), (1, 1)):
            first = (self.windows[:, :, r, :, c, :] == self.y) & ~taken
            taken |= first
            dx[:, :, r, :, c, :] = dy * first
        return dx.reshape(self.in_shape)


def layers_of(model):
    if model == "mlp":
        return [Dense(784, 200), Relu(), Dense(200, 200), Relu(), Dense(200, 10)]
    if model == "cnn":
        return [Conv(1, 32, 5), Relu(), MaxPool2(), Conv(32, 64, 5), Relu(), MaxPool2(),
                Dense(7 * 7 * 64, 512), Relu(), Dense(512, 10)]
    raise ValueError(f"unknown model {model!r} (mlp or cnn)")


class Network:
    """A preset with its parameters (and gradients) in one flat float32 buffer, in CSFL's tensor
    order: each layer's kernel, then its bias."""

    def __init__(self, model):
        self.model = model
        self.layers = layers_of(model)
        sizes = [int(np.prod(s)) for layer in self.layers for s in layer.shapes]
        self.size = sum(sizes)
        self.params = np.zeros(self.size, dtype=F32)
        self.grads = np.zeros(self.size, dtype=F32)
        self.tensors = []  # (start, end, prunable) per tensor, kernels prunable
        at = 0
        for layer in self.layers:
            if not layer.shapes:
                continue
            (ws, bs) = layer.shapes
            wn, bn = int(np.prod(ws)), int(np.prod(bs))
            layer.w = self.params[at:at + wn].reshape(ws)
            layer.dw = self.grads[at:at + wn].reshape(ws)
            layer.b = self.params[at + wn:at + wn + bn]
            layer.db = self.grads[at + wn:at + wn + bn]
            self.tensors += [(at, at + wn, True), (at + wn, at + wn + bn, False)]
            at += wn + bn

    def initialize(self, seed):
        """He-normal kernels, zero biases, deterministic for the seed."""
        rng = np.random.default_rng(seed)
        self.params[:] = 0
        for layer in self.layers:
            if layer.shapes:
                layer.w[...] = rng.standard_normal(layer.w.shape, dtype=F32) * F32(np.sqrt(2.0 / layer.fan_in))
        return self.params.copy()

    def logits(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def train_batch(self, x, labels, optimizer):
        """One step on a batch; returns the batch's mean loss."""
        logits = self.logits(x)
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        rows = np.arange(len(labels))
        loss = -np.log(np.maximum(logits[rows, labels], F32(1e-12))).mean()
        logits[rows, labels] -= 1
        dy = logits * F32(1 / len(labels))
        for i in range(len(self.layers) - 1, -1, -1):
            dy = self.layers[i].backward(dy, i > 0)
        optimizer.step(self.params, self.grads)
        return float(loss)

    def evaluate(self, images, labels, chunk=1000):
        """(accuracy, mean loss) on the given examples."""
        correct, loss = 0, 0.0
        for at in range(0, len(labels), chunk):
            y = labels[at:at + chunk]
            z = self.logits(batch_of(images, np.arange(at, at + len(y)))).astype(np.float64)
            z -= z.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            loss -= logp[np.arange(len(y)), y].sum()
            correct += int((z.argmax(axis=1) == y).sum())
        return correct / len(labels), loss / len(labels)


# ---------------------------------------------------------------------------------------------
# Optimisers, on the flat buffers


class Adam:
    """Keras' Adam as CSFL computes it: p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps).

    Like CSFL it keeps the moments out of the subnormal floats, where a moment left to decay stays
    for good and Intel CPUs compute slowly: every FLUSH_EVERY steps, moments below 2^-100 in
    magnitude are set to zero. A moment takes some 170 steps to decay from 2^-100 to the
    subnormals, so none decays that far (a gradient below about 3e-18 can still put a second
    moment there until the next flush). At every step, as CSFL does it, the six extra passes
    (abs, compare and copy on m and on v) cost numpy dearly: the numpy loop's README job took
    56.4 s that way against 37.4 s flushing every 50 steps (bench/compare --end-to-end --rounds 2,
    one run each on one machine)."""
    B1, B2, EPS = 0.9, 0.999, F32(1e-7)
    TINY = F32(2.0 ** -100)
    FLUSH_EVERY = 50

    def __init__(self, size, lr):
        self.lr, self.t = lr, 0
        self.m = np.zeros(size, dtype=F32)
        self.v = np.zeros(size, dtype=F32)
        self.tmp = np.zeros(size, dtype=F32)
        self.tiny = np.zeros(size, dtype=bool)

    def flush_tiny(self, x):
        np.abs(x, out=self.tmp)
        np.less(self.tmp, self.TINY, out=self.tiny)
        np.copyto(x, F32(0), where=self.tiny)

    def step(self, p, g):
        self.t += 1
        step = F32(self.lr * np.sqrt(1 - self.B2 ** self.t) / (1 - self.B1 ** self.t))
        m, v, tmp = self.m, self.v, self.tmp
        m *= F32(self.B1)
        np.multiply(g, F32(1 - self.B1), out=tmp)
        m += tmp
        v *= F32(self.B2)
        np.multiply(g, g, out=tmp)
        tmp *= F32(1 - self.B2)
        v += tmp
        if self.t % self.FLUSH_EVERY == 0:
            self.flush_tiny(m)
            self.flush_tiny(v)
        np.sqrt(v, out=tmp)
        tmp += self.EPS
        np.divide(m, tmp, out=tmp)
        tmp *= step
        p -= tmp


class Sgd:
    """Plain SGD, or heavy-ball momentum as CSFL's (v = mu * v - lr * g; p += v)."""

    def __init__(self, size, lr, momentum=0.0):
        self.lr, self.momentum = F32(lr), F32(momentum)
        self.v = np.zeros(size, dtype=F32) if momentum else None
        self.tmp = np.zeros(size, dtype=F32)

    def step(self, p, g):
        np.multiply(g, self.lr, out=self.tmp)
        if self.v is None:
            p -= self.tmp
        else:
            self.v *= self.momentum
            self.v -= self.tmp
            p += self.v


def optimizer_for(name, size, lr, momentum=0.0):
    if name == "adam":
        return Adam(size, lr)
    if name == "sgd":
        return Sgd(size, lr, momentum)
    raise ValueError(f"unknown optimizer {name!r} (adam or sgd)")


def build(model, seed=1):
    """A network of the preset, initialised, with its parameter count checked against CSFL's."""
    net = Network(model)
    if net.size != PARAMETERS[model]:
        raise SystemExit(f"{model}: {net.size:,} parameters, CSFL's preset has {PARAMETERS[model]:,}")
    net.initialize(seed)
    return net


# ---------------------------------------------------------------------------------------------
# Benchmark modes


def steady(net, opt, images, labels, order, warmup, iterations, seconds):
    """Samples/s of each timed iteration, training on and on (wrapping at the epoch's end)."""
    position = [0]

    def run_for(limit):
        steps, start = 0, time.perf_counter()
        while True:
            if position[0] + BATCH > len(order):
                position[0] = 0
            idx = order[position[0]:position[0] + BATCH]
            position[0] += BATCH
            net.train_batch(batch_of(images, idx), labels[idx], opt)
            steps += 1
            elapsed = time.perf_counter() - start
            if elapsed >= limit:
                return steps * BATCH / elapsed

    run_for(warmup)
    return [run_for(seconds) for _ in range(iterations)]


def epochs(net, initial, make_opt, images, labels, order, warmup, timed):
    """Samples/s of each timed epoch (937 full batches), each from the initial model."""
    scores = []
    full = len(order) // BATCH * BATCH
    for e in range(warmup + timed):
        net.params[:] = initial
        opt = make_opt()
        start = time.perf_counter()
        for at in range(0, full, BATCH):
            idx = order[at:at + BATCH]
            net.train_batch(batch_of(images, idx), labels[idx], opt)
        if e >= warmup:
            scores.append(full / (time.perf_counter() - start))
    return scores


def blas_name():
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # numpy 1.x or an unusual build: the name is only informative
        return "unknown"


def main(argv=None):
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    a.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    a.add_argument("--lr", type=float, default=0.01)
    a.add_argument("--mode", choices=["steady", "epoch"], default="steady")
    a.add_argument("--warmup", type=float, default=10, help="steady: warm-up seconds (default 10)")
    a.add_argument("--iterations", type=int, default=5, help="steady: timed iterations (default 5)")
    a.add_argument("--time", type=float, default=5, help="steady: seconds per iteration (default 5)")
    a.add_argument("--epochs", type=int, default=3, help="epoch: timed epochs (default 3)")
    a.add_argument("--warmup-epochs", type=int, default=1, help="epoch: untimed epochs first (default 1)")
    a.add_argument("--evaluate", action="store_true", help="print the test accuracy of the model at the end")
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--data", default=DATA)
    a.add_argument("--json", action="store_true", help="end with one JSON line for bench/compare")
    args = a.parse_args(argv)

    train_x, train_y, test_x, test_y = load_fashion_mnist(args.data)
    net = build(args.model, args.seed)
    initial = net.params.copy()
    order = np.random.default_rng(args.seed).permutation(len(train_y))
    print(f"numpy {np.__version__} ({blas_name()}), one thread; {args.model}: {net.size:,} parameters "
          f"(CSFL's preset: {PARAMETERS[args.model]:,}); {args.optimizer} {args.lr}, batch {BATCH}, {args.mode}")

    def make_opt():
        return optimizer_for(args.optimizer, net.size, args.lr)

    if args.mode == "steady":
        scores = steady(net, make_opt(), train_x, train_y, order, args.warmup, args.iterations, args.time)
    else:
        scores = epochs(net, initial, make_opt, train_x, train_y, order, args.warmup_epochs, args.epochs)
    for i, s in enumerate(scores, 1):
        print(f"  iteration {i}: {s:,.0f} samples/s")
    mean = float(np.mean(scores)) if scores else float("nan")
    print(f"samples/s: {mean:,.0f}")
    result = {"model": args.model, "optimizer": args.optimizer, "lr": args.lr, "mode": args.mode,
              "samples_per_s": mean, "iterations": scores}
    if args.evaluate:
        acc, loss = net.evaluate(test_x, test_y)
        print(f"test accuracy {acc:.4f}, loss {loss:.4f}")
        result.update(accuracy=acc, loss=loss)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
