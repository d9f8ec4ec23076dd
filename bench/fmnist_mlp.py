#!/usr/bin/python3
"""FMNIST-MLP in PyTorch: the reference point for bench/fmnist_mlp.cpp (see bench/README.md).

The same workload as the C++ benchmark, step for step:
  Fashion-MNIST from the IDX gz files of Debian's dataset-fashion-mnist (read with gzip and
  numpy, no torchvision, no download), 60,000 train / 10,000 test, pixels scaled to [0, 1]
  in float32, kept as bytes and converted one batch at a time (as the C++ side does);
  MLP 784-256-128-10, ReLU, softmax + cross-entropy (mean over the batch);
  weights He-normal (N(0, 2/n_in)), biases 0, as nn::Initializer::he() in common/;
  SGD with momentum 0.9 (v <- 0.9 v + g, theta <- theta - lr v), learning rate 0.05,
  batch 64 (the last batch of an epoch has the 32 samples left), reshuffled every epoch;
  5 epochs. The shuffle and the batch gather are inside the timed loop.

The last line printed is machine-readable, in the same format as the C++ benchmark:
  fmnist_mlp epoch_s=<median s/epoch after the first> gemm_s=<s> test_acc=<0..1> peak_rss_mib=<MiB>
gemm_s is the time of the matrix products one epoch performs (per batch: forward W X for
the 3 layers; backward dW = dZ A^T for the 3 layers and dX = W^T dZ for layers 3 and 2,
autograd computes no dX for the input), timed alone with torch.mm on preallocated random
matrices of the same shapes, 937 batches of 64 and one of 32, median of 3 repetitions.

Threads (this machine has 2 cores; see bench/README.md for why this matters):
  --threads N sets torch.set_num_threads(N) and, before torch is imported, OMP_NUM_THREADS
  and OPENBLAS_NUM_THREADS (torch's matrix products run in OpenBLAS, whose thread pool
  torch.set_num_threads does not control) unless they are already set; --blas-threads M
  gives OpenBLAS M threads instead (Debian's torch defaults to 1 torch thread and
  OpenBLAS's own default of one thread per core). OMP_WAIT_POLICY defaults to PASSIVE (idle
  OpenMP threads sleep instead of spinning against OpenBLAS's); set OMP_WAIT_POLICY=ACTIVE
  yourself to see the spinning default.

Subnormal floats: the momentum of a weight whose gradient is always 0 (a pixel that is
black in every image) decays by 0.9 per step and becomes subnormal after ~850 steps, where
x86 arithmetic is many times slower. The C++ library runs its update with flush-to-zero
(common/optimizer.hpp); for the same, and for PyTorch at its best, this script calls
torch.set_flush_denormal(True). --keep-subnormals leaves PyTorch's default to compare.

Run:  /usr/bin/python3 bench/fmnist_mlp.py [--threads 1] [--epochs 5] [--seed 1]
Needs Debian's python3-torch (apt-get install python3-torch); nothing else in the
project does.
"""

import argparse
import gzip
import math
import os
import resource
import statistics
import struct
import sys
import time

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
SIZES = [784, 256, 128, 10]
LEARNING_RATE = 0.05
MOMENTUM = 0.9
BATCH = 64


def parse_args():
    parser = argparse.ArgumentParser(
        description="FMNIST-MLP speed benchmark in PyTorch (the peer of bench/fmnist_mlp.cpp)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for torch and OpenBLAS (default 1)")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="OpenBLAS threads, when they should differ from --threads")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5, >= 2)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--streams", choices=["cpp", "torch"], default="cpp",
                        help="initial weights and batch orders: the C++ benchmark's own "
                             "(cpp, the default) or PyTorch's generators (torch)")
    parser.add_argument("--keep-subnormals", action="store_true",
                        help="leave PyTorch's default (no flush-to-zero), for comparison")
    parser.add_argument("--data", default=FASHION_MNIST_DIR,
                        help="folder with the four IDX .gz files (default %(default)s)")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.blas_threads is None:
        args.blas_threads = args.threads
    if args.blas_threads < 1:
        parser.error("--blas-threads must be at least 1")
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch is not timed)")
    return args


# --- The C++ library's random streams, reproduced ------------------------------------------
# With --streams cpp (the default) this script starts from the very weights the C++
# benchmark starts from and visits the very same batches, so the two programs compute the
# same thing and their results differ only by float rounding: a test accuracy compared
# between them is not decided by two different random draws. These functions copy what
# common/batches.hpp and common/initializer.hpp do (with Debian's libstdc++), and
# check_cpp_streams() checks the copy against numbers the C++ tests pin
# (tests/batches.cpp, tests/initializer.cpp).

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF


class MT19937_64:
    """std::mt19937_64, whose output for a given seed the C++ standard fixes. The twist of
    its 312-word state is done with numpy in the three pieces its recurrence allows."""
    N, M = 312, 156
    A = 0xB5026F5AA96619E9
    UPPER, LOWER = 0xFFFFFFFF80000000, 0x7FFFFFFF

    def __init__(self, seed=None, state=None):
        if state is None:
            state = [seed & MASK64]
            for i in range(1, self.N):
                prev = state[-1]
                state.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64)
        self.x = numpy.array(state, dtype=numpy.uint64)
        self.out = []
        self.pos = 0

    def _twist(self):
        x, n, m = self.x, self.N, self.M
        a = numpy.uint64(self.A)
        one = numpy.uint64(1)

        def step(i0, i1, nxt, far):
            y = (x[i0:i1] & numpy.uint64(self.UPPER)) | (nxt & numpy.uint64(self.LOWER))
            x[i0:i1] = far ^ (y >> one) ^ numpy.where(y & one, a, numpy.uint64(0))

        step(0, n - m, x[1:n - m + 1].copy(), x[m:n].copy())
        step(n - m, n - 1, x[n - m + 1:n].copy(), x[0:m - 1].copy())
        step(n - 1, n, x[0:1].copy(), x[m - 1:m].copy())
        y = x.copy()
        y ^= (y >> numpy.uint64(29)) & numpy.uint64(0x5555555555555555)
        y ^= (y << numpy.uint64(17)) & numpy.uint64(0x71D67FFFEDA60000)
        y ^= (y << numpy.uint64(37)) & numpy.uint64(0xFFF7EEE000000000)
        y ^= y >> numpy.uint64(43)
        self.out = [int(v) for v in y]
        self.pos = 0

    def __call__(self):
        if self.pos == len(self.out):
            self._twist()
        v = self.out[self.pos]
        self.pos += 1
        return v


def seed_seq_state(values, n_words):
    """std::seed_seq(values).generate() of n_words 32-bit words (the standard's algorithm)."""
    s, n = len(values), n_words
    b = [0x8B8B8B8B] * n
    t = 11 if n >= 623 else 7 if n >= 68 else 5 if n >= 39 else 3 if n >= 7 else (n - 1) // 2
    p = (n - t) // 2
    q = p + t
    m = max(s + 1, n)
    T = lambda v: v ^ (v >> 27)
    for k in range(m):
        r1 = (1664525 * T(b[k % n] ^ b[(k + p) % n] ^ b[(k - 1) % n])) & MASK32
        r2 = (r1 + (s if k == 0 else (k % n) + values[k - 1] if k <= s else k % n)) & MASK32
        b[(k + p) % n] = (b[(k + p) % n] + r1) & MASK32
        b[(k + q) % n] = (b[(k + q) % n] + r2) & MASK32
        b[k % n] = r2
    for k in range(m, m + n):
        r3 = (1566083941 * T((b[k % n] + b[(k + p) % n] + b[(k - 1) % n]) & MASK32)) & MASK32
        r4 = (r3 - (k % n)) & MASK32
        b[(k + p) % n] ^= r3
        b[(k + q) % n] ^= r4
        b[k % n] = r4
    return b


def epoch_order(n, seed, epoch):
    """nn::epoch_order (common/batches.hpp): Fisher-Yates on std::mt19937_64 seeded by
    std::seed_seq{seed lo, seed hi, epoch lo, epoch hi}, rejection for a uniform index."""
    words = seed_seq_state([seed & MASK32, (seed >> 32) & MASK32, epoch & MASK32,
                            (epoch >> 32) & MASK32], 2 * MT19937_64.N)
    rng = MT19937_64(state=[words[2 * i] | (words[2 * i + 1] << 32) for i in range(MT19937_64.N)])
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        rng_range = i + 1
        limit = MASK64 - MASK64 % rng_range
        r = rng()
        while r >= limit:
            r = rng()
        j = r % rng_range
        order[i], order[j] = order[j], order[i]
    return order


def he_normal(rng, n_out, n_in):
    """W (n_out x n_in, float32) as nn::initialize(W, Initializer::he(), rng) draws it
    (common/initializer.hpp): libstdc++'s std::normal_distribution<double>(0, sqrt(2 / n_in)),
    which is Marsaglia's polar method, two numbers per accepted pair, filled column by
    column."""
    sd = math.sqrt(2.0 / n_in)
    draws = []
    count = n_out * n_in
    saved = None  # the polar method's second number (a new distribution for every layer)
    while len(draws) < count:
        if saved is not None:
            draws.append(saved * sd + 0.0)
            saved = None
            continue
        while True:
            x = 2.0 * (float(rng()) / 18446744073709551616.0) - 1.0
            y = 2.0 * (float(rng()) / 18446744073709551616.0) - 1.0
            r2 = x * x + y * y
            if not (r2 > 1.0 or r2 == 0.0):
                break
        mult = math.sqrt(-2 * math.log(r2) / r2)
        saved = x * mult
        draws.append(y * mult * sd + 0.0)
    return numpy.array(draws, dtype=numpy.float64).astype(numpy.float32).reshape(n_in, n_out).T


# The same numbers as tests/batches.cpp and tests/initializer.cpp.
CPP_STREAM_PINS = {
    "order": [42188, 8110, 11870, 55156, 5854, 43967],  # epoch_order(60000, 42, 1)[:6]
    "W1": [0.035607286, 0.0653478, -0.011979609, -0.0057691894],  # (0,0) (1,0) (0,1) last
    "W2": [-0.009676774],  # (0,0), drawn right after W1
}


def check_cpp_streams():
    order = epoch_order(60000, 42, 1)[:6]
    rng = MT19937_64(42)
    W1 = he_normal(rng, 256, 784)
    W2 = he_normal(rng, 128, 256)
    got_w1 = [W1[0, 0], W1[1, 0], W1[0, 1], W1[255, 783]]
    same = (order == CPP_STREAM_PINS["order"] and
            all(numpy.float32(a) == b for a, b in zip(CPP_STREAM_PINS["W1"], got_w1)) and
            numpy.float32(CPP_STREAM_PINS["W2"][0]) == W2[0, 0])
    if not same:
        raise ValueError("this script's copy of the C++ random streams does not give the "
                         "numbers the C++ tests pin; use --streams torch")


def read_idx(path, dims):
    """The array in an IDX file of unsigned bytes with `dims` dimensions (gzip or plain)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 + 4 * dims or data[:2] != b"\0\0" or data[2] != 0x08 or data[3] != dims:
        raise ValueError(f"{path}: not an IDX file of bytes with {dims} dimensions")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    count = 1
    for s in shape:
        count *= s
    body = data[4 + 4 * dims:]
    if len(body) != count:
        raise ValueError(f"{path}: header announces {count} bytes, file holds {len(body)}")
    return numpy.frombuffer(body, dtype=numpy.uint8).reshape(shape)


def load_split(folder, prefix):
    """(images as uint8 (n x 784), labels as int64 (n)) of 'train' or 't10k'."""
    def path(name):
        plain = os.path.join(folder, name)
        return plain if os.path.exists(plain) else plain + ".gz"
    images = read_idx(path(f"{prefix}-images-idx3-ubyte"), 3)
    labels = read_idx(path(f"{prefix}-labels-idx1-ubyte"), 1)
    if images.shape[0] != labels.shape[0] or labels.max() > 9:
        raise ValueError(f"{folder}: {prefix} images and labels do not match")
    return (torch.from_numpy(images.reshape(images.shape[0], -1).copy()),
            torch.from_numpy(labels.astype(numpy.int64)))


def batch_sizes(n):
    return [BATCH] * (n // BATCH) + ([n % BATCH] if n % BATCH else [])


def time_matrix_products(n_train, repeats=3):
    """Seconds for one epoch's matrix products alone (see the top of the file)."""
    g = torch.Generator().manual_seed(12345)
    W = [torch.randn(SIZES[l + 1], SIZES[l], generator=g) for l in range(3)]  # (out x in)

    def buffers(b):
        A = [torch.rand(SIZES[l], b, generator=g) for l in range(3)]       # inputs (in x b)
        dZ = [torch.randn(SIZES[l + 1], b, generator=g) for l in range(3)]  # (out x b)
        Z = [torch.empty(SIZES[l + 1], b) for l in range(3)]
        dW = [torch.empty(SIZES[l + 1], SIZES[l]) for l in range(3)]
        dX = [torch.empty(SIZES[l], b) for l in range(3)]
        return A, dZ, Z, dW, dX

    per_size = {b: buffers(b) for b in set(batch_sizes(n_train))}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for b in batch_sizes(n_train):
            A, dZ, Z, dW, dX = per_size[b]
            for l in range(3):                       # forward: Z = W X
                torch.mm(W[l], A[l], out=Z[l])
            for l in (2, 1, 0):                      # backward
                torch.mm(dZ[l], A[l].t(), out=dW[l])  # dW = dZ X^T
                if l > 0:
                    torch.mm(W[l].t(), dZ[l], out=dX[l])  # dX = W^T dZ
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    args = parse_args()
    n_threads = args.threads
    torch.set_num_threads(n_threads)
    torch.manual_seed(args.seed)
    if not args.keep_subnormals:
        torch.set_flush_denormal(True)  # what common/optimizer.hpp does (see the top)
    print(f"PyTorch {torch.__version__}: {torch.get_num_threads()} thread(s), "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"flush subnormals {'no' if args.keep_subnormals else 'yes'}, "
          f"random streams {args.streams}")

    print(f"Loading Fashion-MNIST from {args.data}")
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    n = train_x.shape[0]

    model = torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
        torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
        torch.nn.Linear(SIZES[2], SIZES[3]))
    cpp_rng = MT19937_64(args.seed) if args.streams == "cpp" else None
    if cpp_rng is not None:
        check_cpp_streams()
    for layer in model:
        if isinstance(layer, torch.nn.Linear):  # He normal, bias 0 (nn::Initializer::he)
            with torch.no_grad():
                if cpp_rng is not None:
                    layer.weight.copy_(torch.from_numpy(
                        he_normal(cpp_rng, layer.out_features, layer.in_features)))
                else:
                    torch.nn.init.kaiming_normal_(layer.weight, mode="fan_in",
                                                  nonlinearity="relu")
            torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()
    shuffle_rng = torch.Generator().manual_seed(args.seed)

    print(f"Training 784-256-128-10 for {args.epochs} epochs, batch {BATCH}, "
          f"lr {LEARNING_RATE}, momentum {MOMENTUM}")
    epoch_seconds = []
    for epoch in range(1, args.epochs + 1):
        if cpp_rng is not None:  # made before the clock starts: PyTorch does not pay for it
            order = torch.tensor(epoch_order(n, args.seed, epoch), dtype=torch.int64)
        start = time.perf_counter()
        if cpp_rng is None:
            order = torch.randperm(n, generator=shuffle_rng)
        loss_sum = torch.zeros(())
        for first in range(0, n, BATCH):
            idx = order[first:first + BATCH]
            X = train_x.index_select(0, idx).float().div_(255.0)  # (batch x 784)
            y = train_y.index_select(0, idx)
            loss = loss_fn(model(X), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * idx.numel()
        epoch_seconds.append(time.perf_counter() - start)
        print(f"epoch {epoch}/{args.epochs}  loss {loss_sum.item() / n:.4f}  "
              f"({epoch_seconds[-1]:.3f} s)", flush=True)

    with torch.no_grad():
        predicted = model(test_x.float().div_(255.0)).argmax(dim=1)
    test_acc = (predicted == test_y).double().mean().item()
    gemm_s = time_matrix_products(n)
    epoch_s = statistics.median(epoch_seconds[1:])
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    print(f"Test accuracy {100 * test_acc:.2f}%, {epoch_s:.3f} s per epoch, "
          f"matrix products alone {gemm_s:.3f} s")
    print(f"fmnist_mlp epoch_s={epoch_s:.4f} gemm_s={gemm_s:.4f} test_acc={test_acc:.4f} "
          f"peak_rss_mib={peak_rss_mib:.1f}")
    return 0


if __name__ == "__main__":
    # Thread settings must be in the environment before torch (and its OpenMP and OpenBLAS)
    # is loaded; an explicit setting by the caller wins.
    early_args = parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(early_args.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(early_args.blas_threads))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import numpy
        import torch
    except ImportError as error:
        sys.exit(f"fmnist_mlp.py: error: {error.name} is not installed. This script needs "
                 "Debian's python3-torch (apt-get install python3-torch) and runs with "
                 "/usr/bin/python3; the C++ benchmark does not need it.")
    try:
        sys.exit(main())
    except (OSError, ValueError) as error:
        sys.exit(f"fmnist_mlp.py: error: {error}")
