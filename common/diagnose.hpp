// diagnose.hpp: checks that say why training fails.
//
// A network that does not learn rarely says why: the loss sits at ln K, or turns NaN, or
// falls and then means nothing. Each check here measures one thing, compares it with what a
// healthy network gives, and returns a Finding: a verdict, the number measured and ONE line
// saying what it found and, when it fails, the likely cause and the chapter that explains it.
//
// The checklist, in the order to run it (cheap before expensive; each assumes the ones above
// it passed, so the first failure is the one to fix):
//
//   Before training, on the network as initialised (no parameter changes):
//   1. check_initial_loss         the loss is about ln K                        (chapter 06)
//   2. check_gradients            backward agrees with finite differences, layer by layer,
//                                 in double, on a few samples                   (chapter 05)
//   3. check_spread               each layer's activations and weight gradients keep a
//                                 useful spread: none vanish, explode or saturate (07)
//   4. check_dead_units           ReLU units that output 0 for every sample     (chapter 07)
//   Short trial runs, on a copy of the network:
//   5. check_overfit_small_batch  20 samples learnt by heart: backward, optimiser and data
//                                 path work together                            (chapter 06)
//   6. learning_rate_range_test   the loss against a rising learning rate; suggests a rate
//   During and after training, from the numbers a training loop records:
//   7. check_loss_history         no NaN, no growth past divergence.hpp's limit  (03, 07)
//   8. check_generalisation       validation against training: detached labels,
//                                 overfitting                                   (chapter 08)
//   A loss function of one's own, checked on its own (before it trains anything):
//   9. check_loss_gradient        its dZ agrees with finite differences of it    (chapter 06)
//      check_loss_shift           logits + 1000 give the same loss: no overflow  (chapter 06)
//
// The thresholds are named constants, each with the measurement that justifies it. Checks
// 2 and 5 work on a few distinct samples that pick_samples draws (seeded). diagnose() runs
// 1-6 and report_lines() turns findings into lines to print:
//
//   nn::Sgd<double> sgd(0.5);
//   for (const std::string& line : nn::report_lines(nn::diagnose(net, sgd, X, t)))
//     std::cout << line << "\n";
//
// Every check is for a classifier trained with softmax_cross_entropy (loss.hpp): the last
// layer's K >= 2 outputs are logits, X is (features x N), one sample per column, and t (N)
// holds the labels 0..K-1. The matrix products are the network's own (Network::forward
// and backward), so a check gives the same numbers wherever the network does.
//
// The network is a template parameter Net: nn::Network<Real>, or any type with the members
// the checks use (typename Net::Matrix, forward, backward, parameters, n_layers, layer(l)
// returning an nn::Dense<Real>), copyable into a network that trains on its own. The tests
// wrap a network that way to break its backward pass on purpose.
#pragma once

#include <algorithm>
#include <armadillo>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "common/activation.hpp"
#include "common/batches.hpp"
#include "common/dense.hpp"
#include "common/divergence.hpp"
#include "common/format.hpp"
#include "common/gradient_check.hpp"
#include "common/loss.hpp"
#include "common/metrics.hpp"
#include "common/network.hpp"
#include "common/optimizer.hpp"
#include "common/parameter.hpp"

namespace nn {

// What a check found. value is the number the verdict rests on (each check says which).
struct Finding {
  bool ok;           // true: nothing wrong found
  double value;      // the number measured
  std::string line;  // what was measured, what was expected, and the likely cause
};

namespace detail {

template <typename Net>
using RealOf = typename Net::Matrix::elem_type;

// K, the network's outputs: the classes softmax spreads its probability over.
template <typename Net>
arma::uword classes_of(const Net& net) {
  const arma::uword K = net.layer(net.n_layers() - 1).n_outputs();
  if (K < 2)
    throw std::invalid_argument("diagnose: the checks need a softmax output of K >= 2 classes");
  return K;
}

inline std::string g3(double v) { return num(v, "%.3g"); }  // 3 significant digits
// A loss to 3 significant digits, trailing zeros kept: 1.10, 0.0980, 81.7.
inline std::string loss3(double v) { return num(v, "%#.3g"); }

// The standard deviation of all the entries of M, summed in double (0 for fewer than 2).
template <typename Real>
double sd_of(const arma::Mat<Real>& M) {
  if (M.n_elem < 2) return 0.0;
  return arma::stddev(arma::conv_to<arma::vec>::from(arma::vectorise(M)));
}

// The share of the samples (columns of Z, logits) whose largest logit is their label.
template <typename Real>
double accuracy_of(const arma::Mat<Real>& Z, const arma::uvec& t) {
  const arma::uvec predicted = arma::index_max(Z, 0).t();
  return accuracy(predicted, t);
}

}  // namespace detail

// Up to n samples of (X, t), in the random order of epoch_order(N, seed, 0), leaving out a
// sample whose input equals one already taken (two equal inputs with different labels,
// such as the spiral's arms all starting at the origin, cannot both be learnt).
template <typename Real>
void pick_samples(const arma::Mat<Real>& X, const arma::uvec& t, arma::uword n,
                  std::uint64_t seed, arma::Mat<Real>& Xs, arma::uvec& ts) {
  std::vector<arma::uword> taken;
  const arma::uvec order = epoch_order(X.n_cols, seed, 0);
  for (arma::uword k = 0; k < order.n_elem && taken.size() < n; ++k) {
    bool repeated = false;
    for (arma::uword j : taken)
      repeated = repeated || arma::approx_equal(X.col(j), X.col(order(k)), "absdiff", 0);
    if (!repeated) taken.push_back(order(k));
  }
  gather_columns(X, arma::uvec(taken), Xs);
  ts = t.elem(arma::uvec(taken));
}

// ---------------------------------------------------------------------------------------
// 1. The initial loss: about ln K
// ---------------------------------------------------------------------------------------

// An untrained network that knows nothing gives every class 1/K: loss -ln(1/K) = ln K.
// Logits spread with standard deviation s raise it by about s^2 (K - 1) / (2K); a tolerance
// of a quarter of ln K lets s reach about 0.9 (K = 3) or 1.1 (K = 10). Beyond that the
// start already holds strong random opinions (chapter 06's MLP with He's weights in its
// output layer starts 0.18 above ln 3, within it; a start 10 times too large is far out).
inline constexpr double kInitialLossTolerance = 0.25;  // a fraction of ln K

// The loss of net on (X, t) before any training. value: that loss.
template <typename Net>
Finding check_initial_loss(Net& net, const typename Net::Matrix& X, const arma::uvec& t) {
  const arma::uword K = detail::classes_of(net);
  const double ln_K = std::log(double(K));
  const double loss = nn::softmax_cross_entropy(net.forward(X), t);
  const std::string measured = "initial loss " + detail::loss3(loss) + ", expected about ln " +
                               std::to_string(K) + " = " + num(ln_K, "%.2f");
  if (!std::isfinite(loss))
    return {false, loss,
            measured +
                ": the outputs overflowed (inputs or weights far too large: scale the inputs, "
                "chapter 09; start smaller, chapter 07)"};
  if (loss > (1 + kInitialLossTolerance) * ln_K)
    return {false, loss,
            measured +
                ": the start is confidently wrong (weights too large or inputs unscaled: "
                "chapter 07's initialisers, chapter 09's pixels / 255)"};
  if (loss < (1 - kInitialLossTolerance) * ln_K)
    return {false, loss,
            measured +
                ": better than chance before training (the network was trained already, or the "
                "labels can be read off the inputs)"};
  return {true, loss, measured + " (within 25%): a neutral start"};
}

// ---------------------------------------------------------------------------------------
// 2. The gradient check, layer by layer
// ---------------------------------------------------------------------------------------

// The entries of one parameter tensor whose gradient is checked: all of a small tensor, an
// evenly spread sample of a large one (each entry costs two forward passes).
inline constexpr arma::uword kGradientCheckEntries = 100;

// A ReLU input closer than this to its kink at 0 may cross it when a weight moves by
// kFiniteDifferenceStep: the finite difference is then wrong by itself, not the backward.
inline constexpr double kReluKinkMargin = 1e-3;

// A central difference of a loss L carries a rounding error of about eps |L| / h
// (gradient_check.hpp): 2e-11 for L ~ 1, measured 1e-11 on the spiral. A gradient entry
// below 10 times that over kGradientCheckTolerance (2e-3 for L ~ 1) cannot be checked to
// that tolerance, so a tensor's error is measured against the larger of its largest entry
// and that floor: a vanishingly small but right gradient (a start too small) is not called
// wrong, while a wrong one, off by about its own size, still is unless it is that small.
inline double gradient_floor(double loss) {
  const double rounding = std::numeric_limits<double>::epsilon() *
                          std::max(1.0, std::abs(loss)) / kFiniteDifferenceStep;
  return 10 * rounding / kGradientCheckTolerance;
}

struct GradientCheck {
  arma::vec W_error;  // (layers) the relative error of dW_l, l = 1..L (entry l - 1)
  arma::vec b_error;  // (layers) the same for db_l
  Finding finding;    // value: the largest of them
};

namespace detail {

// count indices spread evenly over 0..n-1 (all of them when n <= count).
inline arma::uvec spread_indices(arma::uword n, arma::uword count) {
  const arma::uword k = std::min(n, count);
  arma::uvec idx(k);
  for (arma::uword i = 0; i < k; ++i) idx(i) = i * n / k;
  return idx;
}

// One parameter's analytic gradient against central differences of the loss, over
// spread_indices of its entries: max |analytic - numeric| over the larger of their largest
// entry and gradient_floor(loss) (tensor_relative_error, with that floor). Restores p.
template <typename Net>
double parameter_error(Net& net, const Parameter<double>& p, const arma::mat& analytic,
                       const arma::mat& X, const arma::uvec& t, double loss) {
  const arma::uvec idx = spread_indices(p.value->n_elem, kGradientCheckEntries);
  const arma::mat theta = p.value->elem(idx);
  const arma::mat numeric = numerical_gradient(
      [&](const arma::mat& th) {
        p.value->elem(idx) = th;
        return nn::softmax_cross_entropy(net.forward(X), t);
      },
      theta);
  p.value->elem(idx) = theta;
  const arma::mat a = analytic.elem(idx);
  const double scale = std::max(arma::abs(a).max(), arma::abs(numeric).max());
  return tensor_relative_error(a, numeric) * scale / std::max(scale, gradient_floor(loss));
}

// The smallest |z| entering a ReLU in the last forward pass (infinity without ReLUs).
template <typename Net>
double smallest_relu_input(const Net& net) {
  double smallest = std::numeric_limits<double>::infinity();
  for (std::size_t l = 0; l < net.n_layers(); ++l)
    if (net.layer(l).activation() == Activation::relu)
      smallest = std::min(smallest, double(arma::abs(net.layer(l).Z()).min()));
  return smallest;
}

// "1, 2 and 4" from {1, 2, 4}.
inline std::string layer_list(const std::vector<arma::uword>& layers) {
  std::string text;
  for (std::size_t i = 0; i < layers.size(); ++i)
    text += (i == 0 ? "" : i + 1 == layers.size() ? " and " : ", ") + std::to_string(layers[i]);
  return text;
}

// The verdict on the per-layer errors. Backward runs from the output to the input, so a
// mistake spoils the layer where it happens and every layer before it: the wrong layer
// with the highest number is where the error enters (its own dW, db, or the dA the layer
// after it passes back).
inline Finding gradient_finding(const GradientCheck& g, arma::uword samples, double kink) {
  const double worst = std::max(g.W_error.max(), g.b_error.max());
  std::vector<arma::uword> wrong, right;
  for (arma::uword l = 0; l < g.W_error.n_elem; ++l)
    (std::max(g.W_error(l), g.b_error(l)) > kGradientCheckTolerance ? wrong : right)
        .push_back(l + 1);
  const std::string on = "gradient check on " + std::to_string(samples) + " samples: ";
  if (wrong.empty())
    return {true, worst,
            on + "every layer's dW and db agree with finite differences (worst " + g3(worst) +
                ", tolerance " + g3(kGradientCheckTolerance) + ")"};
  const std::string L = std::to_string(wrong.back());
  const std::string measured = on + "wrong in layer" + (wrong.size() > 1 ? "s " : " ") +
                               layer_list(wrong) + " (dW" + L + " off by " +
                               g3(g.W_error(wrong.back() - 1)) + ", db" + L + " by " +
                               g3(g.b_error(wrong.back() - 1)) + ")" +
                               (right.empty() ? "" : ", right in " + layer_list(right));
  const std::string line =
      kink < kReluKinkMargin
          ? measured + "; but a ReLU input lies " + g3(kink) + " from its kink, where " +
                "finite differences fail by themselves: no verdict on backward (retry on " +
                "other samples; a start too small puts every input near the kink)"
          : measured + ": the error enters at layer " + L + ", in its dW or db or the dA " +
                "passed back into it (a sign or a transpose, chapter 05)";
  return {false, worst, line};
}

}  // namespace detail

// A copy of a float network in double precision: the same layers, weights and biases.
inline Network<double> to_double(const Network<float>& net) {
  Network<double> copy(net.layer_sizes(), net.activations());
  for (std::size_t l = 0; l < net.n_layers(); ++l) {
    copy.layer(l).W = arma::conv_to<arma::mat>::from(net.layer(l).W);
    copy.layer(l).b = arma::conv_to<arma::vec>::from(net.layer(l).b);
  }
  return copy;
}

namespace detail {
// check_gradients for a network in double.
template <typename Net>
GradientCheck check_gradients_in_double(Net& net, const arma::mat& X, const arma::uvec& t) {
  classes_of(net);
  arma::mat dZ;
  const double loss = nn::softmax_cross_entropy(net.forward(X), t, dZ);
  net.backward(dZ);
  const double kink = smallest_relu_input(net);
  const arma::uword L = net.n_layers();
  GradientCheck g{arma::vec(L, arma::fill::zeros), arma::vec(L, arma::fill::zeros), {}};
  for (const Parameter<double>& p : net.parameters()) {
    const arma::mat analytic = *p.gradient;  // a copy: the differences run forward again
    const arma::uword l = std::stoul(p.name.substr(1)) - 1;  // "W2" and "b2": layer 2
    (p.is_weight ? g.W_error : g.b_error)(l) = parameter_error(net, p, analytic, X, t, loss);
  }
  g.finding = gradient_finding(g, X.n_cols, kink);
  return g;
}
}  // namespace detail

// Compares net's backward pass on the samples (X, t), a few of them, with central
// differences of the loss (gradient_check.hpp), tensor by tensor, so a mistake in one layer
// is named by its layer. Runs in double: float's 7 digits cannot resolve a central
// difference, so a Network<float> is checked on its copy in double (to_double). Leaves the
// parameters as they were.
template <typename Net>
GradientCheck check_gradients(Net& net, const typename Net::Matrix& X, const arma::uvec& t) {
  if constexpr (std::is_same_v<detail::RealOf<Net>, double>) {
    return detail::check_gradients_in_double(net, X, t);
  } else {
    Network<double> copy = to_double(net);
    const arma::mat Xd = arma::conv_to<arma::mat>::from(X);
    return detail::check_gradients_in_double(copy, Xd, t);
  }
}

// ---------------------------------------------------------------------------------------
// 3. The spread of activations and gradients, layer by layer
// ---------------------------------------------------------------------------------------

// Each layer multiplies the spread of its input by about sqrt(n_in) sd(W) (chapter 07), so
// unless that factor is near 1 the activations shrink or grow geometrically with depth.
// With inputs scaled to about [-1, 1] (or [0, 1]) a hidden layer's outputs keep a spread
// of order 0.1-1 (He's start on the spiral: 0.37 in every layer). Below 0.01 the signal
// is vanishing: chapter 07's Xavier start in an 8-layer ReLU network falls to 0.0059 and
// sits on a plateau for 15 epochs. Above 10 it explodes (or the inputs are unscaled): the
// next layer's weighted sums are then 10 times larger than its initialiser planned for.
inline constexpr double kActivationSdLow = 0.01, kActivationSdHigh = 10.0;
// A tanh (sigmoid) output within 0.01 of +-1 (0 or 1) has a derivative below 0.02: it
// passes almost no gradient back. When more than half a layer's outputs are there, the
// layer is saturated.
inline constexpr double kSaturatedShare = 0.5;
// sd(dW_l) of the hidden layers, the largest over the smallest: layers whose gradients are
// 20 times apart learn at rates 20 times apart under one learning rate. Healthy starts
// keep them within a factor 5 (He and Xavier, 2 to 8 layers of 32 on the spiral, four
// seeds: 1.0-4.8); four sigmoid layers from Xavier's start give 29-137, the first layer's
// the smallest, as each sigmoid multiplies the gradient by its slope, at most 1/4. (The
// output layer is left out: a start with small output weights, as chapter 06's, gives it
// gradients 100 times the hidden layers' for a few steps, which is harmless.)
inline constexpr double kGradientRatio = 20.0;
// sd(dW_l) / sd(W_l) below this in every layer: a step with a learning rate of 1 moves no
// layer's weights by more than 1e-4 of their spread, so training needs thousands of steps
// to move at all (a healthy start gives 0.01-1 in its fastest layer).
inline constexpr double kVanishedGradient = 1e-4;

struct Spread {
  arma::vec activation_sd;  // (hidden layers) sd of the entries of A_l, l = 1..L-1
  arma::vec saturated;      // (hidden layers) the share of A_l at a tanh/sigmoid limit
  arma::vec gradient_sd;    // (layers) sd of the entries of dW_l, l = 1..L
  arma::vec weight_sd;      // (layers) sd of the entries of W_l
  Finding activations;      // value: the sd(A_l) (or the saturated share) the line names
  Finding gradients;        // value: the largest sd(dW_l) of a hidden layer over the
                            // smallest (when they vanished: the largest sd(dW_l) / sd(W_l))
};

namespace detail {

// The share of the entries of A within 0.01 of the limits of g (0 for other activations).
template <typename Real>
double saturated_share(Activation g, const arma::Mat<Real>& A) {
  if (A.n_elem == 0) return 0.0;
  if (g == Activation::tanh)
    return double(arma::accu(arma::abs(A) > Real(0.99))) / double(A.n_elem);
  if (g == Activation::sigmoid)
    return double(arma::accu(arma::abs(A - Real(0.5)) > Real(0.49))) / double(A.n_elem);
  return 0.0;
}

// True when hidden layer l's units all start alike: every row of W_l equal.
template <typename Real>
bool symmetric(const arma::Mat<Real>& W) {
  for (arma::uword i = 1; i < W.n_rows; ++i)
    if (!arma::approx_equal(W.row(i), W.row(0), "absdiff", 0)) return false;
  return W.n_rows > 1;
}

template <typename Net>
Finding activation_finding(const Spread& s, const Net& net) {
  const arma::uword H = s.activation_sd.n_elem;
  for (arma::uword l = 0; l < H; ++l)
    if (symmetric(net.layer(l).W))
      return {false, 0.0,
              "activation spread: the units of layer " + std::to_string(l + 1) +
                  " start with equal weights, so they compute the same and get the same "
                  "gradient forever (a symmetric start such as all zeros, chapter 07)"};
  if (H > 0 && s.saturated.max() > kSaturatedShare) {
    const arma::uword l = s.saturated.index_max();
    return {false, s.saturated(l),
            "activation spread: " + percent(s.saturated(l), 0) + " of layer " +
                std::to_string(l + 1) +
                "'s outputs are within 0.01 of their limits: saturated, they pass almost no "
                "gradient (weights or inputs too large, chapter 07)"};
  }
  if (H == 0) return {true, 0.0, "activation spread: no hidden layer"};
  const arma::uword lo = s.activation_sd.index_min(), hi = s.activation_sd.index_max();
  const std::string measured = "activation spread: sd(A) from " + g3(s.activation_sd(lo)) +
                               " (layer " + std::to_string(lo + 1) + ") to " +
                               g3(s.activation_sd(hi)) + " (layer " + std::to_string(hi + 1) +
                               ")";
  if (s.activation_sd(lo) == 0.0)
    return {false, 0.0,
            measured + ": layer " + std::to_string(lo + 1) +
                " outputs the same for every sample, the signal is gone (dead ReLUs or zero "
                "weights, chapter 07)"};
  if (s.activation_sd(lo) < kActivationSdLow)
    return {false, s.activation_sd(lo),
            measured + ", below " + g3(kActivationSdLow) +
                ": the signal vanishes (weights start too small; Xavier for tanh, He for ReLU, "
                "chapter 07)"};
  if (s.activation_sd(hi) > kActivationSdHigh)
    return {false, s.activation_sd(hi),
            measured + ", above " + g3(kActivationSdHigh) +
                ": the signal explodes (weights start too large, or inputs unscaled: chapters "
                "07 and 09)"};
  return {true, s.activation_sd(lo),
          measured + ", within " + g3(kActivationSdLow) + "-" + g3(kActivationSdHigh) +
              ", none saturated"};
}

inline Finding gradient_spread_finding(const Spread& s) {
  const arma::uvec moving = arma::find(s.weight_sd > 0);
  const double largest_step =
      moving.is_empty() ? 0.0 : arma::vec(s.gradient_sd(moving) / s.weight_sd(moving)).max();
  if (largest_step < kVanishedGradient)
    return {false, largest_step,
            "gradient spread: sd(dW) at most " + g3(s.gradient_sd.max()) + ", " +
                g3(largest_step) +
                " of the weights' spread: the gradients vanished and nothing learns (weights "
                "start too small, or dead units; chapter 07)"};
  const arma::uword H = s.activation_sd.n_elem;
  if (H < 2)
    return {true, 1.0,
            "gradient spread: sd(dW) from " + g3(s.gradient_sd.min()) + " to " +
                g3(s.gradient_sd.max()) + ", fewer than two hidden layers to compare"};
  const arma::vec hidden = s.gradient_sd.head(H);
  const arma::uword hi = hidden.index_max(), lo = hidden.index_min();
  const double ratio = hidden(hi) / hidden(lo);
  const std::string measured = "gradient spread: sd(dW) of the hidden layers from " +
                               g3(hidden(lo)) + " (layer " + std::to_string(lo + 1) + ") to " +
                               g3(hidden(hi)) + " (layer " + std::to_string(hi + 1) + ")";
  if (!(ratio <= kGradientRatio))
    return {false, ratio,
            measured + ", " + g3(ratio) +
                " times apart: they learn at very different rates, the gradient " +
                (hi < lo ? "explodes toward the input (a start too large, chapter 07)"
                         : "vanishes toward the input (a start too small, or sigmoid units, "
                           "whose slope is at most 1/4; chapter 07)")};
  return {true, ratio, measured + ", within a factor " + g3(kGradientRatio)};
}

}  // namespace detail

// One forward and backward pass over (X, t) from the network's current weights: the
// spread of every hidden layer's activations and of every layer's weight gradients.
template <typename Net>
Spread check_spread(Net& net, const typename Net::Matrix& X, const arma::uvec& t) {
  detail::classes_of(net);
  typename Net::Matrix dZ;
  nn::softmax_cross_entropy(net.forward(X), t, dZ);
  net.backward(dZ);
  const arma::uword L = net.n_layers();
  Spread s{arma::vec(L - 1), arma::vec(L - 1), arma::vec(L), arma::vec(L), {}, {}};
  for (arma::uword l = 0; l < L; ++l) {
    s.gradient_sd(l) = detail::sd_of(net.layer(l).dW());
    s.weight_sd(l) = detail::sd_of(net.layer(l).W);
    if (l + 1 == L) break;  // the output layer's A are logits, not hidden activations
    s.activation_sd(l) = detail::sd_of(net.layer(l).A());
    s.saturated(l) = detail::saturated_share(net.layer(l).activation(), net.layer(l).A());
  }
  s.activations = detail::activation_finding(s, net);
  s.gradients = detail::gradient_spread_finding(s);
  return s;
}

// ---------------------------------------------------------------------------------------
// 4. Dead ReLU units
// ---------------------------------------------------------------------------------------

// A ReLU unit whose input is negative for every sample outputs 0 and has slope 0 for every
// sample: no gradient reaches its weights, so it never comes back. A few dead units cost
// a little width; when more than half a layer is dead, the layer has lost most of itself.
inline constexpr double kDeadUnitShare = 0.5;

struct DeadUnits {
  arma::vec share;  // (hidden layers) the share of layer l's units dead on X (0: not ReLU)
  Finding finding;  // value: the largest share
};

namespace detail {
inline Finding dead_finding(const arma::vec& share, bool any_relu, arma::uword samples) {
  if (!any_relu) return {true, 0.0, "dead ReLU units: no hidden ReLU layer"};
  const arma::uword l = share.index_max();
  const double worst = share(l);
  if (worst == 0.0)
    return {true, 0.0,
            "dead ReLU units: none on these " + std::to_string(samples) +
                " samples (flagged above " + percent(kDeadUnitShare, 0) + " of a layer)"};
  const std::string measured = "dead ReLU units: " + percent(worst, 0) + " of layer " +
                               std::to_string(l + 1) + "'s units never fire on these " +
                               std::to_string(samples) + " samples";
  if (worst > kDeadUnitShare)
    return {false, worst,
            measured +
                ": they pass no gradient and never recover (biases too negative, a start or a "
                "learning rate too large, chapter 07)"};
  return {
      true, worst,
      measured + " (the most of any layer; flagged above " + percent(kDeadUnitShare, 0) + ")"};
}
}  // namespace detail

// One forward pass over X (use many samples: a unit is dead only if it fires for none).
template <typename Net>
DeadUnits check_dead_units(Net& net, const typename Net::Matrix& X) {
  net.forward(X);
  const arma::uword H = net.n_layers() - 1;
  DeadUnits d{arma::vec(H, arma::fill::zeros), {}};
  bool any_relu = false;
  for (arma::uword l = 0; l < H; ++l) {
    if (net.layer(l).activation() != Activation::relu) continue;
    any_relu = true;
    const typename Net::Matrix& A = net.layer(l).A();  // (units x N)
    const arma::uvec fired = arma::any(A > 0, 1);      // (units): 1 if it fired on a sample
    d.share(l) = 1.0 - double(arma::accu(fired)) / double(A.n_rows);
  }
  d.finding = detail::dead_finding(d.share, any_relu, X.n_cols);
  return d;
}

// ---------------------------------------------------------------------------------------
// 5. Can it learn one small batch by heart?
// ---------------------------------------------------------------------------------------

// 20 samples and a few hundred parameters: a network that works memorises them, so the
// loss falls near 0. Below 0.1 the true class gets e^-0.1 = 0.9 of the probability on
// average; with every sample also classified right, the batch is learnt.
inline constexpr double kOverfitLoss = 0.1;

struct OverfitSettings {
  arma::uword samples = 20;  // the small batch, picked at random from X
  long steps = 1000;         // full-batch updates at most
  std::uint64_t seed = 42;   // which samples
};

struct Overfit {
  std::vector<double> losses;  // the batch's loss before each update (and after the last)
  double accuracy = 0.0;       // on the batch, at the end
  Finding finding;             // value: the last loss
};

namespace detail {
inline Finding overfit_finding(const Overfit& o, arma::uword m) {
  const long steps = long(o.losses.size()) - 1;
  const std::string measured = std::to_string(m) + " samples, " + std::to_string(steps) +
                               (steps == 1 ? " step: loss " : " steps: loss ") +
                               loss3(o.losses.front()) + " -> " + loss3(o.losses.back()) +
                               ", accuracy " + percent(o.accuracy, 0);
  if (has_diverged(o.losses.back(), o.losses.front()))
    return {false, o.losses.back(),
            "one small batch: " + measured + ": diverged (the learning rate is too large)"};
  if (o.accuracy < 1.0 || o.losses.back() >= kOverfitLoss)
    return {false, o.losses.back(),
            "one small batch: " + measured + ", not learnt by heart: a bug in backward, " +
                "the optimiser or the data path (or a learning rate far too small; " +
                "chapter 06)"};
  return {true, o.losses.back(), "one small batch learnt by heart: " + measured};
}
}  // namespace detail

// Trains a copy of net with optimizer (reset before and after) on a few samples of (X, t),
// full batch, until they are all right and the loss is below kOverfitLoss.
template <typename Net>
Overfit check_overfit_small_batch(const Net& net, Optimizer<detail::RealOf<Net>>& optimizer,
                                  const typename Net::Matrix& X, const arma::uvec& t,
                                  const OverfitSettings& s = {}) {
  detail::classes_of(net);
  typename Net::Matrix Xs, dZ;  // (features x m), (K x m)
  arma::uvec ts;
  pick_samples(X, t, s.samples, s.seed, Xs, ts);
  Net trial = net;
  const std::vector<Parameter<detail::RealOf<Net>>> params = trial.parameters();
  optimizer.reset();
  Overfit o;
  for (long step = 0;; ++step) {
    const double loss = nn::softmax_cross_entropy(trial.forward(Xs), ts, dZ);
    o.losses.push_back(loss);
    o.accuracy = detail::accuracy_of(trial.layer(trial.n_layers() - 1).A(), ts);
    const bool learnt = o.accuracy == 1.0 && loss < kOverfitLoss;
    if (learnt || step == s.steps || has_diverged(loss, o.losses.front())) break;
    trial.backward(dZ);
    optimizer.step(params);
  }
  optimizer.reset();
  o.finding = detail::overfit_finding(o, Xs.n_cols);
  return o;
}

// ---------------------------------------------------------------------------------------
// 6. The learning-rate range test
// ---------------------------------------------------------------------------------------

// (Smith, "Cyclical learning rates for training neural networks", 2017.) A copy of the
// network trains on mini-batches while the rate rises geometrically from lo to hi; the
// loss, smoothed, first falls faster as the rate grows, then turns and shoots up where the
// rate is too large. The suggested rate is a tenth of the rate at the smoothed loss's
// minimum: at the minimum the rate is already at the edge of divergence (and the smoothed
// curve lags the raw one by about 1 / (1 - smoothing) steps), while a tenth of it is well
// inside the range where the loss falls fast. The other common rule, the steepest descent
// of the curve, needs the derivative of a noisy curve; the minimum is found more reliably.
struct RangeTestSettings {
  double lo = 1e-4, hi = 10.0;  // the first and the last rate
  long steps = 300;             // updates, one mini-batch each
  arma::uword batch_size = 32;  // samples per update
  double smoothing = 0.9;       // beta of the moving average of the loss
  double stop_factor = 4.0;     // stop when the smoothed loss exceeds this x its minimum
  std::uint64_t seed = 42;      // the batches
};

// The curve counts as falling once its minimum is 10% below its start, and as turning up
// when it ends more than 1.5 times its minimum (a ReLU network on the spiral whose units
// die at large rates returns to ln 3, about twice its minimum, without exploding).
inline constexpr double kRangeFall = 0.1, kRangeRise = 1.5;

struct RangeTest {
  std::vector<double> rate;      // the rate of each update
  std::vector<double> loss;      // the smoothed loss on its batch, just before the update
  double rate_at_minimum = 0.0;  // where the smoothed loss was lowest
  Finding finding;               // value: the suggested learning rate
};

namespace detail {
// The moving average of the loss with Adam's bias correction, so the first steps are not
// pulled toward 0: avg <- beta avg + (1 - beta) loss, smoothed = avg / (1 - beta^(k+1)).
struct Smoother {
  double beta, avg = 0.0, weight = 1.0;
  double add(double loss) {
    avg = beta * avg + (1 - beta) * loss;
    weight *= beta;
    return avg / (1 - weight);
  }
};

inline Finding range_finding(const RangeTest& r, const RangeTestSettings& s) {
  const std::size_t best =
      std::size_t(std::min_element(r.loss.begin(), r.loss.end()) - r.loss.begin());
  const double lowest = r.loss[best], suggested = r.rate_at_minimum / 10;
  const std::string measured = "learning-rate range test: the smoothed loss is lowest (" +
                               loss3(lowest) + ") at rate " + g3(r.rate_at_minimum);
  if (!(lowest < (1 - kRangeFall) * r.loss.front()))
    return {false, suggested,
            "learning-rate range test: the loss never fell by " + percent(kRangeFall, 0) +
                " at any rate from " + g3(s.lo) + " to " + g3(r.rate.back()) +
                ": the network does not learn (check the gradients and the one-batch test)"};
  if (std::isfinite(r.loss.back()) && !(r.loss.back() > kRangeRise * lowest))
    return {false, suggested,
            measured + " and does not turn up by " + g3(r.rate.back()) +
                ": raise hi to find where the loss turns"};
  return {true, suggested,
          measured + " and turns up by " + g3(r.rate.back()) + ": try " + g3(suggested) +
              ", a tenth of it"};
}
}  // namespace detail

// Trains a copy of net with optimizer (whose rate it sets at each step; the rate and the
// state are restored/reset afterwards) on mini-batches of (X, t). Stops when the smoothed
// loss exceeds stop_factor times its minimum, turns NaN, or the rates run out.
template <typename Net>
RangeTest learning_rate_range_test(const Net& net, Optimizer<detail::RealOf<Net>>& optimizer,
                                   const typename Net::Matrix& X, const arma::uvec& t,
                                   const RangeTestSettings& s = {}) {
  detail::classes_of(net);
  if (!(s.lo > 0 && s.hi > s.lo) || s.steps < 2)
    throw std::invalid_argument("learning_rate_range_test: need 0 < lo < hi and 2 steps");
  Net trial = net;
  const std::vector<Parameter<detail::RealOf<Net>>> params = trial.parameters();
  MiniBatches<detail::RealOf<Net>> batches(X, t, s.batch_size, s.seed);
  const double saved_rate = optimizer.learning_rate();
  optimizer.reset();
  typename Net::Matrix dZ;
  detail::Smoother smooth{s.smoothing};
  RangeTest r;
  double lowest = std::numeric_limits<double>::infinity();
  const arma::uword n = batches.count();
  for (arma::uword k = 0; k < arma::uword(s.steps); ++k) {
    if (k % n == 0) batches.shuffle(k / n);  // a new order every pass over the data
    batches.gather(k % n);
    const double rate = s.lo * std::pow(s.hi / s.lo, double(k) / double(s.steps - 1));
    const double loss =
        smooth.add(nn::softmax_cross_entropy(trial.forward(batches.X()), batches.t(), dZ));
    r.rate.push_back(rate);
    r.loss.push_back(loss);
    if (loss < lowest) {
      lowest = loss;
      r.rate_at_minimum = rate;
    }
    if (!std::isfinite(loss) || loss > s.stop_factor * lowest) break;  // it shot up
    optimizer.set_learning_rate(rate);
    trial.backward(dZ);
    optimizer.step(params);
  }
  optimizer.set_learning_rate(saved_rate);
  optimizer.reset();
  r.finding = detail::range_finding(r, s);
  return r;
}

// ---------------------------------------------------------------------------------------
// 7. The loss history: NaN, or divergence
// ---------------------------------------------------------------------------------------

// losses: what a training loop recorded, entry 0 measured before the first update.
// Diverged means divergence.hpp's rule (has_diverged): NaN or inf, or more than
// kDivergenceFactor times start_loss. value: the first diverged loss, else the last one.
inline Finding check_loss_history(const std::vector<double>& losses, double start_loss) {
  if (losses.empty()) throw std::invalid_argument("check_loss_history: no losses");
  for (std::size_t k = 0; k < losses.size(); ++k) {
    if (!has_diverged(losses[k], start_loss)) continue;
    const std::string at = " at entry " + std::to_string(k) + " of " +
                           std::to_string(losses.size()) + " (entry 0 is the start)";
    if (!std::isfinite(losses[k]))
      return {false, losses[k],
              std::string("loss history: the loss became ") +
                  (std::isnan(losses[k]) ? "NaN" : "infinite") + at +
                  ": the learning rate is too large (chapters 03 and 07), or a softmax without "
                  "its shift by max z overflowed (chapter 06)"};
    return {false, losses[k],
            "loss history: the loss grew to " + detail::loss3(losses[k]) + at + ", more than " +
                detail::g3(kDivergenceFactor) + " times its start (" +
                detail::loss3(start_loss) +
                "): the learning rate is too large (chapters 03 and 07)"};
  }
  const std::string limit = start_loss > 0
                                ? " and below " + detail::g3(kDivergenceFactor) +
                                      " times the start (" + detail::loss3(start_loss) + ")"
                                : "";
  return {true, losses.back(),
          "loss history: " + std::to_string(losses.size()) + " losses, all finite" + limit +
              "; the last " + detail::loss3(losses.back())};
}

// The same with the start measured by the loop itself: losses.front().
inline Finding check_loss_history(const std::vector<double>& losses) {
  if (losses.empty()) throw std::invalid_argument("check_loss_history: no losses");
  return check_loss_history(losses, losses.front());
}

// ---------------------------------------------------------------------------------------
// 8. Generalisation: validation against training
// ---------------------------------------------------------------------------------------

// A network that learnt something real does better than chance (1/K) on samples it has not
// seen. When its training accuracy is clearly above chance but its validation accuracy is
// not, what was learnt does not carry over: the labels do not belong to their inputs.
// "Clearly above chance" is more than kChanceMargin (10 points) above it, or, on a small
// set, more than 3 standard errors of a guesser's accuracy, 3 sqrt(c (1 - c) / n) for
// chance c and n samples (18 points for 60 samples of 3 classes), whichever is larger.
inline constexpr double kChanceMargin = 0.10;
// Training accuracy more than 10 points above validation accuracy: the network learnt its
// training samples rather than the task (chapter 08: more data, L2, early stopping).
inline constexpr double kGeneralisationGap = 0.10;

struct Scores {
  double loss, accuracy;    // on one set, after training
  arma::uword samples = 0;  // the set's size (0: unknown, the margin is kChanceMargin)
};

// How far above chance an accuracy on n samples must be to be better than guessing.
inline double chance_margin(double chance, arma::uword n) {
  const double guessing = n == 0 ? 0.0 : 3 * std::sqrt(chance * (1 - chance) / double(n));
  return std::max(kChanceMargin, guessing);
}

// value: training accuracy minus validation accuracy.
inline Finding check_generalisation(const Scores& train, const Scores& validation,
                                    arma::uword K) {
  const double chance = 1.0 / double(K), gap = train.accuracy - validation.accuracy;
  const std::string measured =
      "generalisation: training accuracy " + percent(train.accuracy, 0) + " (loss " +
      detail::loss3(train.loss) + "), validation " + percent(validation.accuracy, 0) +
      " (loss " + detail::loss3(validation.loss) + ")";
  if (train.accuracy > chance + chance_margin(chance, train.samples) &&
      validation.accuracy <= chance + chance_margin(chance, validation.samples))
    return {false, gap,
            measured + ", chance " + percent(chance, 0) + ": nothing learnt carries over; " +
                "the labels are detached from their inputs (shuffled apart?)"};
  if (gap > kGeneralisationGap)
    return {false, gap,
            measured + ": " + percent(gap, 0) + " apart, overfitting (more data, L2 or " +
                "early stopping, chapter 08)"};
  return {true, gap, measured + ": within " + percent(kGeneralisationGap, 0)};
}

// ---------------------------------------------------------------------------------------
// 9. The loss function on its own: its gradient, and a shift of the logits
// ---------------------------------------------------------------------------------------

// A loss as a reader writes it: the mean loss of the logits Z (K x m) against the targets t,
// with its gradient dL/dZ written into dZ. The checks above use the library's
// softmax_cross_entropy; these two check a loss of one's own, before it trains anything.
using LossFunction =
    std::function<double(const arma::mat& Z, const arma::uvec& t, arma::mat& dZ)>;

namespace detail {
// |a| / |b| in the max norm (0 when b is all zeros).
inline double size_ratio(const arma::mat& a, const arma::mat& b) {
  const double nb = arma::abs(b).max();
  return nb == 0.0 ? 0.0 : arma::abs(a).max() / nb;
}
}  // namespace detail

// dZ against central differences of the loss itself, on the logits Z of a few samples
// (tensor_relative_error below kGradientCheckTolerance). A loss that is a mean but whose dZ
// forgets the 1/m has a dZ m times too large: off by 1 - 1/m, which the line names.
// value: the relative error.
inline Finding check_loss_gradient(const LossFunction& loss, const arma::mat& Z,
                                   const arma::uvec& t) {
  arma::mat dZ, scratch;
  loss(Z, t, dZ);
  const arma::mat numeric =
      numerical_gradient([&](const arma::mat& z) { return loss(z, t, scratch); }, Z);
  const double error = tensor_relative_error(dZ, numeric);
  const double m = double(Z.n_cols), ratio = detail::size_ratio(dZ, numeric);
  const std::string measured =
      "loss gradient: dL/dZ against finite differences of the loss on " +
      std::to_string(Z.n_cols) + " samples: off by " + detail::g3(error);
  if (error <= kGradientCheckTolerance)
    return {true, error, measured + ", tolerance " + detail::g3(kGradientCheckTolerance)};
  if (m > 1 && std::abs(ratio - m) < 0.01 * m)
    return {false, error,
            measured + ", " + detail::g3(ratio) +
                " times too large: the 1/m of the mean is missing " +
                "from dZ (dZ = (P - T) / m, chapter 06)"};
  return {false, error,
          measured + " (" + detail::g3(ratio) +
              " times the size): the loss and its gradient disagree (a sign or a missing "
              "term, chapters 05 and 06)"};
}

// Softmax does not change when the same number is added to every logit of a sample, so
// neither does the loss. At Z + kLogitShift a softmax computed straight from e^z overflows
// (e^1000 is inf in double; float overflows past 88.7) and the loss is NaN; one shifted by
// max z (log-sum-exp) gives the loss at Z again, up to the rounding of z + 1000 - (max z +
// 1000), about 1e-13 (kShiftTolerance leaves room). value: the loss at Z + kLogitShift.
inline constexpr double kLogitShift = 1000.0;
inline constexpr double kShiftTolerance = 1e-9;  // relative

inline Finding check_loss_shift(const LossFunction& loss, const arma::mat& Z,
                                const arma::uvec& t) {
  arma::mat dZ;
  const double at_Z = loss(Z, t, dZ);
  const double shifted = loss(Z + kLogitShift, t, dZ);
  const std::string measured = "softmax shift: the loss of the logits + " +
                               num(kLogitShift, "%.0f") + " is " +
                               (std::isnan(shifted) ? "NaN" : detail::loss3(shifted)) +
                               ", at the logits " + detail::loss3(at_Z);
  if (std::isfinite(shifted) &&
      std::abs(shifted - at_Z) <= kShiftTolerance * std::max(1.0, std::abs(at_Z)))
    return {true, shifted, measured + ": the same, as it must be"};
  return {false, shifted,
          measured + ": e^z overflowed; compute softmax from z - max z (log-sum-exp, " +
              "chapter 06)"};
}

// ---------------------------------------------------------------------------------------
// Everything before training, as one report
// ---------------------------------------------------------------------------------------

struct DiagnoseSettings {
  arma::uword gradient_samples = 4;  // for the gradient check (each costs forward passes)
  OverfitSettings overfit{};
  RangeTestSettings range{};
};

// Checks 1-6 on net (left with its parameters unchanged) and the data (X, t); optimizer is
// the one training will use (reset; its rate restored).
template <typename Net>
std::vector<Finding> diagnose(Net& net, Optimizer<detail::RealOf<Net>>& optimizer,
                              const typename Net::Matrix& X, const arma::uvec& t,
                              const DiagnoseSettings& s = {}) {
  typename Net::Matrix Xg;
  arma::uvec tg;
  pick_samples(X, t, s.gradient_samples, s.overfit.seed, Xg, tg);
  const Spread spread = check_spread(net, X, t);
  return {check_initial_loss(net, X, t),
          check_gradients(net, Xg, tg).finding,
          spread.activations,
          spread.gradients,
          check_dead_units(net, X).finding,
          check_overfit_small_batch(net, optimizer, X, t, s.overfit).finding,
          learning_rate_range_test(net, optimizer, X, t, s.range).finding};
}

// One line per finding, "ok    ..." or "FAIL  ...", in the order given.
inline std::vector<std::string> report_lines(const std::vector<Finding>& findings) {
  std::vector<std::string> lines;
  for (const Finding& f : findings) lines.push_back((f.ok ? "ok    " : "FAIL  ") + f.line);
  return lines;
}

}  // namespace nn
