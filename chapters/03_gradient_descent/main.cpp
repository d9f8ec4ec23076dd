// Chapter 03: gradient descent
// ===========================================================================================
// What you learn: how a neuron with a smooth activation learns by following the slope of a
// loss. One sigmoid neuron (logistic regression) separates two clouds of points:
//     forward    z = w . x + b,   y = sigmoid(z)
//     loss       binary cross-entropy (or mean squared error) between y and the target t
//     backward   dL/dw = dL/dy * dy/dz * dz/dw, the chain rule, written out by hand
//     update     w <- w - lr dL/dw,   b <- b - lr dL/db
// and why cross-entropy, not squared error, is the loss to pair with a sigmoid.
//
// Run:   ./tutorial 03        or   build/release/chapters/03_gradient_descent
//                                  [--learning-rate 1] [--epochs 150] [--loss bce|mse]
//                                  [--seed 42] [--help]
// Draws (into build/release/output/03_gradient_descent/, or --out DIR):
//   graph.png           chapter 01's neuron as a computation graph, with a target: every
//                       forward value, local derivative and gradient of one backward pass
//   loss_surface.png    the loss over (w1, w2) with the path gradient descent took, for
//                       cross-entropy and for squared error, from the same start
//   learning_rates.png  the loss per epoch for a rate too small, a good one, one too large
//   gradients.png       how hard each loss pushes a wrong neuron: |dL/dz| against z
//   boundary.png        the trained neuron's output over the data, and its line
#include <armadillo>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/cli.hpp"
#include "common/divergence.hpp"
#include "common/format.hpp"
#include "common/gradient_check.hpp"
#include "common/graph_figure.hpp"
#include "common/grid.hpp"
#include "common/plot.hpp"
#include "common/reproducible.hpp"
#include "common/toy_data.hpp"

namespace {

// The chapter's flags (--seed and --out are every chapter's, in nn::CommandLine).
struct Settings {
  double learning_rate = 1.0;
  int epochs = 150;
  std::string loss = "bce";  // bce (cross-entropy) or mse (squared error)
};

// ---------------------------------------------------------------------------------------
// 1. The data: two Gaussian blobs
// ---------------------------------------------------------------------------------------

constexpr arma::uword kPerClass = 100;
constexpr double kSpread = 1.0;  // the standard deviation of each blob

nn::Dataset section1_the_data(unsigned seed) {
  const arma::mat centres = {{-1.0, 1.0},   // class 0 around (-1, -0.5)
                             {-0.5, 0.5}};  // class 1 around (1, 0.5)
  std::cout << "\nData: two Gaussian blobs, " << kPerClass
            << " points each, around (-1, -0.5) and (1, 0.5), sd " << nn::num(kSpread)
            << " (seed " << seed << ")\n";
  return nn::blobs(kPerClass, centres, kSpread, seed);
}

// ---------------------------------------------------------------------------------------
// 2. The neuron and its loss
// ---------------------------------------------------------------------------------------

struct Neuron {
  arma::vec w;  // (2)
  double b;
};

enum class Loss { bce, mse };

std::string to_string(Loss loss) {
  return loss == Loss::bce ? "cross-entropy" : "squared error";
}

Loss loss_from_flag(const std::string& flag) { return flag == "bce" ? Loss::bce : Loss::mse; }

// [listing forward]
// Forward, for the whole batch at once: X is (2 x m), one sample per column.
//   Z = w^T X + b    (1 x m), the weighted sum of every sample
//   A = sigmoid(Z)   (1 x m), the neuron's output y for every sample
arma::rowvec forward(const Neuron& neuron, const arma::mat& X) {
  const arma::rowvec Z = neuron.w.t() * X + neuron.b;
  return nn::sigmoid(arma::mat(Z));
}
// [end forward]

// [listing loss]
// The loss of outputs A (1 x m) against targets T (1 x m), averaged over the batch.
//   squared error   L = 1/m sum (y - t)^2
//   cross-entropy   L = -1/m sum [t ln y + (1 - t) ln(1 - y)]
// For t = 1 the cross-entropy term is -ln y; for t = 0 it is -ln(1 - y) = -ln sigmoid(-z).
// So it is minus the log of the probability the neuron gives the right answer, which is
// sigmoid(S) with S = (2t - 1) z. Computing that from Z, rather than 1 - y, keeps every digit
// when y is close to 1.
double loss_of(Loss loss, const arma::rowvec& Z, const arma::rowvec& A, const arma::rowvec& T) {
  const double m = static_cast<double>(Z.n_elem);  // the batch size
  if (loss == Loss::mse) return arma::accu(arma::square(A - T)) / m;
  const arma::rowvec S = (2.0 * T - 1.0) % Z;        // % is the element-wise product
  const arma::rowvec R = nn::sigmoid(arma::mat(S));  // probability of the right answer
  return -arma::accu(arma::log(R)) / m;
}
// [end loss]

double loss_of(Loss loss, const Neuron& neuron, const arma::mat& X, const arma::rowvec& T) {
  const arma::rowvec Z = neuron.w.t() * X + neuron.b;
  return loss_of(loss, Z, nn::sigmoid(arma::mat(Z)), T);
}

// ---------------------------------------------------------------------------------------
// 3. The chain rule, written as code
// ---------------------------------------------------------------------------------------

struct Gradient {
  arma::vec dw;  // dL/dw   (2)
  double db;     // dL/db
};

// [listing backward]
// dL/dw = dL/dy * dy/dz * dz/dw, for every sample at once (A and T are (1 x m)).
Gradient backward(Loss loss, const arma::mat& X, const arma::rowvec& A, const arma::rowvec& T) {
  const double m = static_cast<double>(X.n_cols);  // the batch size
  arma::rowvec dZ;                                 // dL/dz for each sample   (1 x m)
  if (loss == Loss::mse) {
    const arma::rowvec dA = 2.0 * (A - T) / m;  // dL/dy of 1/m sum (y - t)^2
    const arma::rowvec dA_dZ = A % (1.0 - A);   // dy/dz = sigmoid'(z) = y (1 - y)
    dZ = dA % dA_dZ;
  } else {
    // dL/dy = (y - t) / (y (1 - y)) / m for cross-entropy; times dy/dz = y (1 - y),
    // the y (1 - y) cancels:
    dZ = (A - T) / m;
  }
  // dz/dw = x and dz/db = 1: each sample adds its dL/dz times its input. The 1/m is
  // already in dZ, so nothing below divides by m again.
  Gradient g;
  g.dw = X * dZ.t();  // (2 x m) * (n x 1) = (2 x 1): sum over samples of dL/dz_s x_s
  g.db = arma::accu(dZ);
  return g;
}
// [end backward]

// The chain rule with numbers: chapter 01's neuron, x = (0.5, -1, 2), w = (0.8, 0.2, -0.5),
// b = 0.1, with a target t = 1 and the cross-entropy loss, one sample (m = 1).
struct ByHand {
  arma::vec x, w;
  double b = 0, t = 0;
  double z = 0, y = 0, L = 0;           // forward
  double dL_dy = 0, dy_dz = 0, dz = 0;  // backward: the two links, and their product dL/dz
  Gradient g;                           // dL/dw and dL/db, by hand
};

// [listing by_hand]
ByHand backward_by_hand() {
  ByHand h;
  h.x = {0.5, -1.0, 2.0};                        // chapter 01's inputs,
  h.w = {0.8, 0.2, -0.5};                        // weights
  h.b = 0.1;                                     // and bias
  h.t = 1.0;                                     // the target
  h.z = arma::dot(h.w, h.x) + h.b;               // forward: z = w.x + b
  h.y = nn::sigmoid(h.z);                        //          y = sigmoid(z)
  h.L = -std::log(h.y);                          //          L = -ln y, because t = 1
  h.dL_dy = -h.t / h.y + (1 - h.t) / (1 - h.y);  // backward: dL/dy
  h.dy_dz = h.y * (1 - h.y);                     //           dy/dz = sigmoid'(z)
  h.dz = h.dL_dy * h.dy_dz;                      //           dL/dz, the chain rule
  h.g.dw = h.dz * h.x;                           //           dL/dw = dL/dz * dz/dw
  h.g.db = h.dz;                                 //           dL/db = dL/dz * 1
  return h;
}
// [end by_hand]

std::string triple(const arma::vec& v) {
  return "(" + nn::num(v(0)) + ", " + nn::num(v(1)) + ", " + nn::num(v(2)) + ")";
}

// Prints the worked example, and backward()'s answer for the same sample beside it.
ByHand section3_chain_rule_with_numbers() {
  const ByHand h = backward_by_hand();
  const arma::mat X = h.x;       // one sample: (3 x 1)
  const arma::rowvec T = {h.t};  // (1 x 1)
  const Neuron neuron{h.w, h.b};
  const Gradient g = backward(Loss::bce, X, forward(neuron, X), T);
  std::cout << "The chain rule with numbers: chapter 01's neuron with a target, one sample "
               "(m = 1)\n"
            << "  x = " << triple(h.x) << ", w = " << triple(h.w) << ", b = " << nn::num(h.b)
            << ", t = " << nn::num(h.t) << ", cross-entropy loss\n"
            << "  forward   z = w.x + b = " << nn::num(h.z)
            << ",  y = sigmoid(z) = " << nn::num(h.y) << ",  L = -ln y = " << nn::num(h.L)
            << "\n"
            << "  backward  dL/dy = -t/y + (1 - t)/(1 - y) = " << nn::num(h.dL_dy) << "\n"
            << "            dy/dz = y (1 - y) = " << nn::num(h.dy_dz) << "\n"
            << "            dL/dz = dL/dy * dy/dz = " << nn::num(h.dz) << " = y - t\n"
            << "            dL/dw = dL/dz * x = " << triple(h.g.dw) << "\n"
            << "            dL/db = dL/dz * 1 = " << nn::num(h.g.db) << "\n"
            << "  backward() on the same sample: dw = " << triple(g.dw)
            << ", db = " << nn::num(g.db) << "\n"
            << "  one step with lr = 1: w - lr dw = w + lr (t - y) x = " << triple(h.w - g.dw)
            << "\n\n";
  return h;
}

// ---------------------------------------------------------------------------------------
// 4. Checking the gradient against finite differences
// ---------------------------------------------------------------------------------------

// [listing check]
// The backward pass against central differences of the loss, at random weights on random
// data, in double precision: theta = (w1, w2, b).
double gradient_check(Loss loss) {
  const arma::mat X = arma::randn<arma::mat>(2, 16);  // 16 random samples   (2 x 16)
  const arma::urowvec coin = arma::randu<arma::rowvec>(16) > 0.5;
  const arma::rowvec T = arma::conv_to<arma::rowvec>::from(coin);  // random 0/1 targets
  const arma::vec theta0 = arma::randn<arma::vec>(3);              // random w1, w2, b

  auto L = [&](const arma::mat& theta) {
    return loss_of(loss, Neuron{theta.rows(0, 1), theta(2)}, X, T);
  };
  const Neuron neuron{theta0.rows(0, 1), theta0(2)};
  const Gradient g = backward(loss, X, forward(neuron, X), T);
  const arma::vec analytic = {g.dw(0), g.dw(1), g.db};
  return nn::relative_error(analytic, nn::numerical_gradient(L, theta0));
}
// [end check]

void section4_check_gradients() {
  std::cout << "Gradient check: backward() against central differences of the loss,\n"
               "at random weights on random data (double precision)\n";
  for (Loss l : {Loss::bce, Loss::mse})
    std::cout << "  " << (to_string(l) + "       ").substr(0, 16) << "relative error "
              << nn::num(gradient_check(l), "%.1e") << "   (must be < 1e-7)\n";
}

// ---------------------------------------------------------------------------------------
// 5. Gradient descent
// ---------------------------------------------------------------------------------------

// Where training went: the neuron and the loss before each update (entry 0 is the start,
// the last entry the trained neuron).
struct Run {
  Loss loss;
  double learning_rate;
  std::vector<Neuron> path;
  std::vector<double> losses;
};

// [listing train]
// Full-batch gradient descent from `neuron` (part 1 of the five, initialise, is the caller's
// choice of start): parts 2 to 5, forward, loss, backward, update, `epochs` times.
// A run whose loss blows up (NaN, inf, or 10 times its start) stops the chapter
// (stop_if_diverged throws), unless the caller only wants to see how far it got (the
// learning-rate figure): then the run just ends.
enum class OnDivergence { stop_chapter, end_run };

Run train(Loss loss, const nn::Dataset& data, Neuron neuron, double learning_rate, int epochs,
          OnDivergence on_divergence = OnDivergence::stop_chapter) {
  const arma::rowvec T = arma::conv_to<arma::rowvec>::from(data.t);  // targets T (1 x m)
  Run run{loss, learning_rate, {}, {}};
  for (int epoch = 0; epoch <= epochs; ++epoch) {             // epoch 0 records the start
    const arma::rowvec Z = neuron.w.t() * data.X + neuron.b;  // 2. forward  (1 x m)
    const arma::rowvec A = nn::sigmoid(arma::mat(Z));         //    A is Y, the outputs
    const double L = loss_of(loss, Z, A, T);                  // 3. loss
    const double start = run.losses.empty() ? L : run.losses.front();  // epoch 0's loss
    if (on_divergence == OnDivergence::end_run && nn::has_diverged(L, start)) break;
    nn::stop_if_diverged(L, epoch, learning_rate, start);
    run.path.push_back(neuron);
    run.losses.push_back(L);
    if (epoch == epochs) break;  // the trained neuron: measured, not updated
    const Gradient g = backward(loss, data.X, A, T);  // 4. backward
    neuron.w -= learning_rate * g.dw;                 // 5. update: a step downhill
    neuron.b -= learning_rate * g.db;
  }
  return run;
}
// [end train]

double accuracy(const Neuron& neuron, const nn::Dataset& data) {
  const arma::rowvec A = forward(neuron, data.X);
  const arma::urowvec predicted = A >= 0.5;
  return static_cast<double>(arma::accu(predicted == data.t.t())) / data.size();
}

// Section 5's two runs, from the same start: one with the loss --loss chose, one with the
// other loss.
struct Descent {
  Neuron start;
  Run chosen, other;
  const Run& bce() const { return chosen.loss == Loss::bce ? chosen : other; }
  const Run& mse() const { return chosen.loss == Loss::mse ? chosen : other; }
};

// Trains with both losses from a confidently wrong start and prints the loss and accuracy
// of both, every tenth of the way.
Descent section5_gradient_descent(const nn::Dataset& data, const Settings& s) {
  const Loss loss = loss_from_flag(s.loss);
  const Loss other = loss == Loss::bce ? Loss::mse : Loss::bce;
  // [listing start]
  // 1. initialise: a start that is confidently wrong, w points away from class 1.
  const Neuron start{{-5.0, -4.0}, 0.0};
  // [end start]
  std::cout << "Start: w = (" << nn::num(start.w(0)) << ", " << nn::num(start.w(1))
            << "), b = " << nn::num(start.b) << ", accuracy "
            << nn::percent(accuracy(start, data)) << "\n\n";

  std::cout << "Gradient descent, learning rate " << nn::num(s.learning_rate) << ", "
            << s.epochs << " epochs, the same start for both losses\n";
  Descent d{start, train(loss, data, start, s.learning_rate, s.epochs),
            train(other, data, start, s.learning_rate, s.epochs)};
  std::cout << "           " << to_string(loss) << "           " << to_string(other) << "\n"
            << "  epoch      loss  accuracy         loss  accuracy\n";
  for (int e = 0; e <= s.epochs; e += std::max(1, s.epochs / 10)) {
    char row[96];
    std::snprintf(row, sizeof row, "  %5d   %7.4f   %6.1f%%      %7.4f   %6.1f%%\n", e,
                  d.chosen.losses[e], 100 * accuracy(d.chosen.path[e], data), d.other.losses[e],
                  100 * accuracy(d.other.path[e], data));
    std::cout << row;
  }
  std::cout << "\n";
  return d;
}

// ---------------------------------------------------------------------------------------
// 6. Why cross-entropy: how hard each loss pushes a neuron that is wrong
// ---------------------------------------------------------------------------------------

// dL/dz for one sample with target t = 1 (m = 1), for each loss.
double dL_dz(Loss loss, double z) {
  const double y = nn::sigmoid(z);
  return loss == Loss::mse ? 2.0 * (y - 1.0) * y * (1.0 - y) : y - 1.0;
}

void section6_why_cross_entropy() {
  std::cout << "How hard each loss pushes one sample with target t = 1 (dL/dz):\n"
            << "      z        y = sigmoid(z)   squared error   cross-entropy\n";
  for (double z : {-8.0, -4.0, -2.0, 0.0, 2.0, 4.0})
    std::cout << nn::num(z, "%7.0f") << nn::num(nn::sigmoid(z), "%22.5f")
              << nn::num(dL_dz(Loss::mse, z), "%16.5f")
              << nn::num(dL_dz(Loss::bce, z), "%16.5f") << "\n";
  std::cout << "At z = -8 (confidently wrong), cross-entropy pushes "
            << nn::num(dL_dz(Loss::bce, -8) / dL_dz(Loss::mse, -8), "%.0f")
            << " times harder than squared error.\n\n";
}

// ---------------------------------------------------------------------------------------
// 7. The learning rate
// ---------------------------------------------------------------------------------------

// [listing curvature]
// The largest eigenvalue of a symmetric 3 x 3 matrix H, in closed form (O. K. Smith, 1961).
// Shift and scale H to B = (H - q I) / p, with q = trace(H) / 3 (the mean eigenvalue) and
// p = sqrt(trace((H - q I)^2) / 6). B's eigenvalues beta then sum to 0 and their squares to
// 6, so they are the roots of beta^3 - 3 beta - det(B) = 0, which are beta = 2 cos(theta +
// 2 pi k / 3) with cos(3 theta) = det(B) / 2. The largest is k = 0: lambda = q + 2 p
// cos(theta).
double largest_eigenvalue(const arma::mat& H) {
  const double q = arma::trace(H) / 3.0;
  const arma::mat S = H - q * arma::eye(3, 3);  // H - q I, (3 x 3), symmetric
  const double p = std::sqrt(arma::accu(S % S) / 6.0);
  if (p == 0.0) return q;  // H = q I: every eigenvalue is q
  const double det_S = S(0, 0) * (S(1, 1) * S(2, 2) - S(1, 2) * S(1, 2)) -
                       S(0, 1) * (S(0, 1) * S(2, 2) - S(1, 2) * S(0, 2)) +
                       S(0, 2) * (S(0, 1) * S(1, 2) - S(1, 1) * S(0, 2));
  const double r = std::clamp(det_S / (p * p * p) / 2.0, -1.0, 1.0);  // rounding may pass 1
  return q + 2.0 * p * std::cos(std::acos(r) / 3.0);
}

// How sharply the cross-entropy loss curves at `neuron`, along its most curved direction:
// the largest eigenvalue of its Hessian (the matrix of second derivatives),
//     H = 1/m sum y (1 - y) x~ x~^T      with x~ = (x1, x2, 1), one column per sample.
// Near a minimum, a step of size lr along that direction multiplies the distance to the
// minimum by (1 - lr lambda): it overshoots when lr lambda > 1 and grows when lr lambda > 2.
double largest_curvature(const Neuron& neuron, const arma::mat& X) {
  const arma::rowvec A = forward(neuron, X);
  const arma::mat Xt = arma::join_cols(X, arma::ones<arma::rowvec>(X.n_cols));  // (3 x m)
  const arma::mat Xs = Xt.each_row() % (A % (1.0 - A));                         // (3 x m)
  const arma::mat H = Xs * Xt.t() / static_cast<double>(X.n_cols);              // (3 x 3)
  return largest_eigenvalue(H);
}
// [end curvature]

// Three learning rates for cross-entropy, whatever --loss says (the verdicts are for it),
// from section 5's start. A run that blows up ends where it did, and is drawn up to there.
const std::vector<double> kRates = {0.05, 1.0, 50.0};
const std::vector<std::string> kVerdicts = {"too small", "good", "too large"};

std::vector<Run> section7_learning_rates(const nn::Dataset& data, const Descent& d,
                                         int epochs) {
  std::vector<Run> sweep;
  for (double lr : kRates)
    sweep.push_back(train(Loss::bce, data, d.start, lr, epochs, OnDivergence::end_run));
  const double lambda = largest_curvature(d.bce().path.back(), data.X);
  std::cout << "Learning rates (cross-entropy, same start, " << epochs << " epochs)\n"
            << "  largest curvature of the cross-entropy at the trained neuron: lambda = "
            << nn::num(lambda) << "\n"
            << "  near the minimum a step overshoots it when lr > 1/lambda = "
            << nn::num(1 / lambda) << ",\n"
            << "  and lands further from it than it started when lr > 2/lambda = "
            << nn::num(2 / lambda) << "\n";
  for (std::size_t k = 0; k < sweep.size(); ++k) {
    const Run& r = sweep[k];
    std::cout << "  lr = " << nn::num(kRates[k], "%-5g") << "  final loss "
              << nn::num(r.losses.back(), "%.4f");
    if (static_cast<int>(r.losses.size()) <= epochs)
      std::cout << " (diverged at epoch " << r.losses.size() << ")";
    std::cout << "   " << kVerdicts[k] << "\n";
  }
  std::cout << "\n";
  return sweep;
}

// ---------------------------------------------------------------------------------------
// 8. The figures
// ---------------------------------------------------------------------------------------

// The loss surface over (w1, w2) and the path gradient descent took. The loss is a function
// of three numbers (w1, w2, b) and a picture shows two: each panel is the slice through the
// bias its run ended with, so the path ends on the surface drawn.
constexpr arma::uword kSurfaceGrid = 61;  // grid points per axis

void draw_surface_panel(nn::Plot& plot, const Run& run, const nn::Dataset& data, double half) {
  const arma::rowvec T = arma::conv_to<arma::rowvec>::from(data.t);
  const double b = run.path.back().b;
  const nn::Grid grid(-half, half, -half, half, kSurfaceGrid);
  const arma::mat P = grid.points();  // (2 x G): one (w1, w2) per column
  arma::rowvec L(P.n_cols);
  for (arma::uword k = 0; k < P.n_cols; ++k)
    L(k) = loss_of(run.loss, Neuron{P.col(k), b}, data.X, T);
  const arma::mat V = grid.reshape(L);
  plot.title(to_string(run.loss) + " (b = " + nn::num(b, "%.2f") + ")")
      .xlabel("w_1")
      .ylabel("w_2")
      .cblabel("loss")
      .square()
      .xrange(-half, half)
      .yrange(-half, half)
      .key("top left");
  plot.heatmap("loss", grid.xs, grid.ys, V);
  std::vector<double> levels;
  const double lo = V.min(), hi = V.max();
  for (int k = 1; k <= 12; ++k) levels.push_back(lo + (hi - lo) * std::pow(k / 13.0, 2.0));
  plot.contour("contours", grid.xs, grid.ys, V, levels,
               {.colour = 7, .width = 0.8, .in_key = false});
  arma::vec w1(run.path.size()), w2(run.path.size()), loss(run.losses);
  for (std::size_t k = 0; k < run.path.size(); ++k) {
    w1(k) = run.path[k].w(0);
    w2(k) = run.path[k].w(1);
  }
  plot.line("gradient descent", w1, w2, {.colour = 4, .width = 3}, loss);
  plot.points("start", {w1(0)}, {w2(0)}, {.colour = 7, .point_size = 2, .point_type = 5});
  plot.points("end", {w1(w1.n_elem - 1)}, {w2(w2.n_elem - 1)},
              {.colour = 4, .point_size = 2.2, .point_type = 7});
}

void draw_surface(const Run& bce, const Run& mse, const nn::Dataset& data,
                  const std::string& out) {
  // The square drawn: at least [-6, 6]^2, larger if a path goes further.
  double half = 6.0;
  for (const Run* r : {&bce, &mse})
    for (const Neuron& n : r->path)
      half = std::max(half, std::ceil(arma::abs(n.w).max() + 0.5));
  nn::Figure fig("loss_surface", 1300, 620);
  fig.layout(1, 2,
             "The loss over (w_1, w_2) and the path of gradient descent: same start, "
             "learning rate " +
                 nn::num(bce.learning_rate) + ", " + std::to_string(bce.path.size() - 1) +
                 " epochs");
  draw_surface_panel(fig.panel(0), bce, data, half);
  draw_surface_panel(fig.panel(1), mse, data, half);
  fig.save(out);
}

// The loss per epoch for three learning rates.
void draw_learning_rates(const std::vector<Run>& runs, const std::string& out) {
  nn::Figure fig("learning_rates", 900, 520);
  fig.title("Loss per epoch for three learning rates (" + to_string(runs[0].loss) + ")")
      .xlabel("epoch")
      .ylabel("loss")
      .logscale_y()
      .key("top right");
  int epochs = 0;  // the longest run: every run that did not diverge
  for (const Run& r : runs) epochs = std::max(epochs, static_cast<int>(r.losses.size()) - 1);

  fig.xrange(0, epochs);
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const Run& r = runs[k];
    const int last = static_cast<int>(r.losses.size()) - 1;
    const std::string diverged =
        last < epochs ? ", diverged at epoch " + std::to_string(last + 1) : "";
    const arma::vec epoch = arma::regspace(0, last);
    fig.line("lr = " + nn::num(r.learning_rate) + " (" + kVerdicts[k] + diverged + ")", epoch,
             arma::vec(r.losses), {.colour = static_cast<int>(k), .width = 2.5});
  }
  fig.save(out);
}

// The worked example as a computation graph: every forward value, every local derivative,
// every gradient.
void draw_graph(const ByHand& h, const std::string& out) {
  std::vector<nn::GraphNode> nodes;
  std::vector<nn::GraphEdge> edges;
  const int kInput = 0, kParameter = 1, kComputed = 2, kLoss = 7;  // disc colours
  const double mid = 5.5;                                          // the row of z, y, L
  for (int i = 0; i < 3; ++i) {  // nodes 2i and 2i + 1: w_i and x_i, numbers on the left
    const std::string k = std::to_string(i + 1);
    const double row = 9.5 - 3.5 * i;
    nodes.push_back({"w" + k, "w_" + k, 0.0, row + 0.65, h.w(i), h.g.dw(i), kParameter, true});
    nodes.push_back({"x" + k, "x_" + k, 0.0, row - 0.65, h.x(i), h.dz * h.w(i), kInput, true});
  }
  for (int i = 0; i < 3; ++i) {  // nodes 6 to 8: the products w_i x_i
    const std::string k = std::to_string(i + 1);
    nodes.push_back({"w" + k + "x" + k, "×", 4.2, 9.5 - 3.5 * i, h.w(i) * h.x(i), h.dz,
                     kComputed, false, "(w_" + k + "x_" + k + ")"});
  }
  const std::size_t z = 9, y = 10, L = 11, b = 12;
  nodes.push_back({"z", "z", 7.6, mid, h.z, h.dz, kComputed});
  nodes.push_back({"y", "y", 11.2, mid, h.y, h.dL_dy, kComputed});
  nodes.push_back({"L", "L", 14.8, mid, h.L, 1.0, kLoss});
  nodes.push_back({"b", "b", 4.2, 0.4, h.b, h.g.db, kParameter});  // the sum's fourth term
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string k = std::to_string(i + 1);
    edges.push_back({2 * i, 6 + i, h.x(i), "∂/∂w_" + k + " = x_" + k, 0.0, 0.4});
    edges.push_back({2 * i + 1, 6 + i, h.w(i), "∂/∂x_" + k + " = w_" + k, -0.48, 0.4});
    edges.push_back({6 + i, z, 1.0, "∂z/∂(w_" + k + "x_" + k + ")", 0.0, 0.4});
  }
  edges.push_back({b, z, 1.0, "∂z/∂b", 0.0, 0.4});
  edges.push_back({z, y, h.dy_dz, "∂y/∂z = y(1 - y)"});
  edges.push_back({y, L, h.dL_dy, "∂L/∂y = -1/y"});
  nn::Figure fig("graph", 1300, 820);
  fig.title(
      "Chapter 01's neuron with target t = 1: forward values (black), local derivatives "
      "on the edges, gradients ∂L/∂· (red)");
  fig.xrange(-2.6, 16.0).yrange(-0.6, 10.9);
  nn::draw_graph(fig, nodes, edges);
  fig.label(14.8, mid - 1.35, "L = -ln y, as t = 1", "center", 12, "#555555");
  fig.label(4.2, 10.9 - 0.4, "products", "center", 12, "#555555");
  fig.label(7.6, mid + 1.3, "sum", "center", 12, "#555555");
  fig.label(11.2, mid + 1.3, "sigmoid", "center", 12, "#555555");
  fig.save(out);
}

// How hard each loss pushes a sample with t = 1, against z.
void draw_gradients(const std::string& out) {
  nn::Figure fig("gradients", 900, 520);
  fig.title("How hard each loss pushes a sample with target t = 1")
      .xlabel("z = w·x + b")
      .ylabel("|dL/dz|  (log scale)")
      .logscale_y()
      .yrange(1e-5, 10)
      .command("set format y '10^{%L}'")
      .key("bottom right");
  fig.arrow(0, 1e-5, 0, 10, 1.2, "#888888", false);
  fig.label(-5, 4, "z < 0: the neuron says 0, wrongly", "center", 12, "#555555");
  fig.label(2, 4, "z > 0: it says 1, rightly", "center", 12, "#555555");

  const arma::vec z = arma::linspace(-10, 4, 141);
  for (Loss loss : {Loss::bce, Loss::mse}) {
    arma::vec push(z.n_elem);
    for (arma::uword k = 0; k < z.n_elem; ++k) push(k) = std::abs(dL_dz(loss, z(k)));
    fig.line(to_string(loss), z, push, {.colour = loss == Loss::bce ? 4 : 0, .width = 2.5});
  }
  fig.save(out);
}

// The trained neuron over the data: its output, its line.
void draw_boundary(const Run& run, const nn::Dataset& data, const std::string& out) {
  const Neuron& neuron = run.path.back();
  const nn::Grid grid(-4.5, 4.5, -4, 4, 101);
  const arma::rowvec Y = forward(neuron, grid.points());  // (1 x 101*101)
  nn::Figure fig("boundary", 820, 740);
  fig.title("The trained neuron (" + to_string(run.loss) +
            "): " + nn::percent(accuracy(neuron, data)) + " of the points on their side")
      .xlabel("x_1")
      .ylabel("x_2")
      .cblabel("output y = sigmoid(w·x + b)")
      .cbrange(0, 1)
      .square()
      .xrange(-4.5, 4.5)
      .yrange(-4, 4)
      .key("below horizontal");
  fig.heatmap("y", grid.xs, grid.ys, grid.reshape(Y), true, 0, 1);
  // Light tints instead of full colours behind the points, so the points stand out.
  fig.command("set palette defined (0 '" + nn::tint(0) + "', 1 '#FFFFFF', 2 '" + nn::tint(1) +
              "')");
  fig.classes(data.X, data.t, {"class 0 (t = 0)", "class 1 (t = 1)"});
  // The line w . x + b = 0, where y = 0.5: through the point -b w / |w|^2 (the nearest to
  // the origin), perpendicular to w. Drawn long; the plot clips it.
  const arma::vec foot = -neuron.b * neuron.w / arma::dot(neuron.w, neuron.w);
  const arma::vec along = arma::vec{-neuron.w(1), neuron.w(0)} / arma::norm(neuron.w);
  const arma::vec x1 = {foot(0) - 20 * along(0), foot(0) + 20 * along(0)};
  const arma::vec x2 = {foot(1) - 20 * along(1), foot(1) + 20 * along(1)};
  fig.line("w·x + b = 0  (y = 0.5)", x1, x2, {.colour = 7, .width = 3});

  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// 9. The program: the flags, the sections, the figures, the results
// ---------------------------------------------------------------------------------------

void add_flags(CLI::App& app, Settings& s) {
  app.add_option("--learning-rate", s.learning_rate, "Step size lr of gradient descent")
      ->check(nn::FinitePositive)
      ->capture_default_str();
  app.add_option("--epochs", s.epochs, "Gradient-descent steps (each sees all samples)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--loss", s.loss, "bce (cross-entropy) or mse (squared error)")
      ->check(CLI::IsMember({"bce", "mse"}))
      ->capture_default_str();
}

// The short results block: section 5's trained neuron, and the other loss's for comparison.
void print_results(const Descent& d, const nn::Dataset& data, const Settings& s) {
  const Neuron& trained = d.chosen.path.back();
  std::cout << "Results (" << to_string(d.chosen.loss) << ", learning rate "
            << nn::num(s.learning_rate) << ", " << s.epochs << " epochs)\n"
            << "  final loss " << nn::num(d.chosen.losses.back(), "%.4f") << ", accuracy "
            << nn::percent(accuracy(trained, data)) << "\n"
            << "  w = (" << nn::num(trained.w(0), "%.3f") << ", "
            << nn::num(trained.w(1), "%.3f") << "), b = " << nn::num(trained.b, "%.3f") << "\n"
            << "  " << to_string(d.other.loss) << " from the same start: final loss "
            << nn::num(d.other.losses.back(), "%.4f") << ", accuracy "
            << nn::percent(accuracy(d.other.path.back(), data)) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli("03_gradient_descent",
                      "Chapter 03: one sigmoid neuron trained by gradient descent");
  Settings s;
  add_flags(cli.app(), s);
  if (auto code = cli.parse(argc, argv)) return *code;
  nn::make_reproducible(cli.seed());

  try {
    std::cout << "Chapter 03: gradient descent\n"
              << "============================\n\n";
    // Sections 2 and 3 (the neuron, its loss, the chain rule) are the functions section 4
    // checks; section 3 also works the chain rule through one sample by hand. Section 4
    // comes before any training: nothing should trust a gradient that has not been checked.
    const ByHand by_hand = section3_chain_rule_with_numbers();
    section4_check_gradients();
    const nn::Dataset data = section1_the_data(cli.seed());
    const Descent descent = section5_gradient_descent(data, s);
    section6_why_cross_entropy();
    const std::vector<Run> rates = section7_learning_rates(data, descent, s.epochs);

    // The figures, once every run has succeeded.
    const std::string& out = cli.out_dir();
    draw_graph(by_hand, out);
    draw_surface(descent.bce(), descent.mse(), data, out);
    draw_learning_rates(rates, out);
    draw_gradients(out);
    draw_boundary(descent.chosen, data, out);
    print_results(descent, data, s);
    std::cout << "Figures: graph, loss_surface, learning_rates, gradients, boundary (.png, "
                 ".csv) in "
              << out << "\n";
  } catch (const std::exception& e) {
    std::cerr << "03_gradient_descent: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
