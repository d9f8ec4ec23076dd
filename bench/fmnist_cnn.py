#!/usr/bin/python3
"""FMNIST-CNN in PyTorch: the reference point for bench/fmnist_cnn.cpp (bench/README.md,
section "FMNIST-CNN").

The same workload as the C++ benchmark, step for step:
  Fashion-MNIST from the IDX gz files of Debian's dataset-fashion-mnist (fmnist_common.py,
  no torchvision, no download), pixels kept as bytes and converted one batch at a time to
  float32 in [0, 1], inside the timed loop;
  Conv2d 1->16 3x3 padding 1, ReLU, MaxPool 2, Conv2d 16->32 3x3 padding 1, ReLU, MaxPool 2,
  Dropout 0.25, Linear 1568->128, ReLU, Dropout 0.25, Linear 128->10 (logits),
  cross-entropy (mean over the batch); 206,922 parameters;
  He-normal weights (N(0, 2 / fan_in)), biases 0; Adam, learning rate 2e-3;
  batch 64 (937 of 64, a last one of 32), a new order every epoch; 2 epochs.

Same start, same batches (--streams cpp, the default): the weights are the C++ program's,
drawn by fmnist_common.py's copy of its random streams in the order nn::Network draws them
(conv1, conv2, one number per dropout layer for its mask generator, dense1, dense2), and
converted to PyTorch's layout:
  - a filter: the library stores W (F x k k C) with entry (di k + dj) C + c (image_shape.hpp:
    height, width, channels); Conv2d's weight is (F, C, k, k), so
    weight = W.reshape(F, k, k, C).transpose(0, 3, 1, 2);
  - the first Linear layer: the library flattens the 7x7x32 output of the second pooling
    as (row 7 + col) 32 + channel, PyTorch's Flatten of (N, 32, 7, 7) as
    channel 49 + row 7 + col. Rather than permute every batch, the weight's columns are
    permuted once: weight = W.reshape(128, 7, 7, 32).transpose(0, 3, 1, 2).reshape(128, 1568).
The batches are nn::epoch_order's. The dropout masks cannot be the same: the C++ layers
draw theirs from std::mt19937_64 (108,544 numbers a batch), and reproducing that stream
here would cost more than the training; PyTorch draws its own. --dropout 0 removes both
dropout layers on both sides, and then the two programs compute the same function from
the same start. Before training, both print the loss of the initial network on the first
1,000 test images; it agrees to about 6 digits when the weights were converted right.

The last line printed is machine-readable, in the C++ program's format:
  fmnist_cnn epoch_s=<median s/epoch of epochs 2..N> first_epoch_s=<s>
             cpu_epoch_s=<median CPU s of epochs 2..N> cpu_per_wall=<CPU s / wall s>
             test_acc=<0..1> init_loss=<loss> peak_rss_mib=<MiB> threads=<N>

Threads, OMP_WAIT_POLICY and subnormals are handled as in fmnist_mlp.py (see its top):
--threads N sets torch.set_num_threads(N) and OMP_NUM_THREADS and OPENBLAS_NUM_THREADS
before torch is imported; --blas-threads M gives OpenBLAS M threads instead. Debian's torch
runs these convolutions in oneDNN (MKL-DNN), not in OpenBLAS.

--profile trains one more epoch under torch.profiler and prints where its time went.

Run:  /usr/bin/python3 bench/fmnist_cnn.py [--threads 1] [--epochs 2] [--dropout 0.25]
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
LEARNING_RATE = 2e-3
BATCH = 64
EVAL_BATCH = 1000


def parse_args():
    parser = argparse.ArgumentParser(
        description="FMNIST-CNN speed benchmark in PyTorch (the peer of bench/fmnist_cnn.cpp)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for torch and OpenBLAS (default 1)")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="OpenBLAS threads, when they should differ from --threads")
    parser.add_argument("--epochs", type=int, default=2,
                        help="training epochs (default 2, >= 2)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--dropout", type=float, default=0.25,
                        help="drop probability of both dropout layers (0: none; default 0.25)")
    parser.add_argument("--streams", choices=["cpp", "torch"], default="cpp",
                        help="initial weights and batch orders: the C++ benchmark's own "
                             "(cpp, the default) or PyTorch's generators (torch)")
    parser.add_argument("--profile", action="store_true",
                        help="train one more epoch under torch.profiler, print its table")
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
        parser.error("--epochs must be at least 2 (the first epoch is reported apart)")
    if not 0.0 <= args.dropout < 0.95:
        parser.error("--dropout must be in [0, 0.95)")
    return args


def make_cnn(dropout):
    """Chapter 12's CNN; without the dropout layers when dropout == 0 (as the C++ side)."""
    nn = torch.nn
    layers = [nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 28x28x16 -> 14x14
              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 14x14x32 -> 7x7
              nn.Flatten()]                                                 # 1568
    layers += [nn.Dropout(dropout)] if dropout > 0 else []
    layers += [nn.Linear(1568, 128), nn.ReLU()]
    layers += [nn.Dropout(dropout)] if dropout > 0 else []
    layers += [nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def initialize_from_cpp(model, seed):
    """The C++ program's initial weights (see the top of the file), biases 0."""
    rng = MT19937_64(seed)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, torch.nn.Conv2d):
                F, C, k, _ = layer.weight.shape
                W = he_normal(rng, F, k * k * C)  # (F x k k C), entry (di k + dj) C + c
                layer.weight.copy_(torch.from_numpy(
                    W.reshape(F, k, k, C).transpose(0, 3, 1, 2).copy()))
            elif isinstance(layer, torch.nn.Dropout):
                rng()  # nn::Dropout::initialize seeds its mask generator with one draw
            elif isinstance(layer, torch.nn.Linear):
                W = he_normal(rng, layer.out_features, layer.in_features)
                if layer.in_features == 1568:  # HWC columns -> CHW columns
                    W = W.reshape(128, 7, 7, 32).transpose(0, 3, 1, 2).reshape(128, 1568)
                layer.weight.copy_(torch.from_numpy(W.copy()))
            if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear)):
                torch.nn.init.zeros_(layer.bias)


def initialize_from_torch(model):
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear)):
                torch.nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
                torch.nn.init.zeros_(layer.bias)


def as_images(pixels):
    """uint8 (m x 784) -> float32 (m, 1, 28, 28) in [0, 1]: one channel, so the library's
    height-width-channel order and PyTorch's channel-height-width order are the same."""
    return pixels.float().div_(255.0).view(-1, 1, 28, 28)


def evaluate(model, x, y, first_n=None):
    """(mean loss, accuracy) in evaluation mode, EVAL_BATCH images at a time."""
    n = x.shape[0] if first_n is None else first_n
    loss_sum, right = 0.0, 0
    model.eval()
    with torch.no_grad():
        for first in range(0, n, EVAL_BATCH):
            Z = model(as_images(x[first:first + EVAL_BATCH]))
            t = y[first:first + EVAL_BATCH]
            loss_sum += torch.nn.functional.cross_entropy(Z, t, reduction="sum").item()
            right += (Z.argmax(dim=1) == t).sum().item()
    model.train()
    return loss_sum / n, right / n


def train_epoch(model, optimizer, train_x, train_y, order):
    """One epoch over the batches of `order`: (mean loss, wall s, CPU s)."""
    loss_fn = torch.nn.CrossEntropyLoss()
    n = train_x.shape[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    loss_sum = torch.zeros(())
    for first in range(0, n, BATCH):
        idx = order[first:first + BATCH]
        X = as_images(train_x.index_select(0, idx))  # (m, 1, 28, 28)
        t = train_y.index_select(0, idx)
        loss = loss_fn(model(X), t)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * idx.numel()
    return (loss_sum.item() / n, time.perf_counter() - start, time.process_time() - cpu_start)


def profile_epoch(model, optimizer, train_x, train_y, order):
    """One more epoch under torch.profiler; prints the operators that took the most time.
    The profiler's times are wall times (a busy machine inflates them) and it adds its own
    cost to every operator: read the shares, on a quiet machine."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    with torch.profiler.profile(activities=activities) as prof:
        loss, wall, cpu = train_epoch(model, optimizer, train_x, train_y, order)
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    print(f"\nWhere the time goes: one more epoch under torch.profiler (wall {wall:.3f} s, "
          f"CPU {cpu:.3f} s, with the profiler's own cost)")
    print(f"  {'operator (self time: without the operators it calls)':58s} {'s':>7s} "
          f"{'share':>6s} {'calls':>7s}")
    for e in events[:16]:
        print(f"  {e.key[:58]:58s} {e.self_cpu_time_total / 1e6:7.3f} "
              f"{100 * e.self_cpu_time_total / total:5.1f}% {e.count:7d}")


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)  # PyTorch's dropout masks (and --streams torch)
    if not args.keep_subnormals:
        torch.set_flush_denormal(True)  # what common/optimizer.hpp does
    print(f"PyTorch {torch.__version__}: {torch.get_num_threads()} thread(s), "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}, "
          f"flush subnormals {'no' if args.keep_subnormals else 'yes'}, "
          f"random streams {args.streams}")

    print(f"Loading Fashion-MNIST from {args.data}")
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    n = train_x.shape[0]

    model = make_cnn(args.dropout)
    if args.streams == "cpp":
        check_cpp_streams()
        initialize_from_cpp(model, args.seed)
    else:
        initialize_from_torch(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    shuffle_rng = torch.Generator().manual_seed(args.seed)

    def order_of(epoch):  # made before the clock starts: PyTorch does not pay for it
        if args.streams == "cpp":
            return torch.tensor(epoch_order(n, args.seed, epoch), dtype=torch.int64)
        return torch.randperm(n, generator=shuffle_rng)

    init_loss = evaluate(model, test_x, test_y, first_n=EVAL_BATCH)[0]
    print(f"Initial loss on test images 0-999 (evaluation mode): {init_loss:.6f}")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"Training the CNN ({n_params} parameters, dropout {args.dropout:g}) on {n} images "
          f"for {args.epochs} epochs: batch {BATCH}, Adam (lr {LEARNING_RATE:g})", flush=True)
    walls, cpus = [], []
    for epoch in range(1, args.epochs + 1):
        loss, wall, cpu = train_epoch(model, optimizer, train_x, train_y, order_of(epoch))
        walls.append(wall)
        cpus.append(cpu)
        print(f"epoch {epoch}/{args.epochs}  loss {loss:.4f}  "
              f"wall {wall:.3f} s, CPU {cpu:.3f} s", flush=True)

    test_loss, test_acc = evaluate(model, test_x, test_y)
    epoch_s = statistics.median(walls[1:])
    cpu_epoch_s = statistics.median(cpus[1:])
    cpu_per_wall = sum(cpus) / sum(walls)
    print(f"\nResults\n"
          f"  test accuracy after {args.epochs} epochs   {100 * test_acc:6.2f}%   "
          f"(loss {test_loss:.4f})\n"
          f"  seconds per epoch              {epoch_s:7.3f}   (epoch 1: {walls[0]:.3f}; the "
          f"median of epochs 2..{args.epochs})\n"
          f"  CPU seconds per epoch          {cpu_epoch_s:7.3f}   (the same epochs; "
          f"all threads)\n"
          f"  CPU time / wall time           {cpu_per_wall:7.2f}   (over the epochs)")

    if args.profile:  # after the results: it trains on
        profile_epoch(model, optimizer, train_x, train_y, order_of(args.epochs + 1))

    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    print(f"fmnist_cnn epoch_s={epoch_s:.4f} first_epoch_s={walls[0]:.4f} "
          f"cpu_epoch_s={cpu_epoch_s:.4f} cpu_per_wall={cpu_per_wall:.3f} "
          f"test_acc={test_acc:.4f} init_loss={init_loss:.6f} peak_rss_mib={peak_rss_mib:.1f} "
          f"threads={args.threads}")
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
        sys.exit(f"fmnist_cnn.py: error: {error.name} is not installed. This script needs "
                 "Debian's python3-torch (apt-get install python3-torch) and runs with "
                 "/usr/bin/python3; the C++ benchmark does not need it.")
    try:
        sys.exit(main())
    except (OSError, ValueError) as error:
        sys.exit(f"fmnist_cnn.py: error: {error}")
