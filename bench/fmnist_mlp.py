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
import os
import resource
import statistics
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


# The C++ library's random streams (MT19937_64, epoch_order, he_normal, check_cpp_streams)
# and the IDX reader (load_split) are in fmnist_common.py, shared with fmnist_cnn.py, and
# imported in __main__ below, once the thread variables are set.


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
        import torch
        from fmnist_common import (MT19937_64, check_cpp_streams, epoch_order, he_normal,
                                   load_split)
    except ImportError as error:
        sys.exit(f"fmnist_mlp.py: error: {error.name} is not installed. This script needs "
                 "Debian's python3-torch (apt-get install python3-torch) and runs with "
                 "/usr/bin/python3; the C++ benchmark does not need it.")
    try:
        sys.exit(main())
    except (OSError, ValueError) as error:
        sys.exit(f"fmnist_mlp.py: error: {error}")
