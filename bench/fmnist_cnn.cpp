// FMNIST-CNN: how long an epoch of a small convolutional network takes with the tutorial's
// library, next to PyTorch (bench/fmnist_cnn.py; bench/README.md, section "FMNIST-CNN")
// ===========================================================================================
// The network is chapter 12's recipe, built from common/ alone (nn::Network with
// nn::Convolution, nn::MaxPool, nn::Dropout and nn::Dense; network.hpp shows how):
//
//   X (784 x m): 28x28x1 images, pixels / 255, float32, one image per column (HWC order)
//   Convolution 3x3, 16 filters, padding 1, ReLU    -> 28x28x16   (12,544 x m)
//   MaxPool 2                                       -> 14x14x16   ( 3,136 x m)
//   Convolution 3x3, 32 filters, padding 1, ReLU    -> 14x14x32   ( 6,272 x m)
//   MaxPool 2                                       ->  7x7x32    ( 1,568 x m)
//   Dropout 0.25 -> Dense 1568 -> 128, ReLU -> Dropout 0.25 -> Dense 128 -> 10 (logits)
//   softmax cross-entropy; 206,922 parameters
//
// He-normal weights (nn::Initializer::he()), biases 0; Adam, learning rate 2e-3
// (nn::Adam); batch 64, a new order every epoch (nn::MiniBatches, nn::epoch_order: the
// 937 batches of 64 and the last one of 32 that chapter 09's loop visits). The shuffle and
// the conversion of each batch's bytes to floats are timed with the rest, as in
// fmnist_mlp.cpp. One BLAS thread by default, as the chapters run (nn::make_reproducible).
//
// --dropout P sets both dropout probabilities; --dropout 0 leaves the two layers out. The
// PyTorch script starts from exactly these weights and visits exactly these batches, but
// cannot draw the same dropout masks (they come from std::mt19937_64, one draw per unit
// and sample, 108,544 per batch); with --dropout 0 the two programs compute the same
// function step for step, up to rounding.
//
// Before training, both programs print the loss of the initial network on the first
// 1,000 test images: the same number to about 6 digits when the weights were copied and
// converted right (bench/fmnist_cnn.py turns the filters and the first Dense layer's
// columns from this layout into PyTorch's NCHW one).
//
// --profile trains one more epoch layer by layer with a clock around each step (the same
// calls as nn::Network::forward and backward), and times the convolutions' pieces (im2col,
// the products, col2im) on their own, for an epoch's worth of batches of the same shapes.
//
// Run:   build/release/bench/fmnist_cnn [--threads 1|2] [--epochs 2] [--profile] [--help]
//        bash bench/cnn.sh     (builds, runs this and the PyTorch script, prints a table)
// Prints a line per epoch, then, last, one machine-readable line:
//   fmnist_cnn epoch_s=<median s/epoch of epochs 2..N> first_epoch_s=<s>
//              cpu_epoch_s=<median CPU s of epochs 2..N, all threads>
//              cpu_per_wall=<CPU s / wall s over all epochs> test_acc=<0..1>
//              init_loss=<loss> peak_rss_mib=<MiB> threads=<BLAS threads>
// On a busy machine a one-thread run's wall time grows and its CPU time much less: then
// cpu_per_wall is well below 1 and cpu_epoch_s is the better measure of the work.
// Writes no files. No test runs it (an epoch takes about 12 seconds).
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
#include <type_traits>
#include <variant>
#include <vector>

#include "common/batches.hpp"
#include "common/convolution.hpp"
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

constexpr double kLearningRate = 2e-3;
constexpr arma::uword kBatch = 64;
constexpr arma::uword kEvalBatch = 1000;  // test images per forward pass (bounds memory)
constexpr arma::uword kKernel = 3, kPadding = 1;

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

// The largest resident memory of this process so far, in MiB (Linux reports KiB).
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;
}

// ---------------------------------------------------------------------------------------
// 1. The network
// ---------------------------------------------------------------------------------------

// Chapter 12's CNN (see the top of the file), without the dropout layers when
// dropout == 0. initialize() then draws, in this order: conv1's W, conv2's W, one number
// to seed the first dropout layer's masks, the first Dense W, one number for the second
// dropout layer, the last Dense W (fmnist_cnn.py draws the same).
nn::Network<float> make_cnn(double dropout) {
  nn::Network<float> net;
  const nn::ImageShape image{1, 28, 28};  // 784 pixels
  nn::Convolution<float> conv1(image, 16, kKernel, kPadding, nn::Activation::relu);
  net.add(conv1);                                     // 28x28x16
  nn::MaxPool<float> pool1(conv1.output_shape(), 2);  // 14x14x16
  net.add(pool1);
  nn::Convolution<float> conv2(pool1.output_shape(), 32, kKernel, kPadding,
                               nn::Activation::relu);
  net.add(conv2);                                     // 14x14x32
  nn::MaxPool<float> pool2(conv2.output_shape(), 2);  // 7x7x32
  net.add(pool2);
  const arma::uword flat = pool2.output_shape().size();  // 1568
  if (dropout > 0) net.add(nn::Dropout<float>(flat, dropout));
  net.add(nn::Dense<float>(flat, 128, nn::Activation::relu));
  if (dropout > 0) net.add(nn::Dropout<float>(128, dropout));
  net.add(nn::Dense<float>(128, 10, nn::Activation::identity));  // logits
  return net;
}

// The mean loss and the accuracy of the network on a data set, kEvalBatch images at a time
// (evaluation mode: dropout passes everything through). first_n > 0 looks at the first
// first_n images only (rounded up to a whole kEvalBatch).
struct Evaluation {
  double loss, accuracy;
};

Evaluation evaluate(nn::Network<float>& net, const nn::ImageDataset& data,
                    arma::uword first_n = 0) {
  const arma::uword n = first_n > 0 ? std::min(first_n, data.size()) : data.size();
  nn::MiniBatches<float, unsigned char> chunks(data.images.pixels, data.labels, kEvalBatch, 0);
  arma::fmat dZ;
  double loss_sum = 0.0;
  arma::uword right = 0, seen = 0;
  for (arma::uword k = 0; seen < n; ++k) {
    chunks.gather(k);  // images k * 1000 onwards, in file order
    const arma::fmat& Z = net.forward(chunks.X(), nn::Mode::evaluation);  // (10 x 1000)
    loss_sum += nn::softmax_cross_entropy(Z, chunks.t(), dZ) * double(chunks.t().n_elem);
    right += arma::accu(arma::index_max(Z, 0).t() == chunks.t());
    seen += chunks.t().n_elem;
  }
  return {loss_sum / double(seen), double(right) / double(seen)};
}

// ---------------------------------------------------------------------------------------
// 2. One training epoch: the five parts, as chapter 09 writes them
// ---------------------------------------------------------------------------------------

struct EpochResult {
  double loss;         // mean training loss over the epoch's batches (weighted by size)
  double seconds;      // wall time: shuffle, gathers, forward, loss, backward, updates
  double cpu_seconds;  // CPU time of the process over the same span
};

EpochResult train_epoch(nn::Network<float>& net,
                        const std::vector<nn::Parameter<float>>& params,
                        nn::Adam<float>& optimizer,
                        nn::MiniBatches<float, unsigned char>& batches, arma::uword epoch,
                        nn::Progress& progress) {
  const Clock::time_point start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  arma::fmat dZ;  // dL/dZ of the logits (10 x m)
  double loss_sum = 0.0;
  batches.shuffle(epoch);  // nn::epoch_order(N, seed, epoch)
  for (arma::uword k = 0; k < batches.count(); ++k) {
    batches.gather(k);                                                  // X (784 x m) in [0, 1]
    const arma::fmat& Z = net.forward(batches.X());                     // 2. forward (10 x m)
    const double loss = nn::softmax_cross_entropy(Z, batches.t(), dZ);  // 3. loss and dL/dZ
    net.backward(dZ);                                                   // 4. backpropagation
    optimizer.step(params);                                             // 5. update
    loss_sum += loss * double(batches.t().n_elem);
    progress.batch_done(long(batches.t().n_elem), loss);
  }
  return {loss_sum / double(batches.n_samples()), seconds_since(start),
          process_cpu_seconds() - cpu_start};
}

// ---------------------------------------------------------------------------------------
// 3. Where the time goes (--profile)
// ---------------------------------------------------------------------------------------

// Seconds per epoch of each step, and of each layer's forward and backward.
struct Profile {
  double gather = 0, loss = 0, update = 0;
  std::vector<double> forward, backward;  // per layer, in the network's order
};

// A layer's name for the table: "conv 28x28x1 -> 28x28x16", "dense 1568 -> 128", ...
std::string layer_name(const nn::Layer<float>& layer) {
  struct Namer {
    std::string operator()(const nn::Convolution<float>& x) const {
      return "conv " + nn::to_string(x.input_shape()) + " -> " +
             nn::to_string(x.output_shape());
    }
    std::string operator()(const nn::MaxPool<float>& x) const {
      return "max pool " + nn::to_string(x.input_shape()) + " -> " +
             nn::to_string(x.output_shape());
    }
    std::string operator()(const nn::Dropout<float>& x) const {
      return "dropout " + std::to_string(x.n_inputs());
    }
    std::string operator()(const nn::Dense<float>& x) const {
      return "dense " + std::to_string(x.n_inputs()) + " -> " + std::to_string(x.n_outputs());
    }
    std::string operator()(const nn::BatchNorm<float>& x) const {
      return "batch norm " + std::to_string(x.n_inputs());
    }
  };
  return std::visit(Namer{}, layer);
}

// One training epoch that makes the calls nn::Network::forward and backward make, one
// layer at a time, with a clock around each (a clock read costs tens of nanoseconds, a
// layer's step tens of microseconds and more).
EpochResult profiled_epoch(nn::Network<float>& net,
                           const std::vector<nn::Parameter<float>>& params,
                           nn::Adam<float>& optimizer,
                           nn::MiniBatches<float, unsigned char>& batches, arma::uword epoch,
                           Profile& profile) {
  std::vector<nn::Layer<float>>& layers = net.all_layers();
  const std::size_t L = layers.size();
  profile.forward.assign(L, 0.0);
  profile.backward.assign(L, 0.0);
  const Clock::time_point start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  arma::fmat dZ;
  double loss_sum = 0.0;
  Clock::time_point t = Clock::now();
  const auto lap = [&t](double& into) {  // adds the time since the last lap onto `into`
    const Clock::time_point now = Clock::now();
    into += std::chrono::duration<double>(now - t).count();
    t = now;
  };
  batches.shuffle(epoch);
  lap(profile.gather);
  for (arma::uword k = 0; k < batches.count(); ++k) {
    batches.gather(k);
    lap(profile.gather);
    const arma::fmat* A = &batches.X();  // Network::forward: each layer's A feeds the next
    for (std::size_t l = 0; l < L; ++l) {
      A = &std::visit(
          [&](auto& layer) -> const arma::fmat& {
            // Dropout and batch norm take a mode, as in Network::forward.
            using Kind = std::decay_t<decltype(layer)>;
            if constexpr (std::is_same_v<Kind, nn::Dropout<float>> ||
                          std::is_same_v<Kind, nn::BatchNorm<float>>)
              return layer.forward(*A, nn::Mode::training);
            else
              return layer.forward(*A);
          },
          layers[l]);
      lap(profile.forward[l]);
    }
    const double loss = nn::softmax_cross_entropy(*A, batches.t(), dZ);
    lap(profile.loss);
    const arma::fmat* dA = &dZ;  // Network::backward: no dX for the first layer
    for (std::size_t l = L - 1; l > 0; --l) {
      dA = &std::visit([&](auto& layer) -> const arma::fmat& { return layer.backward(*dA); },
                       layers[l]);
      lap(profile.backward[l]);
    }
    std::visit([&](auto& layer) { layer.compute_gradients(*dA); }, layers[0]);
    lap(profile.backward[0]);
    optimizer.step(params);
    lap(profile.update);
    loss_sum += loss * double(batches.t().n_elem);
  }
  return {loss_sum / double(batches.n_samples()), seconds_since(start),
          process_cpu_seconds() - cpu_start};
}

// The pieces of one convolution layer's forward and backward, each timed on its own for an
// epoch's worth of batches (937 of 64, one of 32) on random data of the layer's shapes:
// im2col, Z = W cols, dW = dZ cols^T, and (when with_dX: every layer but the first)
// dcols = W^T dZ and col2im.
struct ConvPieces {
  double im2col = 0, forward_product = 0, dW_product = 0, dcols_product = 0, col2im = 0;
};

ConvPieces time_conv_pieces(const nn::Convolution<float>& conv, arma::uword n_train,
                            bool with_dX) {
  const nn::ImageShape in = conv.input_shape(), out = conv.output_shape();
  const arma::uword F = conv.n_filters(), k = conv.kernel_size(), p = conv.padding();
  const arma::fmat W = arma::randn<arma::fmat>(F, k * k * in.channels);
  ConvPieces pieces;
  arma::fmat X, cols, Z, dZ, dW, dcols, dX;
  for (arma::uword first = 0; first < n_train; first += kBatch) {
    const arma::uword m = std::min(kBatch, n_train - first);
    if (X.n_cols != m) {  // new shapes: new random data, untimed
      X = arma::randu<arma::fmat>(in.size(), m);
      dZ = arma::randn<arma::fmat>(F, out.height * out.width * m);
    }
    Clock::time_point t = Clock::now();
    nn::im2col(X, in, k, p, cols);  // (k k C x H'W' m)
    pieces.im2col += seconds_since(t);
    t = Clock::now();
    Z = W * cols;  // (F x H'W' m)
    pieces.forward_product += seconds_since(t);
    t = Clock::now();
    dW = dZ * cols.t();  // (F x k k C)
    pieces.dW_product += seconds_since(t);
    if (!with_dX) continue;
    t = Clock::now();
    dcols = W.t() * dZ;  // (k k C x H'W' m)
    pieces.dcols_product += seconds_since(t);
    t = Clock::now();
    nn::col2im(dcols, in, k, p, m, dX);  // (C H W x m)
    pieces.col2im += seconds_since(t);
  }
  return pieces;
}

void print_profile(const nn::Network<float>& net, const Profile& profile, const EpochResult& r,
                   arma::uword n_train) {
  const std::vector<nn::Layer<float>>& layers = net.all_layers();
  std::printf(
      "\nWhere the time goes: one more epoch, layer by layer (wall %.3f s, CPU %.3f s)\n",
      r.seconds, r.cpu_seconds);
  std::printf("  %-34s %9s %9s\n", "step", "forward", "backward");
  std::printf("  %-34s %8.3fs\n", "shuffle + gather (bytes -> floats)", profile.gather);
  for (std::size_t l = 0; l < layers.size(); ++l)
    std::printf("  %-34s %8.3fs %8.3fs%s\n", layer_name(layers[l]).c_str(), profile.forward[l],
                profile.backward[l], l == 0 ? "  (no dX: nothing before it)" : "");
  std::printf("  %-34s %8.3fs\n", "softmax cross-entropy", profile.loss);
  std::printf("  %-34s %8.3fs\n", "Adam update", profile.update);

  std::printf("\nThe convolutions' pieces, each alone for an epoch's batches (s per epoch):\n");
  std::printf("  %-26s %8s %10s %10s %10s %8s\n", "layer", "im2col", "W cols", "dZ cols^T",
              "W^T dZ", "col2im");
  bool first = true;
  for (const nn::Layer<float>& layer : layers) {
    const nn::Convolution<float>* conv = std::get_if<nn::Convolution<float>>(&layer);
    if (conv == nullptr) continue;
    const ConvPieces c = time_conv_pieces(*conv, n_train, !first);
    if (first)
      std::printf("  %-26s %8.3f %10.3f %10.3f %10s %8s\n", layer_name(layer).c_str(), c.im2col,
                  c.forward_product, c.dW_product, "-", "-");
    else
      std::printf("  %-26s %8.3f %10.3f %10.3f %10.3f %8.3f\n", layer_name(layer).c_str(),
                  c.im2col, c.forward_product, c.dW_product, c.dcols_product, c.col2im);
    first = false;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// 4. The benchmark
// ---------------------------------------------------------------------------------------

int main(int argc, char** argv) {
  CLI::App app{
      "FMNIST-CNN: time the tutorial's library training chapter 12's CNN on Fashion-MNIST "
      "(conv 16, pool, conv 32, pool, dense 128, dense 10; batch 64, Adam)"};
  int threads = 1;
  arma::uword epochs = 2;
  unsigned seed = 42;
  double dropout = 0.25;
  bool profile = false;
  std::string data_dir = nn::kFashionMnistDir;
  app.add_option("--threads", threads, "BLAS threads for the matrix products")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--epochs", epochs, "training epochs (the first one is reported apart)")
      ->check(CLI::Range(2, 1000))
      ->capture_default_str();
  app.add_option("--seed", seed, "random seed (weights, batch order, dropout masks)")
      ->capture_default_str();
  app.add_option("--dropout", dropout, "drop probability of both dropout layers (0: none)")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str();
  app.add_flag("--profile", profile,
               "train one more epoch layer by layer and time each step and the "
               "convolutions' pieces");
  app.add_option("--data", data_dir, "folder holding the Fashion-MNIST IDX files")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "fmnist_cnn: error: " << e.what() << " (see --help)\n";
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
    nn::Network<float> net = make_cnn(dropout);
    net.initialize(nn::Initializer::he(), rng);  // 1. initialise
    const std::vector<nn::Parameter<float>> params = net.parameters();
    nn::Adam<float> optimizer(kLearningRate);
    nn::MiniBatches<float, unsigned char> batches(train.images.pixels, train.labels, kBatch,
                                                  seed);

    const double init_loss = evaluate(net, test, kEvalBatch).loss;
    std::printf("Initial loss on test images 0-999 (evaluation mode): %.6f\n", init_loss);
    std::cout << "Training the CNN (" << net.n_parameters() << " parameters, dropout "
              << dropout << ") on " << train.size() << " images for " << epochs
              << " epochs: batch " << kBatch << ", Adam (lr " << kLearningRate << "), "
              << threads << " BLAS thread" << (threads == 1 ? "" : "s") << "\n";

    nn::Progress progress(long(epochs), long(batches.count()));
    std::vector<double> seconds, cpu_seconds;  // wall and CPU time of each epoch
    double wall_sum = 0.0, cpu_sum = 0.0;
    for (arma::uword epoch = 1; epoch <= epochs; ++epoch) {
      const EpochResult r = train_epoch(net, params, optimizer, batches, epoch, progress);
      nn::stop_if_diverged(r.loss, long(epoch), kLearningRate);
      seconds.push_back(r.seconds);
      cpu_seconds.push_back(r.cpu_seconds);
      wall_sum += r.seconds;
      cpu_sum += r.cpu_seconds;
      char timing[64];
      std::snprintf(timing, sizeof timing, "wall %.3f s, CPU %.3f s", r.seconds, r.cpu_seconds);
      progress.epoch_done(r.loss, timing);
    }
    const Evaluation result = evaluate(net, test);
    const double epoch_s = median(std::vector<double>(seconds.begin() + 1, seconds.end()));
    const double cpu_epoch_s =
        median(std::vector<double>(cpu_seconds.begin() + 1, cpu_seconds.end()));
    std::printf(
        "\nResults\n"
        "  test accuracy after %d epochs   %6.2f%%   (loss %.4f)\n"
        "  seconds per epoch              %7.3f   (epoch 1: %.3f; the median of epochs "
        "2..%d)\n"
        "  CPU seconds per epoch          %7.3f   (the same epochs; all threads)\n"
        "  CPU time / wall time           %7.2f   (over the epochs; %d BLAS thread%s)\n",
        int(epochs), 100.0 * result.accuracy, result.loss, epoch_s, seconds.front(),
        int(epochs), cpu_epoch_s, cpu_sum / wall_sum, threads, threads == 1 ? "" : "s");

    if (profile) {  // after the results: it trains on, and would change the accuracy
      Profile p;
      const EpochResult r = profiled_epoch(net, params, optimizer, batches, epochs + 1, p);
      print_profile(net, p, r, train.size());
    }

    std::printf(
        "fmnist_cnn epoch_s=%.4f first_epoch_s=%.4f cpu_epoch_s=%.4f cpu_per_wall=%.3f "
        "test_acc=%.4f init_loss=%.6f peak_rss_mib=%.1f threads=%d\n",
        epoch_s, seconds.front(), cpu_epoch_s, cpu_sum / wall_sum, result.accuracy, init_loss,
        peak_rss_mib(), threads);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fmnist_cnn: error: " << e.what() << "\n";
    return 1;
  }
}
