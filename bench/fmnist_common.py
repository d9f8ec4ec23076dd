"""What bench/fmnist_mlp.py and bench/fmnist_cnn.py share: the C++ library's random streams
reproduced in Python, and a reader of Fashion-MNIST's IDX files.

Import it only after the thread variables (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS) are set:
it imports numpy and torch, which start their thread pools when they are loaded.
"""

import gzip
import math
import os
import struct

import numpy
import torch

# --- The C++ library's random streams, reproduced ------------------------------------------
# With --streams cpp (their default) the PyTorch scripts start from the very weights the C++
# benchmarks start from and visit the very same batches, so the two programs compute the
# same thing and their results differ only by float rounding (and, in the CNN, by the
# dropout masks): a test accuracy compared between them is not decided by two different
# random draws. These functions copy what common/batches.hpp and common/initializer.hpp do
# (with Debian's libstdc++), and check_cpp_streams() checks the copy against numbers the
# C++ tests pin (tests/batches.cpp, tests/initializer.cpp).

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
