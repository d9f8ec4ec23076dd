// Chapter 07: what makes training succeed
// ===========================================================================================
// What you learn: two choices decide whether a deep network trains at all, and how fast.
//   1. Where the weights start (the initialiser): zero, too small, too large, Xavier, He.
//      Each layer multiplies the spread of its input by about sqrt(n_in) * sd(W); unless
//      that factor is near 1, the activations (and with them the gradients) vanish or
//      explode as they pass through the layers.
//   2. How each step uses the gradient (the optimiser): plain SGD, momentum, Adam.
// A deep network (8 hidden layers of 64 units by default) on chapter 06's 3-arm spiral shows
// both: the spread of every layer's activations and gradients from each start, training from
// each start, and the three optimisers from the same start. A long narrow valley in two
// dimensions shows what each optimiser does with its gradient.
//
// Run:   ./tutorial 07        or   build/release/chapters/07_training [--help]
//        [--depth 8] [--width 64] [--epochs 40] [--batch-size 30] [--learning-rate 0.005]
//        [--momentum 0.9] [--adam-learning-rate 0.002] [--seed 42] [--out DIR]
// Draws (into build/release/output/07_training/, or --out DIR):
//   layer_stats.png      the spread (standard deviation) of each hidden layer's activations
//                        and weight gradients for four initialisers, tanh and ReLU networks
//   tanh_histograms.png  how the tanh activations of a few layers are distributed when the
//                        weights start too small, Xavier-sized and too large
//   init_training.png    the loss while training from each start
//   ravine.png           the three optimisers' paths down a long narrow valley, and their loss
//   optimizers.png       the loss while training with SGD, momentum and Adam
#include <armadillo>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/batches.hpp"
#include "common/cli.hpp"
#include "common/divergence.hpp"
#include "common/format.hpp"
#include "common/grid.hpp"
#include "common/initializer.hpp"
#include "common/loss.hpp"
#include "common/metrics.hpp"
#include "common/network.hpp"
#include "common/optimizer.hpp"
#include "common/parameter.hpp"
#include "common/plot.hpp"
#include "common/reproducible.hpp"
#include "common/toy_data.hpp"

namespace {

// The networks train in float, as the real-data chapter's do; statistics are summed in
// double.
using Real = float;
using Matrix = arma::Mat<Real>;  // one sample per column

// The chapter's settings (the command line can change each of them).
struct Settings {
  arma::uword depth = 8;         // hidden layers
  arma::uword width = 64;        // units per hidden layer
  long epochs = 40;              // passes over the data in each training run
  arma::uword batch_size = 30;   // samples per step: 10 steps per epoch
  double learning_rate = 0.005;  // SGD's and momentum's
  double momentum = 0.9;         // momentum's mu
  double adam_learning_rate = 0.002;
  unsigned seed = 42;  // the spiral's points, every start's weights and every run's batches
};

// ---------------------------------------------------------------------------------------
// The deep network, and the training loop every section uses
// ---------------------------------------------------------------------------------------

// Chapter 06's spiral: 3 arms of 100 points.
constexpr arma::uword kPerArm = 100, kArms = 3;
constexpr double kSpiralNoise = 0.2;

// The spiral as the networks take it, in float.
struct Spiral {
  Matrix X;      // (2 x 300): one point per column
  arma::uvec t;  // (300): its arm, the target, 0..2
};

// [listing network]
// 2 inputs, s.depth hidden layers of s.width units with activation g, and 3 outputs, the
// logits for softmax cross-entropy: 2-64-64-64-64-64-64-64-64-3 by default.
nn::Network<Real> deep_network(const Settings& s, nn::Activation g) {
  std::vector<arma::uword> sizes = {2};
  sizes.insert(sizes.end(), s.depth, s.width);
  sizes.push_back(kArms);
  return nn::Network<Real>(sizes, g);
}

// The same network with its weights drawn as init says, by a generator seeded with seed:
// the same seed and initialiser give the same starting weights (and every b starts at 0).
nn::Network<Real> started_network(const Settings& s, nn::Activation g,
                                  const nn::Initializer& init, unsigned seed) {
  nn::Network<Real> net = deep_network(s, g);
  std::mt19937_64 rng(seed);
  net.initialize(init, rng);
  return net;
}
// [end network]

// An initialiser as the chapter shows it: a label and one colour in every figure.
struct Start {
  std::string label;
  nn::Initializer init;
  int colour;
};

const Start kZeros = {"zeros", nn::Initializer::zeros(), 7};
const Start kTooSmall = {"normal(0.01), too small", nn::Initializer::normal(0.01), 0};
const Start kXavier = {"Xavier", nn::Initializer::xavier(), 2};
const Start kHe = {"He", nn::Initializer::he(), 1};
const Start kTooLarge = {"normal(1), too large", nn::Initializer::normal(1.0), 4};

// [listing train]
// Trains net for s.epochs epochs of mini-batches. losses gets the loss over the whole data
// set before training and after every epoch. The batches depend only on (seed, epoch), so
// every run with the same seed sees the same batches in the same order. A loss that is NaN,
// inf or 10 times the start stops training: nn::stop_if_diverged throws nn::Diverged.
void train(nn::Network<Real>& net, nn::Optimizer<Real>& optimizer, const Matrix& X,
           const arma::uvec& t, const Settings& s, unsigned seed, std::vector<double>& losses) {
  const std::vector<nn::Parameter<Real>> params = net.parameters();
  nn::MiniBatches<Real> batches(X, t, s.batch_size, seed);
  Matrix dZ;  // (3 x m)
  losses = {nn::softmax_cross_entropy(net.forward(X), t)};
  for (long epoch = 1; epoch <= s.epochs; ++epoch) {
    batches.shuffle(arma::uword(epoch));
    for (arma::uword k = 0; k < batches.count(); ++k) {
      batches.gather(k);
      nn::softmax_cross_entropy(net.forward(batches.X()), batches.t(), dZ);
      net.backward(dZ);
      optimizer.step(params);  // the one line in which SGD, momentum and Adam differ
    }
    const double loss = nn::softmax_cross_entropy(net.forward(X), t);
    nn::stop_if_diverged(loss, epoch, optimizer.learning_rate(), losses.front());
    losses.push_back(loss);
  }
}
// [end train]

// One training run, for the tables and the figures.
struct Run {
  std::string label;
  int colour;
  std::vector<double> losses;  // losses[e]: after e epochs
  long diverged_at = 0;        // the epoch whose loss was not finite (0: none)
  std::string became{};        // what that loss was: "NaN", "inf" or "10x start"
  double accuracy = 0.0;       // on the 300 points, after training
};

// A loss for the tables: 4 decimals, or 4 significant digits when it is large.
std::string loss_text(double v) { return v < 1000 ? nn::num(v, "%.4f") : nn::num(v, "%.3g"); }

// "40 epochs" (or "1 epoch"), as the sections' headings say it.
std::string epochs_text(const Settings& s) {
  return std::to_string(s.epochs) + (s.epochs == 1 ? " epoch" : " epochs");
}

// The mini-batch steps in one epoch over the 300 points (the last batch may be smaller).
std::string steps_per_epoch(const Settings& s) {
  return std::to_string((kPerArm * kArms + s.batch_size - 1) / s.batch_size);
}

// The epochs the loss tables of sections 3 and 5 show: 0, 1, 5, 10, 20 and the last.
std::vector<long> shown_epochs(const Settings& s) {
  std::vector<long> e = {0};
  for (long k : {1L, 5L, 10L, 20L})
    if (k < s.epochs) e.push_back(k);
  e.push_back(s.epochs);
  return e;
}

// The heading of a loss table: "   loss at epoch   0   1 ...   accuracy".
void print_loss_table_heading(const Settings& s) {
  std::cout << "   loss at epoch";
  std::printf("%*s", 14, "");
  for (long e : shown_epochs(s)) std::printf(" %9ld", e);
  std::cout << "   accuracy\n";
}

// One row of a loss table: the run's loss at each shown epoch, then its accuracy (or the
// epoch at which it diverged).
void print_run(const Run& r, const Settings& s) {
  std::printf("   %-26s", r.label.c_str());
  for (long e : shown_epochs(s))
    if (e < long(r.losses.size())) std::printf(" %9s", loss_text(r.losses[e]).c_str());
  if (r.diverged_at > 0)
    std::printf("  %s at epoch %ld: diverged\n", r.became.c_str(), r.diverged_at);
  else
    std::printf("   %5.1f%%\n", 100 * r.accuracy);
}

// The spiral, and what the sections do with it.
Spiral the_deep_network(const Settings& s) {
  const nn::Dataset data = nn::spiral(kPerArm, kArms, kSpiralNoise, s.seed);
  std::cout << "The problem: chapter 06's spiral, " << kArms << " arms of " << kPerArm
            << " points.\nThe network: 2 inputs, " << s.depth << " hidden layers of " << s.width
            << " units, " << kArms << " outputs (softmax cross-entropy), in float.\n\n";
  return {arma::conv_to<Matrix>::from(data.X), data.t};
}

// ---------------------------------------------------------------------------------------
// 1. Why the start matters: how widely each layer's activations and gradients are spread
// ---------------------------------------------------------------------------------------

// The standard deviation of all the entries of M, summed in double.
double standard_deviation(const Matrix& M) {
  const arma::vec v = arma::conv_to<arma::vec>::from(arma::vectorise(M));
  return arma::stddev(v);
}

struct LayerStats {
  arma::vec activation_sd;  // (depth) sd of the entries of A_l, hidden layers l = 1..depth
  arma::vec gradient_sd;    // (depth) sd of the entries of dW_l
  arma::vec saturated;      // (depth) the share of the entries of A_l with |a| > 0.99
};

// [listing statistics]
// One forward and one backward pass over the whole data set X (2 x 300) from the network's
// current weights. For every hidden layer l: how widely its outputs A_l (width x 300) and
// its weight gradients dW_l (width x n_in) are spread.
LayerStats layer_statistics(nn::Network<Real>& net, const Matrix& X, const arma::uvec& t) {
  Matrix dZ;                                         // (3 x 300) dL/d(logits)
  nn::softmax_cross_entropy(net.forward(X), t, dZ);  // forward, the loss and its gradient
  net.backward(dZ);                                  // fills every layer's dW
  const arma::uword depth = net.n_layers() - 1;      // the last layer is the output layer
  LayerStats s{arma::vec(depth), arma::vec(depth), arma::vec(depth)};
  for (arma::uword l = 0; l < depth; ++l) {
    const Matrix& A = net.layer(l).A();
    s.activation_sd(l) = standard_deviation(A);
    s.gradient_sd(l) = standard_deviation(net.layer(l).dW());
    s.saturated(l) = double(arma::accu(arma::abs(A) > Real(0.99))) / double(A.n_elem);
  }
  return s;
}
// [end statistics]

// The hidden layers the histograms show: the first, the last and two between.
std::vector<arma::uword> shown_layers(arma::uword depth) {
  std::vector<arma::uword> layers;
  for (double f : {0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0}) {
    const arma::uword l = 1 + arma::uword(std::lround(f * double(depth - 1)));
    if (layers.empty() || layers.back() != l) layers.push_back(l);
  }
  return layers;
}

constexpr int kBins = 40;  // over [-1, 1], each 0.05 wide

// The share (%) of the entries of A in each of kBins equal bins over [-1, 1].
arma::vec histogram_percent(const Matrix& A) {
  arma::vec counts(kBins, arma::fill::zeros);
  for (arma::uword k = 0; k < A.n_elem; ++k) {
    const int bin = int(std::floor((double(A(k)) + 1.0) / 2.0 * kBins));
    counts(arma::uword(std::clamp(bin, 0, kBins - 1))) += 1.0;
  }
  return 100.0 * counts / double(A.n_elem);
}

struct TanhHistograms {
  Start start;
  std::vector<arma::vec> percent;  // one per shown layer
  double largest = 0.0;            // the largest |a| in the layers shown
};

struct StartStats {
  Start start;
  LayerStats tanh, relu;
};

// What section 1 measures, for its table and its two figures.
struct InitStudy {
  std::vector<StartStats> stats;           // too small, Xavier, He, too large
  std::vector<arma::uword> hist_layers;    // the hidden layers the histograms show
  std::vector<TanhHistograms> histograms;  // too small, Xavier, too large (tanh network)
};

// One forward and backward pass over the spiral from each random start, in a tanh and a
// ReLU network: the table of each hidden layer's spread, and the tanh histograms.
InitStudy section1_spread_per_layer(const Spiral& data, const Settings& s) {
  std::cout << "1. Initialisation: one forward and backward pass over the " << data.X.n_cols
            << " points from each start;\n"
            << "   the standard deviation of each hidden layer's activations A_l and weight "
               "gradients dW_l\n";
  InitStudy study{{}, shown_layers(s.depth), {}};
  for (const Start& start : {kTooSmall, kXavier, kHe, kTooLarge}) {
    nn::Network<Real> tanh_net = started_network(s, nn::Activation::tanh, start.init, s.seed);
    nn::Network<Real> relu_net = started_network(s, nn::Activation::relu, start.init, s.seed);
    study.stats.push_back({start, layer_statistics(tanh_net, data.X, data.t),
                           layer_statistics(relu_net, data.X, data.t)});
    if (start.init.kind != nn::Initializer::Kind::he) {  // too small, Xavier, too large
      TanhHistograms h{start, {}};
      for (arma::uword l : study.hist_layers) {
        const Matrix& A = tanh_net.layer(l - 1).A();  // (width x 300)
        h.percent.push_back(histogram_percent(A));
        h.largest = std::max(h.largest, double(arma::abs(A).max()));
      }
      study.histograms.push_back(h);
    }
  }
  for (const bool tanh : {true, false}) {
    std::cout << "\n   " << (tanh ? "tanh" : "ReLU") << " network      ";
    for (const StartStats& st : study.stats)
      std::printf(" %12s", nn::to_string(st.start.init).c_str());
    std::cout << "\n";
    for (int what = 0; what < 2; ++what)
      for (arma::uword l = 0; l < s.depth; ++l) {
        std::printf("   %-9s layer %2u",
                    l > 0       ? ""
                    : what == 0 ? "sd(A_l)"
                                : "sd(dW_l)",
                    unsigned(l + 1));
        for (const StartStats& st : study.stats) {
          const LayerStats& ls = tanh ? st.tanh : st.relu;
          std::printf(" %12.3e", what == 0 ? ls.activation_sd(l) : ls.gradient_sd(l));
        }
        std::cout << "\n";
      }
    if (tanh) {
      std::printf("   saturated, |a| > 0.99, in layer %u:", unsigned(s.depth));
      for (const StartStats& st : study.stats)
        std::printf(" %s: %.0f%%", nn::to_string(st.start.init).c_str(),
                    100.0 * st.tanh.saturated(s.depth - 1));
      std::cout << "\n";
    }
  }
  return study;
}

// ---------------------------------------------------------------------------------------
// 2. Symmetry: starts in which the units of a layer are all the same
// ---------------------------------------------------------------------------------------

// [listing symmetry]
// Every weight of a layer starts at the same value, 1 / n_in, and every bias at 0: the
// units of a layer are copies of one another, and the signal keeps its size.
void constant_start(nn::Network<Real>& net) {
  for (std::size_t l = 0; l < net.n_layers(); ++l) {
    nn::Dense<Real>& layer = net.layer(l);
    layer.W.fill(Real(1.0 / double(layer.n_inputs())));
    layer.b.zeros();
  }
}

// The largest difference between two units of the same hidden layer: between unit i's
// weights and bias (row i of W, entry i of b) and unit 1's, over every unit of every hidden
// layer. 0 means that in every layer the units are still exact copies of one another.
double largest_unit_difference(const nn::Network<Real>& net) {
  double largest = 0.0;
  for (std::size_t l = 0; l + 1 < net.n_layers(); ++l) {
    const nn::Dense<Real>& layer = net.layer(l);
    for (arma::uword i = 1; i < layer.W.n_rows; ++i) {
      for (arma::uword j = 0; j < layer.W.n_cols; ++j)
        largest = std::max(largest, double(std::abs(layer.W(i, j) - layer.W(0, j))));
      largest = std::max(largest, double(std::abs(layer.b(i) - layer.b(0))));
    }
  }
  return largest;
}
// [end symmetry]

// The largest change of any hidden weight or bias between two copies of a network.
double largest_change(const nn::Network<Real>& before, const nn::Network<Real>& after) {
  double largest = 0.0;
  for (std::size_t l = 0; l + 1 < before.n_layers(); ++l) {
    const Matrix dW = arma::abs(after.layer(l).W - before.layer(l).W);
    const arma::Col<Real> db = arma::abs(after.layer(l).b - before.layer(l).b);
    largest = std::max({largest, double(dW.max()), double(db.max())});
  }
  return largest;
}

// The zero start and the constant start, each trained with momentum. Returns the largest
// difference between two units of a layer after training from the constant start (0: the
// units are still copies of one another).
double section2_symmetry(const Spiral& data, const Settings& s) {
  std::cout << "\n2. Symmetry: starts in which the units of each layer are identical\n";
  nn::Network<Real> zero_net =
      started_network(s, nn::Activation::relu, nn::Initializer::zeros(), s.seed);
  const LayerStats zero_stats = layer_statistics(zero_net, data.X, data.t);
  std::cout << "   zeros, at the start: the largest sd of any hidden A_l is "
            << nn::num(zero_stats.activation_sd.max()) << ", of any hidden dW_l "
            << nn::num(zero_stats.gradient_sd.max()) << "\n";
  {
    const nn::Network<Real> before = zero_net;
    nn::Momentum<Real> optimizer(s.learning_rate, s.momentum);
    std::vector<double> losses;
    train(zero_net, optimizer, data.X, data.t, s, s.seed, losses);
    std::cout << "   zeros, after " << epochs_text(s) << " of momentum (section 3's): the "
              << "hidden weights and biases\n     moved by at most "
              << nn::num(largest_change(before, zero_net)) << "; loss "
              << loss_text(losses.back()) << " (ln 3 = 1.0986)\n";
  }
  nn::Network<Real> net = deep_network(s, nn::Activation::relu);
  constant_start(net);
  const nn::Network<Real> before = net;
  nn::Momentum<Real> optimizer(s.learning_rate, s.momentum);
  std::vector<double> losses;
  train(net, optimizer, data.X, data.t, s, s.seed, losses);
  const double difference = largest_unit_difference(net);
  std::cout << "   every weight 1/n_in, after " << epochs_text(s)
            << " of momentum: the weights moved by up to "
            << nn::num(largest_change(before, net))
            << ",\n     yet the largest difference between two units of a layer is "
            << nn::num(difference) << ";\n     loss " << loss_text(losses.back())
            << ", accuracy " << nn::percent(nn::accuracy(net.predict(data.X), data.t)) << "\n";
  return difference;
}

// ---------------------------------------------------------------------------------------
// 3. Training from each start
// ---------------------------------------------------------------------------------------

// The ReLU network trained with momentum from each of the five starts, the same batches
// for all. A start that makes training diverge is one of the results, not an error.
std::vector<Run> section3_train_from_each_start(const Spiral& data, const Settings& s) {
  std::cout << "\n3. Training the ReLU network from each start with momentum (learning rate "
            << nn::num(s.learning_rate) << ", mu " << nn::num(s.momentum) << "),\n   "
            << epochs_text(s) << " of " << steps_per_epoch(s) << " batches of " << s.batch_size
            << "\n\n";
  print_loss_table_heading(s);
  std::vector<Run> runs;
  for (const Start& start : {kZeros, kTooSmall, kXavier, kHe, kTooLarge}) {
    nn::Network<Real> net = started_network(s, nn::Activation::relu, start.init, s.seed);
    nn::Momentum<Real> optimizer(s.learning_rate, s.momentum);
    Run run{start.label, start.colour, {}};
    try {
      train(net, optimizer, data.X, data.t, s, s.seed, run.losses);
      run.accuracy = nn::accuracy(net.predict(data.X), data.t);
    } catch (const nn::Diverged& e) {
      run.diverged_at = long(run.losses.size());
      const std::string why = e.what();
      run.became = why.find("NaN") != std::string::npos        ? "NaN"
                   : why.find("infinite") != std::string::npos ? "inf"
                                                               : "10x start";
    }
    print_run(run, s);
    runs.push_back(run);
  }
  return runs;
}

// ---------------------------------------------------------------------------------------
// 4. The optimisers' update rules, on a long narrow valley
// ---------------------------------------------------------------------------------------

// [listing ravine]
// L(w) = (alpha w1^2 + gamma w2^2) / 2 with alpha = 0.01 and gamma = 1: a valley 10 times
// longer (along w1) than wide (across, along w2), lowest at w = (0, 0). Its gradient
// (alpha w1, gamma w2) is 100 times steeper across the valley than along it.
constexpr double kRavineAlpha = 0.01, kRavineGamma = 1.0;

double ravine_loss(double w1, double w2) {
  return 0.5 * (kRavineAlpha * w1 * w1 + kRavineGamma * w2 * w2);
}

// The points an optimiser visits in `steps` steps from `start`. It updates w through the
// same Parameter list a network hands it: here one 2 x 1 matrix w and its gradient dw.
arma::mat ravine_path(nn::Optimizer<double>& optimizer, const arma::vec& start, int steps) {
  arma::mat w = start;  // (2 x 1)
  arma::mat dw(2, 1);   // dL/dw
  const std::vector<nn::Parameter<double>> params = {{"w", &w, &dw, false}};
  arma::mat path(2, steps + 1);  // one column per point visited
  path.col(0) = w;
  for (int k = 1; k <= steps; ++k) {
    dw(0) = kRavineAlpha * w(0);
    dw(1) = kRavineGamma * w(1);
    optimizer.step(params);
    path.col(k) = w;
  }
  return path;
}
// [end ravine]

constexpr int kRavineSteps = 100;
// SGD and momentum share one learning rate (SGD's across-valley zigzag would grow above
// 2 / c = 2); Adam's steps are about its learning rate long in each direction.
constexpr double kRavineRate = 0.5, kRavineAdamRate = 0.2;
const arma::vec kRavineStart = {-10.0, 1.5};

struct RavinePath {
  std::string label;
  int colour;
  arma::mat path;  // (2 x steps+1)
};

// The colours of the optimisers, in optimizers.png and ravine.png. Momentum's is He's: the
// momentum run of section 6 is the He run of section 4 again.
constexpr int kSgdColour = 3, kMomentumColour = 1, kAdamColour = 5;

// Each optimiser's path down the valley from the same start, and where it ends.
std::vector<RavinePath> section4_ravine(const Settings& s) {
  std::cout << "\n4. A long narrow valley, L(w) = (0.01 w1^2 + w2^2) / 2, from w = ("
            << nn::num(kRavineStart(0)) << ", " << nn::num(kRavineStart(1))
            << "): " << kRavineSteps << " steps\n";
  nn::Sgd<double> sgd(kRavineRate);
  nn::Momentum<double> momentum(kRavineRate, s.momentum);
  nn::Adam<double> adam(kRavineAdamRate);
  const std::vector<RavinePath> paths = {
      {"SGD, rate " + nn::num(kRavineRate), kSgdColour,
       ravine_path(sgd, kRavineStart, kRavineSteps)},
      {"momentum, rate " + nn::num(kRavineRate) + ", mu " + nn::num(s.momentum),
       kMomentumColour, ravine_path(momentum, kRavineStart, kRavineSteps)},
      {"Adam, rate " + nn::num(kRavineAdamRate), kAdamColour,
       ravine_path(adam, kRavineStart, kRavineSteps)}};
  for (const RavinePath& p : paths) {
    const double w1 = p.path(0, kRavineSteps), w2 = p.path(1, kRavineSteps);
    std::printf("   %-28s ends at w = (%8.4f, %7.4f), L = %.3g\n", p.label.c_str(), w1, w2,
                ravine_loss(w1, w2));
  }
  return paths;
}

// ---------------------------------------------------------------------------------------
// 5. The optimisers on the spiral
// ---------------------------------------------------------------------------------------

// SGD, momentum and Adam, each training the ReLU network from the same He start with the
// same batches. Here a blow-up ends the chapter (exit code 1, no figures).
std::vector<Run> section5_optimisers(const Spiral& data, const Settings& s) {
  std::cout << "\n5. The optimisers, each training the ReLU network from the same He start "
               "with the same\n   batches: SGD and momentum (mu "
            << nn::num(s.momentum) << ") with learning rate " << nn::num(s.learning_rate)
            << ", Adam with " << nn::num(s.adam_learning_rate) << "\n\n";
  print_loss_table_heading(s);
  std::vector<std::unique_ptr<nn::Optimizer<Real>>> optimizers;
  optimizers.push_back(std::make_unique<nn::Sgd<Real>>(s.learning_rate));
  optimizers.push_back(std::make_unique<nn::Momentum<Real>>(s.learning_rate, s.momentum));
  optimizers.push_back(std::make_unique<nn::Adam<Real>>(s.adam_learning_rate));
  const int colours[3] = {kSgdColour, kMomentumColour, kAdamColour};
  std::vector<Run> runs;
  for (std::size_t k = 0; k < optimizers.size(); ++k) {
    nn::Optimizer<Real>& optimizer = *optimizers[k];
    nn::Network<Real> net = started_network(s, nn::Activation::relu, kHe.init, s.seed);
    Run run{optimizer.name(), colours[k], {}};
    try {
      train(net, optimizer, data.X, data.t, s, s.seed, run.losses);
    } catch (const nn::Diverged& e) {
      // Name the optimiser, and Adam's own flag.
      std::string why = e.what();
      const std::string flag = "--learning-rate";
      const std::size_t at = why.rfind(flag);
      if (optimizer.name() == "Adam" && at != std::string::npos)
        why.replace(at, flag.size(), "--adam-learning-rate");
      throw nn::Diverged(optimizer.name() + ": " + why);
    }
    run.accuracy = nn::accuracy(net.predict(data.X), data.t);
    print_run(run, s);
    runs.push_back(run);
  }
  return runs;
}

// ---------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------

// The short summary at the end: one line per section.
void print_results(const InitStudy& init, double symmetric_difference,
                   const std::vector<Run>& starts, const std::vector<Run>& optimisers,
                   const Settings& s) {
  const auto last = [&](const StartStats& st, bool tanh) {
    return nn::num((tanh ? st.tanh : st.relu).activation_sd(s.depth - 1), "%.2g");
  };
  std::cout << "\nResults (seed " << s.seed << ")\n"
            << "  sd of the last hidden layer's activations (tanh / ReLU):\n   ";
  for (const StartStats& st : init.stats)
    std::cout << " " << nn::to_string(st.start.init) << " " << last(st, true) << " / "
              << last(st, false) << (&st == &init.stats.back() ? "\n" : ",");
  std::cout << "  symmetric starts: the largest difference between two units of a layer "
               "after training is "
            << nn::num(symmetric_difference) << "\n"
            << "  loss after " << epochs_text(s) << " from each start:\n   ";
  for (const Run& r : starts)
    std::cout << " " << r.label.substr(0, r.label.find(',')) << " "
              << (r.diverged_at ? "diverged" : loss_text(r.losses.back()))
              << (&r == &starts.back() ? "\n" : ",");
  std::cout << "  loss after " << epochs_text(s) << " by optimiser:";
  for (const Run& r : optimisers)
    std::cout << " " << r.label << " " << loss_text(r.losses.back())
              << (&r == &optimisers.back() ? "\n\n" : ",");
}

// ---------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------

void draw_layer_stats(const std::vector<StartStats>& stats, arma::uword depth,
                      const std::string& out) {
  nn::Figure fig("layer_stats", 1300, 1050);
  fig.layout(2, 2,
             "The spread of each hidden layer at the start (one forward and backward pass "
             "over the 300 points)");
  const arma::vec layers = arma::regspace(1.0, double(depth));
  for (int row = 0; row < 2; ++row)
    for (int col = 0; col < 2; ++col) {
      nn::Plot& p = fig.panel(std::size_t(2 * row + col));
      p.title(std::string(col == 0 ? "tanh" : "ReLU") +
              " network: " + (row == 0 ? "activations A_l" : "weight gradients dW_l"))
          .xlabel("hidden layer l")
          .ylabel(row == 0 ? "standard deviation of A_l (log scale)"
                           : "standard deviation of dW_l (log scale)")
          .logscale_y()
          .xrange(0.8, double(depth) + 0.2);
      // One legend for the four panels, in the top left one, where no line passes.
      if (row == 0 && col == 0)
        p.key("at graph 0.98, graph 0.8 right top");
      else
        p.command("unset key");
      p.command("set format y '10^{%L}'");
      p.command("set xtics 1");
      for (const StartStats& s : stats) {
        const LayerStats& ls = col == 0 ? s.tanh : s.relu;
        const arma::vec& sd = row == 0 ? ls.activation_sd : ls.gradient_sd;
        p.line(s.start.label, layers, sd,
               {.colour = s.start.colour, .width = 2.5, .in_key = row == 0 && col == 0});
        p.points(s.start.label + " (markers)", layers, sd,
                 {.colour = s.start.colour, .point_size = 1.1, .in_key = false});
      }
    }
  fig.save(out);
}

void draw_tanh_histograms(const std::vector<TanhHistograms>& hists,
                          const std::vector<arma::uword>& layers, const std::string& out) {
  nn::Figure fig("tanh_histograms", 1500, 560);
  fig.layout(1, int(hists.size()),
             "How the tanh network's activations are distributed at the start, layer by layer");
  const arma::vec centres = arma::linspace(-1.0 + 1.0 / kBins, 1.0 - 1.0 / kBins, kBins);
  const int colours[4] = {0, 2, 4, 7};  // first layer blue ... last layer black
  for (std::size_t k = 0; k < hists.size(); ++k) {
    nn::Plot& p = fig.panel(k);
    p.title(hists[k].start.label)
        .xlabel("activation a = tanh(z)")
        .ylabel("share of the layer's activations (%)")
        .xrange(-1, 1)
        .key(k + 1 == hists.size() ? "top center" : "top left");
    for (std::size_t j = 0; j < layers.size(); ++j)
      p.line("layer " + std::to_string(layers[j]), centres, hists[k].percent[j],
             {.colour = colours[j], .width = 2.0});
    if (hists[k].largest < 0.05) {  // every layer's activations in the two middle bins
      p.label(0.12, 30, "the four lines coincide:", "left", 11);
      p.label(0.12, 26, "every |a| < " + nn::num(hists[k].largest, "%.2g"), "left", 11);
    }
  }
  fig.save(out);
}

void draw_init_training(const std::vector<Run>& runs, const std::string& xlabel,
                        const std::string& out) {
  nn::Figure fig("init_training", 1000, 600);
  fig.title("Training the ReLU network from each start: the same momentum, the same batches")
      .xlabel(xlabel)
      .ylabel("loss over the 300 points (log scale)")
      .logscale_y()
      .yrange(0.005, 30)
      .key("top right");
  for (const Run& r : runs) {
    const arma::vec epoch = arma::regspace(0.0, double(r.losses.size()) - 1.0);
    const std::string label = r.diverged_at > 0 ? r.label + ": " + r.became + " at epoch " +
                                                      std::to_string(r.diverged_at)
                                                : r.label;
    // zeros is drawn wider, under normal(0.01): the two lines lie on top of each other.
    fig.line(label, epoch, arma::vec(r.losses),
             {.colour = r.colour, .width = r.colour == kZeros.colour ? 6.0 : 2.5});
    if (r.diverged_at > 0)  // its start, high above the chart
      fig.label(0.5, 0.008,
                r.label.substr(0, r.label.find(',')) + " starts at loss " +
                    nn::num(r.losses[0], "%.2g") + " (off the chart), then " + r.became,
                "left", 11);
  }
  const double middle = (double(runs.front().losses.size()) - 1.0) / 2.0;
  fig.label(middle, 1.35, "ln 3 = 1.0986: no better than guessing", "center", 11);
  fig.save(out);
}

void draw_ravine(const std::vector<RavinePath>& paths, const std::string& out) {
  const double x0 = -11, x1 = 3, y0 = -2.2, y1 = 2.2;
  const nn::Grid grid(x0, x1, y0, y1, 101);
  arma::mat V(grid.ys.n_elem, grid.xs.n_elem);
  for (arma::uword i = 0; i < grid.ys.n_elem; ++i)
    for (arma::uword j = 0; j < grid.xs.n_elem; ++j)
      V(i, j) = ravine_loss(grid.xs(j), grid.ys(i));
  nn::Figure fig("ravine", 1200, 1000);
  fig.layout(2, 1,
             "A long narrow valley, L(w) = (0.01 w_1^2 + w_2^2) / 2: " +
                 std::to_string(kRavineSteps) + " steps of each optimiser from the same start");
  nn::Plot& top = fig.panel(0);
  top.title("the paths (one dot per step) over the contours of L")
      .xlabel("w_1 (along the valley)")
      .ylabel("w_2 (across it)")
      .xrange(x0, x1)
      .yrange(y0, y1)
      .key("outside right");
  top.contour("contours of L", grid.xs, grid.ys, V, {0.02, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0},
              {.colour = 7, .width = 0.6});
  nn::Plot& bottom = fig.panel(1);
  bottom.title("the loss at each step")
      .xlabel("step t")
      .ylabel("L(w) (log scale)")
      .logscale_y()
      .xrange(0, kRavineSteps)
      .key("outside right")
      .command("set format y '10^{%L}'");
  const arma::vec steps = arma::regspace(0.0, double(kRavineSteps));
  for (const RavinePath& p : paths) {
    const arma::vec w1 = p.path.row(0).t(), w2 = p.path.row(1).t();
    top.line(p.label, w1, w2, {.colour = p.colour, .width = 2.0});
    top.points(p.label + " steps", w1, w2,
               {.colour = p.colour, .point_size = 0.6, .in_key = false});
    arma::vec L(w1.n_elem);
    for (arma::uword k = 0; k < L.n_elem; ++k) L(k) = ravine_loss(w1(k), w2(k));
    bottom.line(p.label, steps, L, {.colour = p.colour, .width = 2.0});
  }
  top.points("start", {kRavineStart(0)}, {kRavineStart(1)},
             {.colour = 7, .point_size = 2.0, .point_type = 5});
  top.points("minimum", {0.0}, {0.0}, {.colour = 7, .point_size = 2.5, .point_type = 3});
  fig.save(out);
}

void draw_optimizers(const std::vector<Run>& runs, const std::string& xlabel,
                     const std::string& out) {
  nn::Figure fig("optimizers", 1000, 600);
  fig.title("Training the ReLU network from the same He start, with the same batches")
      .xlabel(xlabel)
      .ylabel("loss over the 300 points (log scale)")
      .logscale_y()
      .yrange(0.005, 10)
      .key("top right");
  for (const Run& r : runs) {
    const arma::vec epoch = arma::regspace(0.0, double(r.losses.size()) - 1.0);
    fig.line(r.label, epoch, arma::vec(r.losses), {.colour = r.colour, .width = 2.5});
  }
  const double ln3 = std::log(3.0), end = double(runs.front().losses.size()) - 1.0;
  fig.line("ln 3: guessing", {0.0, end}, {ln3, ln3},
           {.colour = 7, .width = 1.5, .dashed = true});
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------------------

// The chapter's own flags, each with its range (a bad value: one error line, exit code 2).
void add_flags(CLI::App& app, Settings& s) {
  app.add_option("--depth", s.depth, "Hidden layers in the deep network")
      ->check(CLI::Range(arma::uword{2}, arma::uword{12}))
      ->capture_default_str();
  app.add_option("--width", s.width, "Units per hidden layer")
      ->check(CLI::Range(arma::uword{8}, arma::uword{256}))
      ->capture_default_str();
  app.add_option("--epochs", s.epochs, "Passes over the data in each training run")
      ->check(CLI::Range(1L, 1000L))
      ->capture_default_str();
  app.add_option("--batch-size", s.batch_size, "Samples per step (300: the whole data set)")
      ->check(CLI::Range(arma::uword{1}, arma::uword{300}))
      ->capture_default_str();
  app.add_option("--learning-rate", s.learning_rate, "SGD's and momentum's learning rate")
      ->check(nn::FinitePositive)
      ->capture_default_str();
  app.add_option("--momentum", s.momentum, "Momentum's mu, from 0 (plain SGD) to 0.99")
      ->check(nn::FiniteNonNegative)  // CLI::Range alone would let nan through
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  app.add_option("--adam-learning-rate", s.adam_learning_rate, "Adam's learning rate")
      ->check(nn::FinitePositive)
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli("07_training",
                      "Chapter 07: initialisation and optimisers, what makes training succeed");
  Settings s;
  add_flags(cli.app(), s);
  if (auto code = cli.parse(argc, argv)) return *code;
  nn::make_reproducible(cli.seed());
  s.seed = cli.seed();

  try {
    std::cout << "Chapter 07: what makes training succeed\n"
              << "=======================================\n\n";
    const Spiral data = the_deep_network(s);
    const InitStudy init = section1_spread_per_layer(data, s);
    const double symmetric_difference = section2_symmetry(data, s);
    const std::vector<Run> starts = section3_train_from_each_start(data, s);
    const std::vector<RavinePath> paths = section4_ravine(s);
    const std::vector<Run> optimisers = section5_optimisers(data, s);
    print_results(init, symmetric_difference, starts, optimisers, s);

    // Figures, only now that every section has succeeded.
    const std::string epoch_label = "epoch (" + steps_per_epoch(s) + " mini-batch steps each)";
    draw_layer_stats(init.stats, s.depth, cli.out_dir());
    draw_tanh_histograms(init.histograms, init.hist_layers, cli.out_dir());
    draw_init_training(starts, epoch_label, cli.out_dir());
    draw_ravine(paths, cli.out_dir());
    draw_optimizers(optimisers, epoch_label, cli.out_dir());
    std::cout << "Figures: layer_stats, tanh_histograms, init_training, ravine, optimizers "
                 "(.png, .csv) in "
              << cli.out_dir() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "07_training: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
