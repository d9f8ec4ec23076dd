// FMNIST-MLP: the speed benchmark of the tutorial's network library
// ===========================================================================================
// What it measures, in one run: how long one training epoch of a real-size network takes
// with the code the chapters teach (common/: nn::Network, nn::Momentum, nn::gather_batch),
// how long it takes with the benchmark's fast path (bench/fast_path.hpp: fused loops,
// momentum's velocity in the gradient buffers, prefetching, huge pages), and the time of
// each one's matrix products alone (the part no library can avoid). bench/fmnist_mlp.py
// runs the same workload in PyTorch on the same machine.
//
// The workload (the project's design, its section "The real-data benchmark"):
// Fashion-MNIST, 60,000 training and 10,000 test images, pixels scaled to [0, 1], float32;
// an MLP 784-256-128-10 with ReLU, softmax + cross-entropy; mini-batch SGD with momentum
// 0.9, learning rate 0.05, batch 64, a new order every epoch (the shuffle and the batch
// gather are timed with the rest); 5 epochs. Both paths start from the same weights and
// see the same batches; their epochs alternate (teaching, fast, teaching, ...), so a drift
// in the machine's speed touches both alike.
//
// Run:   ./tutorial bench [--threads 1|2]     or   build/release/bench/fmnist_mlp [--help]
// Prints a line per epoch, then, last, one machine-readable line:
//   fmnist_mlp epoch_s=<fast path: median s/epoch after the first> gemm_s=<s>
//              test_acc=<0..1> peak_rss_mib=<MiB> teaching_epoch_s=<s> teaching_gemm_s=<s>
//              teaching_test_acc=<0..1>
// gemm_s is the time of exactly the matrix products one epoch performs (per batch: Z = W X
// for the 3 layers; dW = dZ X^T for the 3 layers, added onto dW on the fast path; dX =
// W^T dZ for layers 3 and 2), run alone on preallocated random matrices of the same
// shapes, in this same process. Writes no files. Not run by the tests (it takes seconds
// and its numbers are the machine's).
#include <sys/resource.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <armadillo>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "bench/fast_path.hpp"
#include "common/batches.hpp"
#include "common/divergence.hpp"
#include "common/idx.hpp"
#include "common/initializer.hpp"
#include "common/loss.hpp"
#include "common/metrics.hpp"
#include "common/network.hpp"
#include "common/optimizer.hpp"
#include "common/progress.hpp"
#include "common/reproducible.hpp"

namespace {

using Clock = std::chrono::steady_clock;

const std::vector<arma::uword> kSizes = {784, 256, 128, 10};
constexpr double kLearningRate = 0.05;
constexpr double kMomentum = 0.9;
constexpr arma::uword kBatch = 64;
constexpr arma::uword kEvalBatch = 1000;  // test images per forward pass (bounds memory)
constexpr int kGemmRepeats = 3;           // gemm_s is the median of this many epochs' worth

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds this process has used so far, all threads. On a busy machine wall time grows
// while CPU time does not: their ratio tells whether a measurement was disturbed.
double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// The sizes of one epoch's batches: 937 of 64 and a last one of 32 for 60,000 samples.
std::vector<arma::uword> batch_sizes(arma::uword n) {
  std::vector<arma::uword> sizes(n / kBatch, kBatch);
  if (n % kBatch != 0) sizes.push_back(n % kBatch);
  return sizes;
}

// The largest resident memory of this process so far, in MiB (Linux reports KiB).
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;
}

// ---------------------------------------------------------------------------------------
// 1. One training epoch, with the teaching library and with the fast path
// ---------------------------------------------------------------------------------------

struct EpochResult {
  double loss;         // mean training loss over the epoch's batches (weighted by size)
  double seconds;      // wall time: shuffle, gathers, forward, loss, backward, updates
  double cpu_seconds;  // CPU time of the process over the same span
};

// The five parts as chapter 09 writes them: nn::Network, nn::Momentum, nn::gather_batch.
struct TeachingPath {
  nn::Network<float>& net;
  const std::vector<nn::Parameter<float>>& params;
  nn::Momentum<float>& optimizer;
  const nn::Images& images;
  const arma::fmat& forward(const arma::fmat& X) { return net.forward(X); }
  void backward(const arma::fmat& dZ) { net.backward(dZ); }
  void update() { optimizer.step(params); }
  void gather(const arma::uvec& indices, arma::fmat& X) {
    nn::gather_batch(images, indices, X);
  }
};

// The same steps with bench/fast_path.hpp.
struct FastPath {
  nn::fast::Network<float>& net;
  const nn::Images& images;  // on huge pages (nn::fast::on_huge_pages)
  const arma::fmat& forward(const arma::fmat& X) { return net.forward(X); }
  void backward(const arma::fmat& dZ) { net.backward(dZ); }
  void update() { net.momentum_step(float(kLearningRate), float(kMomentum)); }
  void gather(const arma::uvec& indices, arma::fmat& X) {
    nn::fast::gather_batch(images, indices, X);
  }
};

template <typename Path>
EpochResult train_epoch(Path& path, const arma::uvec& labels, unsigned seed, arma::uword epoch,
                        nn::Progress& progress) {
  const Clock::time_point start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  const arma::uword n = labels.n_elem;
  const arma::uvec order = nn::epoch_order(n, seed, epoch);  // a new order every epoch
  arma::uvec indices, t;  // the batch's sample numbers and labels (batch)
  arma::fmat X, dZ;       // X (784 x batch) in [0, 1]; dZ = dL/dZ of the output (10 x batch)
  double loss_sum = 0.0;
  for (arma::uword first = 0; first < n; first += kBatch) {
    const arma::uword size = std::min(kBatch, n - first);
    if (indices.n_elem != size) {
      indices.set_size(size);
      t.set_size(size);
    }
    for (arma::uword j = 0; j < size; ++j) {
      indices(j) = order(first + j);
      t(j) = labels(indices(j));
    }
    path.gather(indices, X);                                  // bytes -> floats in [0, 1]
    const arma::fmat& Z = path.forward(X);                    // 2. forward  (10 x batch)
    const double loss = nn::softmax_cross_entropy(Z, t, dZ);  // 3. loss and dL/dZ
    path.backward(dZ);                                        // 4. backpropagation
    path.update();                                            // 5. update
    loss_sum += loss * double(size);
    progress.batch_done(long(size), loss);
  }
  return {loss_sum / double(n), seconds_since(start), process_cpu_seconds() - cpu_start};
}

// The fraction of the test images the network classifies correctly, kEvalBatch at a time:
// the row of the largest logit.
template <typename Net>
double test_accuracy(Net& net, const nn::ImageDataset& test) {
  arma::uvec predicted(test.size());
  arma::uvec indices;
  arma::fmat X;
  for (arma::uword first = 0; first < test.size(); first += kEvalBatch) {
    const arma::uword last = std::min(first + kEvalBatch, test.size()) - 1;
    indices = arma::regspace<arma::uvec>(first, last);
    nn::gather_batch(test.images, indices, X);
    predicted.subvec(first, last) = arma::index_max(net.forward(X), 0).t();
  }
  return nn::accuracy(predicted, test.labels);
}

// ---------------------------------------------------------------------------------------
// 2. The matrix products alone
// ---------------------------------------------------------------------------------------

// The buffers of one batch size: what each layer's products read and write.
struct ProductBuffers {
  std::vector<arma::fmat> X, dZ, Z, dW, dX;  // per layer l: X (in x b), dZ (out x b), ...
};

ProductBuffers product_buffers(arma::uword b) {
  ProductBuffers buf;
  for (std::size_t l = 0; l + 1 < kSizes.size(); ++l) {
    const arma::uword in = kSizes[l], out = kSizes[l + 1];
    buf.X.push_back(arma::randu<arma::fmat>(in, b));
    buf.dZ.push_back(arma::randn<arma::fmat>(out, b));
    buf.Z.emplace_back(out, b);
    buf.dW.emplace_back(out, in, arma::fill::zeros);  // accumulated into
    buf.dX.emplace_back(in, b);
  }
  return buf;
}

// Seconds for the products of one epoch, written as nn::Dense writes them (accumulate
// false: dW = dZ X^T) or as nn::fast::Network does (accumulate true: dW += dZ X^T), so
// Armadillo makes the same BLAS calls: the median of kGemmRepeats runs.
double time_matrix_products(arma::uword n_train, bool accumulate) {
  std::vector<arma::fmat> W;  // W (out x in) per layer
  for (std::size_t l = 0; l + 1 < kSizes.size(); ++l)
    W.push_back(arma::randn<arma::fmat>(kSizes[l + 1], kSizes[l]) * 0.05f);
  const std::vector<arma::uword> sizes = batch_sizes(n_train);
  ProductBuffers full = product_buffers(kBatch), last = product_buffers(sizes.back());
  const std::size_t n_layers = W.size();
  std::vector<double> times;
  for (int r = 0; r < kGemmRepeats; ++r) {
    const Clock::time_point start = Clock::now();
    for (const arma::uword b : sizes) {
      ProductBuffers& buf = b == kBatch ? full : last;
      for (std::size_t l = 0; l < n_layers; ++l) buf.Z[l] = W[l] * buf.X[l];  // forward
      for (std::size_t l = n_layers; l-- > 0;) {                              // backward
        if (accumulate)
          buf.dW[l] += buf.dZ[l] * buf.X[l].t();  // beta = 1
        else
          buf.dW[l] = buf.dZ[l] * buf.X[l].t();
        if (l > 0) buf.dX[l] = W[l].t() * buf.dZ[l];
      }
    }
    times.push_back(seconds_since(start));
  }
  return median(times);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// 3. The benchmark
// ---------------------------------------------------------------------------------------

int main(int argc, char** argv) {
  CLI::App app{
      "FMNIST-MLP: time the tutorial's network library on Fashion-MNIST "
      "(784-256-128-10, batch 64, momentum SGD)"};
  int threads = 1;
  arma::uword epochs = 5;
  unsigned seed = 42;
  std::string data_dir = nn::kFashionMnistDir;
  app.add_option("--threads", threads, "BLAS threads for the matrix products")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--epochs", epochs, "training epochs (the first one is not timed)")
      ->check(CLI::Range(2, 1000))
      ->capture_default_str();
  app.add_option("--seed", seed, "random seed (weights and batch order)")
      ->capture_default_str();
  app.add_option("--data", data_dir, "folder holding the Fashion-MNIST IDX files")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "fmnist_mlp: error: " << e.what() << " (see --help)\n";
    return 2;
  }

  try {
    nn::make_reproducible(seed);
    if (!nn::set_blas_threads(threads) && threads != 1)
      std::cout << "note: the BLAS in use is not OpenBLAS; --threads has no effect\n";

    std::cout << "Loading Fashion-MNIST from " << data_dir << "\n";
    const nn::ImageDataset train = nn::load_fashion_mnist(data_dir, nn::Split::train);
    const nn::ImageDataset test = nn::load_fashion_mnist(data_dir, nn::Split::test);

    std::mt19937_64 rng(seed);
    nn::Network<float> net(kSizes, nn::Activation::relu);  // logits out
    net.initialize(nn::Initializer::he(), rng);            // 1. initialise
    const std::vector<nn::Parameter<float>> params = net.parameters();
    nn::Momentum<float> optimizer(kLearningRate, kMomentum);
    TeachingPath teaching{net, params, optimizer, train.images};
    nn::fast::Network<float> fast_net(net);  // the same initial weights
    const nn::Images fast_images = nn::fast::on_huge_pages(train.images);
    FastPath fast{fast_net, fast_images};

    const std::vector<arma::uword> sizes = batch_sizes(train.size());
    std::cout << "Training 784-256-128-10 (" << net.n_parameters() << " parameters) on "
              << train.size() << " images for " << epochs << " epochs: batch " << kBatch
              << ", momentum SGD (lr " << kLearningRate << ", mu " << kMomentum << "), "
              << threads << " BLAS thread" << (threads == 1 ? "" : "s")
              << ", twice: the teaching library and the fast path, epochs alternating\n";
    nn::Progress progress(long(2 * epochs), long(sizes.size()));
    std::vector<double> teaching_seconds, fast_seconds;
    for (arma::uword epoch = 1; epoch <= epochs; ++epoch) {
      for (const bool is_fast : {false, true}) {
        const EpochResult r = is_fast
                                  ? train_epoch(fast, train.labels, seed, epoch, progress)
                                  : train_epoch(teaching, train.labels, seed, epoch, progress);
        nn::stop_if_diverged(r.loss, long(epoch), kLearningRate);
        (is_fast ? fast_seconds : teaching_seconds).push_back(r.seconds);
        char timing[96];
        std::snprintf(timing, sizeof timing, "%s, wall %.3f s, CPU %.3f s",
                      is_fast ? "fast path" : "teaching", r.seconds, r.cpu_seconds);
        progress.epoch_done(r.loss, timing);
      }
    }

    const double acc = test_accuracy(fast_net, test);
    const double teaching_acc = test_accuracy(net, test);
    const double gemm_s = time_matrix_products(train.size(), true);
    const double teaching_gemm_s = time_matrix_products(train.size(), false);
    const auto after_first = [](const std::vector<double>& v) {
      return median(std::vector<double>(v.begin() + 1, v.end()));
    };
    const double epoch_s = after_first(fast_seconds);
    const double teaching_epoch_s = after_first(teaching_seconds);
    std::printf(
        "\nResults (seconds per epoch: the median of epochs 2..%d)\n"
        "                         teaching   fast path\n"
        "  test accuracy          %6.2f%%    %6.2f%%\n"
        "  seconds per epoch      %7.3f    %7.3f\n"
        "  matrix products alone  %7.3f    %7.3f   (the same products, timed on their own)\n"
        "  epoch / products       %7.2f    %7.2f   (1.00: nothing else costs anything)\n"
        "  teaching / fast        %7.2f\n",
        int(epochs), 100.0 * teaching_acc, 100.0 * acc, teaching_epoch_s, epoch_s,
        teaching_gemm_s, gemm_s, teaching_epoch_s / teaching_gemm_s, epoch_s / gemm_s,
        teaching_epoch_s / epoch_s);
    std::printf(
        "fmnist_mlp epoch_s=%.4f gemm_s=%.4f test_acc=%.4f peak_rss_mib=%.1f "
        "teaching_epoch_s=%.4f teaching_gemm_s=%.4f teaching_test_acc=%.4f\n",
        epoch_s, gemm_s, acc, peak_rss_mib(), teaching_epoch_s, teaching_gemm_s, teaching_acc);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fmnist_mlp: error: " << e.what() << "\n";
    return 1;
  }
}
