// Chapter 05: backpropagation, or how a network learns XOR from random weights
// ===========================================================================================
// What you learn: the blog post's five parts of training, written as five functions:
//     1. initialise   random weights, zero biases
//     2. forward      Z1 = W1 X + b1, A1 = g(Z1), Z2 = W2 A1 + b2, A2 = sigmoid(Z2)
//     3. loss         binary cross-entropy between the output Y = A2 and the targets T
//     4. backward     every gradient, by the chain rule, from the output back to W1
//     5. update       one step of gradient descent: W <- W - learning_rate * dW
// A 2-H-1 network (tanh hidden units, a sigmoid output) repeats them and learns XOR, the
// function chapter 02's single neuron could not. A finite-difference check confirms that
// backward() computes the true gradient of loss(), before any training trusts it, and one
// sample is worked through the random start by hand, with its computation graph.
//
// Run:   ./tutorial 05        or   build/release/chapters/05_backpropagation [--help]
//        [--epochs 2000] [--learning-rate 1] [--hidden 4] [--hidden-activation tanh]
//        [--survey-seeds 50] [--seed 42] [--out DIR]
// Draws (into build/release/output/05_backpropagation/, or --out DIR):
//   loss.png             the loss, epoch by epoch (log scale)
//   boundary.png         the network's output over the plane at four moments of training
//   hidden_units.png     what each hidden neuron computes, with its line w.x + b = 0
//   network.png          the trained network as a diagram, with its weights
//   graph.png            one sample through the random start: the computation graph with
//                        every forward value, local derivative and gradient
//   seeds.png            loss curves from 50 random starts for 2, 3, 4 and 8 hidden units:
//                        some starts get stuck (--survey-seeds N: another number of starts)
//   stuck.png            the first start that got stuck, drawn like hidden_units.png
#include <armadillo>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/cli.hpp"
#include "common/diagram.hpp"
#include "common/divergence.hpp"
#include "common/format.hpp"
#include "common/gradient_check.hpp"
#include "common/graph_figure.hpp"
#include "common/grid.hpp"
#include "common/plot.hpp"
#include "common/reproducible.hpp"
#include "common/toy_data.hpp"

namespace {

// Shapes, for m samples and H = n_1 hidden units (one sample per column; the letters of
// chapter 01's notation table):
//   X  (2 x m)   inputs            T  (1 x m)   targets, 0 or 1
//   W1 (H x 2)   b1 (H)            Z1, A1 (H x m)   the hidden layer
//   W2 (1 x H)   b2 (1)            Z2, A2 (1 x m)   the output layer; A2 is the output Y

// The chapter's flags (--seed and --out are every chapter's, in nn::CommandLine).
struct Settings {
  long epochs = 2000;
  double learning_rate = 1.0;
  arma::uword hidden = 4;  // H
  std::string hidden_activation = "tanh";
  unsigned n_seeds = 50;  // section 8's random starts for each network size
};

// ---------------------------------------------------------------------------------------
// The network, what a forward pass remembers, and the gradients
// ---------------------------------------------------------------------------------------

// [listing network]
struct TwoLayerNet {
  nn::Activation g;  // the hidden units' activation (tanh unless --hidden-activation)
  arma::mat W1;      // (H x 2)  row j: the weights of hidden unit j
  arma::vec b1;      // (H)
  arma::mat W2;      // (1 x H)  how much each hidden unit counts in the output
  arma::vec b2;      // (1)
};

// What the forward pass computes and the backward pass needs again.
struct Cache {
  arma::mat Z1, A1;  // (H x m)
  arma::mat Z2, A2;  // (1 x m)
};

// dW1 is dL/dW1, and so on: each has the shape of its parameter.
struct Gradients {
  arma::mat dW1;  // (H x 2)
  arma::vec db1;  // (H)
  arma::mat dW2;  // (1 x H)
  arma::vec db2;  // (1)
};
// [end network]

// ---------------------------------------------------------------------------------------
// 1. Initialise the parameters
// ---------------------------------------------------------------------------------------

// [listing initialise]
// Weights drawn from a standard normal distribution, biases zero. The weights must differ:
// hidden units that start equal receive equal gradients and stay equal forever.
TwoLayerNet initialise(arma::uword n_inputs, arma::uword n_hidden, nn::Activation g) {
  TwoLayerNet net;
  net.g = g;
  net.W1 = arma::randn(n_hidden, n_inputs);  // (H x 2)
  net.b1 = arma::zeros(n_hidden);            // (H)
  net.W2 = arma::randn(1, n_hidden);         // (1 x H)
  net.b2 = arma::zeros(1);                   // (1)
  return net;
}
// [end initialise]

// ---------------------------------------------------------------------------------------
// 2. Forward propagation
// ---------------------------------------------------------------------------------------

// [listing forward]
Cache forward(const TwoLayerNet& net, const arma::mat& X) {  // X is (2 x m)
  Cache c;
  c.Z1 = net.W1 * X;  // (H x 2)(2 x m) = (H x m)
  c.Z1.each_col() += net.b1;
  c.A1 = nn::activate(net.g, c.Z1);  // (H x m)
  c.Z2 = net.W2 * c.A1;              // (1 x H)(H x m) = (1 x m)
  c.Z2.each_col() += net.b2;
  c.A2 = nn::sigmoid(c.Z2);  // (1 x m): Y, the network's P(t = 1) for each sample
  return c;
}
// [end forward]

// ---------------------------------------------------------------------------------------
// 3. Compute the loss
// ---------------------------------------------------------------------------------------

// [listing loss]
// Binary cross-entropy of the outputs Y = A2, averaged over the m samples:
//   L = -(1/m) sum_s [ t_s ln y_s + (1 - t_s) ln(1 - y_s) ]
// With t_s either 0 or 1, one of the two terms is zero, and -ln of the probability the
// network gives the right answer is what is left.
double loss(const arma::mat& A2, const arma::mat& T) {  // both (1 x m)
  const arma::mat R = T % A2 + (1 - T) % (1 - A2);      // y_s if t_s = 1, else 1 - y_s
  return -arma::accu(arma::log(R)) / static_cast<double>(T.n_cols);
}
// [end loss]

// ---------------------------------------------------------------------------------------
// 4. Backpropagation
// ---------------------------------------------------------------------------------------

// [listing backward]
// The chain rule, from the loss back to the first layer (the text derives each line).
// Every d is a gradient of the mean loss L; its 1/m enters once, in dZ2.
Gradients backward(const TwoLayerNet& net, const Cache& c, const arma::mat& X,
                   const arma::mat& T) {
  const double m = static_cast<double>(X.n_cols);
  Gradients grads;
  // The output layer: z2 = W2 a1 + b2, y = a2 = sigmoid(z2)
  const arma::mat dZ2 = (c.A2 - T) / m;  // (1 x m)  for sigmoid + mean cross-entropy
  grads.dW2 = dZ2 * c.A1.t();            // (1 x m)(m x H) = (1 x H)
  grads.db2 = arma::sum(dZ2, 1);         // (1)      the row sums of dZ2
  // Back into the hidden layer: z1 = W1 x + b1, a1 = g(z1)
  const arma::mat dA1 = net.W2.t() * dZ2;  // (H x 1)(1 x m) = (H x m)
  // g'(Z1), the activation's derivative at every hidden unit and sample (H x m)
  const arma::mat g_prime = nn::activation_derivative(net.g, c.Z1);
  const arma::mat dZ1 = dA1 % g_prime;  // (H x m)  % multiplies element by element
  grads.dW1 = dZ1 * X.t();              // (H x m)(m x 2) = (H x 2)
  grads.db1 = arma::sum(dZ1, 1);        // (H)
  return grads;
}
// [end backward]

// One sample through the network, by hand: every number of the forward and the backward
// pass, for the figure graph.png and the printout. m = 1, so dz2 = y - t.
struct OneSample {
  arma::vec x;
  double t = 0;
  arma::vec z1, a1;  // (H)
  double z2 = 0, y = 0, L = 0;
  double dL_dy = 0, dy_dz2 = 0, dz2 = 0;  // the output's two links and their product
  arma::vec da1, g_prime, dz1;            // (H)
  Gradients grads;                        // by hand, from the lines above
};

// [listing by_hand]
OneSample backward_by_hand(const TwoLayerNet& net, const arma::vec& x, double t) {
  OneSample o;
  o.x = x;
  o.t = t;
  o.z1 = net.W1 * x + net.b1;                                // forward   (H)
  o.a1 = nn::activate(net.g, arma::mat(o.z1)).col(0);        //           (H)
  o.z2 = arma::dot(net.W2.row(0), o.a1) + net.b2(0);         //           (1)
  o.y = nn::sigmoid(o.z2);                                   //           y = a2
  o.L = -(t * std::log(o.y) + (1 - t) * std::log(1 - o.y));  //           the loss
  o.dL_dy = -t / o.y + (1 - t) / (1 - o.y);                  // backward
  o.dy_dz2 = o.y * (1 - o.y);
  o.dz2 = o.dL_dy * o.dy_dz2;                                            // = y - t
  o.grads.dW2 = o.dz2 * o.a1.t();                                        // (1 x H)
  o.grads.db2 = arma::vec{o.dz2};                                        // (1)
  o.da1 = net.W2.row(0).t() * o.dz2;                                     // (H)
  o.g_prime = nn::activation_derivative(net.g, arma::mat(o.z1)).col(0);  // (H)
  o.dz1 = o.da1 % o.g_prime;                                             // (H)
  o.grads.dW1 = o.dz1 * x.t();                                           // (H x 2)
  o.grads.db1 = o.dz1;                                                   // (H)
  return o;
}
// [end by_hand]

// ---------------------------------------------------------------------------------------
// 5. Update the parameters
// ---------------------------------------------------------------------------------------

// [listing update]
// One step of gradient descent: move every parameter a little against its gradient.
void update(TwoLayerNet& net, const Gradients& grads, double learning_rate) {
  net.W1 -= learning_rate * grads.dW1;
  net.b1 -= learning_rate * grads.db1;
  net.W2 -= learning_rate * grads.dW2;
  net.b2 -= learning_rate * grads.db2;
}
// [end update]

// ---------------------------------------------------------------------------------------
// 6. Training: the five parts in a loop
// ---------------------------------------------------------------------------------------

struct Snapshot {
  long epoch;
  TwoLayerNet net;  // as it was at that epoch
};

struct Training {
  TwoLayerNet net;                  // after the last update
  std::vector<double> losses;       // losses[e]: the loss after e updates, e = 0..epochs
  std::vector<Snapshot> snapshots;  // the network at the epochs asked for
};

// [listing train]
Training train(const arma::mat& X, const arma::mat& T, arma::uword n_hidden, nn::Activation g,
               long epochs, double learning_rate, const std::vector<long>& snapshot_at = {}) {
  Training t{initialise(X.n_rows, n_hidden, g), {}, {}};  // 1. initialise
  for (long epoch = 0; epoch <= epochs; ++epoch) {
    const Cache cache = forward(t.net, X);  // 2. forward
    const double L = loss(cache.A2, T);     // 3. loss
    t.losses.push_back(L);
    nn::stop_if_diverged(L, epoch, learning_rate, t.losses.front());  // NaN, inf, 10 x start
    if (std::ranges::find(snapshot_at, epoch) != snapshot_at.end())
      t.snapshots.push_back({epoch, t.net});  // kept for boundary.png
    // The last pass only measures the trained network; every other one also learns.
    if (epoch < epochs) {
      const Gradients grads = backward(t.net, cache, X, T);  // 4. backward
      update(t.net, grads, learning_rate);                   // 5. update
    }
  }
  return t;
}
// [end train]

// Every output on the right side of 0.5: the network computes XOR.
bool solves(const TwoLayerNet& net, const arma::mat& X, const arma::mat& T) {
  const arma::mat A2 = forward(net, X).A2;
  for (arma::uword i = 0; i < T.n_cols; ++i)
    if ((A2(0, i) > 0.5) != (T(0, i) > 0.5)) return false;
  return true;
}

// The run the text follows. Prints the loss at epochs 0, 1, 2, 5, 10, 20, 50, ... and at the
// end; returns every epoch's loss and the network at the moments boundary.png shows.
Training section6_learn_xor(const arma::mat& X, const arma::mat& T, const Settings& s,
                            unsigned seed) {
  std::cout << "Learning XOR with a 2-" << s.hidden << "-1 network (" << s.hidden_activation
            << " hidden units, a sigmoid output, binary cross-entropy),\n"
            << "full-batch gradient descent: " << s.epochs << " epochs, learning rate "
            << nn::num(s.learning_rate) << ", seed " << seed << ".\n\n";
  // The moments boundary.png shows: the random start, two early epochs and the end.
  std::vector<long> snapshot_at = {0};
  for (long e : {10L, 50L, s.epochs})
    if (e <= s.epochs && e > snapshot_at.back()) snapshot_at.push_back(e);
  const nn::Activation g = nn::activation_from_string(s.hidden_activation);
  Training t = train(X, T, s.hidden, g, s.epochs, s.learning_rate, snapshot_at);

  std::vector<long> shown = {0};
  for (long decade = 1; decade < s.epochs; decade *= 10)
    for (long step : {1L, 2L, 5L})
      if (step * decade < s.epochs) shown.push_back(step * decade);
  shown.push_back(s.epochs);
  std::cout << "  epoch      loss\n";
  for (long e : shown) std::printf("  %5ld   %.6f\n", e, t.losses[e]);
  return t;
}

// ---------------------------------------------------------------------------------------
// 7. Checking the gradients against finite differences
// ---------------------------------------------------------------------------------------

struct GradientCheck {
  std::string name;
  double relative_error;
};

// [listing gradient_check]
// Random weights, random inputs and random targets: nothing the check could get lucky on.
// For each parameter theta, f(theta) is the loss with that parameter replaced (the others
// fixed); its central differences must agree with backward()'s dtheta.
std::vector<GradientCheck> check_gradients(arma::uword n_hidden, nn::Activation g) {
  const arma::uword m = 5;
  const arma::mat X = arma::randn(2, m);                                        // (2 x m)
  const arma::mat T = arma::conv_to<arma::mat>::from(arma::randu(1, m) > 0.5);  // (1 x m)
  TwoLayerNet net = initialise(2, n_hidden, g);
  net.b1 = arma::randn(n_hidden);  // non-zero biases too, so db1 is tested in general
  net.b2 = arma::randn(1);
  const Gradients grads = backward(net, forward(net, X), X, T);

  // error(&TwoLayerNet::W1, grads.dW1) compares dW1 with the central differences of the
  // loss as a function of W1 alone, the other parameters fixed (&TwoLayerNet::W1 names the
  // member W1 of any TwoLayerNet).
  const auto error = [&](auto TwoLayerNet::*parameter, const arma::mat& analytic) {
    const auto loss_with = [&](const arma::mat& theta) {
      TwoLayerNet changed = net;
      changed.*parameter = theta;
      return loss(forward(changed, X).A2, T);
    };
    return nn::relative_error(analytic, nn::numerical_gradient(loss_with, net.*parameter));
  };
  return {{"W1", error(&TwoLayerNet::W1, grads.dW1)},
          {"b1", error(&TwoLayerNet::b1, grads.db1)},
          {"W2", error(&TwoLayerNet::W2, grads.dW2)},
          {"b2", error(&TwoLayerNet::b2, grads.db2)}};
}
// [end gradient_check]

// Prints each parameter's relative error, on a fresh random network and random data.
void section7_check_gradients(const Settings& s) {
  std::cout << "\nGradient check: backward() against central differences (h = 1e-5),\n"
            << "in double, on random weights, inputs and targets. Relative error:\n";
  bool all_good = true;
  const nn::Activation g = nn::activation_from_string(s.hidden_activation);
  for (const GradientCheck& c : check_gradients(s.hidden, g)) {
    std::cout << "  d" << c.name << "  " << nn::num(c.relative_error, "%.2e") << "\n";
    all_good = all_good && c.relative_error < nn::kGradientCheckTolerance;
  }
  std::cout << (all_good ? "  all below 1e-7: the backward pass is the gradient of the loss\n"
                         : "  ABOVE 1e-7: the backward pass does not match the loss\n")
            << "\n";
}

// A vector as "(a, b, c)", 4 significant digits.
std::string vector_text(const arma::vec& v) {
  std::string text = "(";
  for (arma::uword i = 0; i < v.n_elem; ++i) text += (i ? ", " : "") + nn::num(v(i));
  return text + ")";
}

// Section 4 with numbers: XOR's sample x = (1, 0), t = 1, through the random start that
// training begins from, by hand; and backward() on the same sample, which must agree.
OneSample section4_one_sample(const TwoLayerNet& start) {
  const arma::vec x = {1.0, 0.0};
  const OneSample o = backward_by_hand(start, x, 1.0);
  const arma::mat X = x;  // one sample, (2 x 1)
  const arma::mat T = {o.t};
  const Gradients g = backward(start, forward(start, X), X, T);
  const double difference =
      std::max({arma::abs(g.dW1 - o.grads.dW1).max(), arma::abs(g.db1 - o.grads.db1).max(),
                arma::abs(g.dW2 - o.grads.dW2).max(), arma::abs(g.db2 - o.grads.db2).max()});
  const std::string g_name = nn::to_string(start.g);
  std::cout
      << "One sample through the random start, before training: x = (1, 0), t = 1 (m = 1)\n"
      << "  forward   z1 = W1 x + b1 = " << vector_text(o.z1) << "\n"
      << "            a1 = " << g_name << "(z1) = " << vector_text(o.a1) << "\n"
      << "            z2 = W2 a1 + b2 = " << nn::num(o.z2)
      << ",  y = a2 = sigmoid(z2) = " << nn::num(o.y) << ",  L = -ln y = " << nn::num(o.L)
      << "\n"
      << "  backward  dz2 = dL/dy * dy/dz2 = " << nn::num(o.dL_dy) << " * " << nn::num(o.dy_dz2)
      << " = " << nn::num(o.dz2) << " = y - t\n"
      << "            dW2 = dz2 a1^T = " << vector_text(o.grads.dW2.t())
      << ",  db2 = dz2 = " << nn::num(o.dz2) << "\n"
      << "            da1 = W2^T dz2 = " << vector_text(o.da1) << "\n"
      << "            g'(z1) = " << vector_text(o.g_prime) << "\n"
      << "            dz1 = da1 * g'(z1) = " << vector_text(o.dz1) << " = db1\n"
      << "            dW1 = dz1 x^T: its first column is dz1 (x1 = 1), its second 0"
      << " (x2 = 0)\n"
      << "  backward() on the same sample: largest difference from these "
      << nn::num(difference) << "\n";
  return o;
}

// ---------------------------------------------------------------------------------------
// 8. Does every start work? The same training from many seeds
// ---------------------------------------------------------------------------------------

struct SeedRun {
  unsigned seed;
  bool learned;                // every output on the right side of 0.5 at the end
  std::vector<double> losses;  // the loss at every epoch
  TwoLayerNet net;             // at the end
};

struct Survey {
  arma::uword n_hidden;
  std::vector<SeedRun> runs;  // the runs that did not diverge
  int n_learned = 0, n_diverged = 0;
};

// Train from seeds 1..n_seeds. A run that diverges is counted, not kept: it has no loss
// curve to the end.
Survey seed_survey(const arma::mat& X, const arma::mat& T, arma::uword n_hidden,
                   nn::Activation g, long epochs, double learning_rate, unsigned n_seeds) {
  Survey survey{n_hidden, {}};
  for (unsigned seed = 1; seed <= n_seeds; ++seed) {
    arma::arma_rng::set_seed(seed);
    try {
      Training t = train(X, T, n_hidden, g, epochs, learning_rate);
      const bool learned = solves(t.net, X, T);
      survey.n_learned += learned;
      survey.runs.push_back({seed, learned, std::move(t.losses), std::move(t.net)});
    } catch (const nn::Diverged&) {
      ++survey.n_diverged;
    }
  }
  return survey;
}

std::string summary(const Survey& s, unsigned n_seeds) {
  return std::to_string(s.n_hidden) + " hidden units: " + std::to_string(s.n_learned) + " of " +
         std::to_string(n_seeds) + " learn XOR" +
         (s.n_diverged ? ", " + std::to_string(s.n_diverged) + " diverge" : "");
}

struct EveryStart {
  std::vector<Survey> surveys;         // 2, 3, 4 and 8 hidden units; none with --survey-seeds 0
  std::optional<SeedRun> first_stuck;  // the first run that did not learn, for stuck.png
};

// How many random starts learn XOR, for a few network sizes. Prints one line per size and
// what the first run that did not learn answers.
EveryStart section8_every_start(const arma::mat& X, const arma::mat& T, const Settings& s) {
  EveryStart result;
  if (s.n_seeds == 0) return result;
  const nn::Activation g = nn::activation_from_string(s.hidden_activation);
  std::cout << "\nThe same training from seeds 1.." << s.n_seeds << ":\n";
  for (arma::uword H : {2, 3, 4, 8}) {
    result.surveys.push_back(seed_survey(X, T, H, g, s.epochs, s.learning_rate, s.n_seeds));
    std::cout << "  " << summary(result.surveys.back(), s.n_seeds) << "\n";
  }
  for (const Survey& survey : result.surveys)
    for (const SeedRun& r : survey.runs)
      if (!result.first_stuck && !r.learned) result.first_stuck = r;
  if (result.first_stuck) {
    const SeedRun& stuck = *result.first_stuck;
    const arma::mat A2 = forward(stuck.net, X).A2;  // (1 x 4)
    std::printf(
        "  The first that did not learn (%d hidden units, seed %u) outputs\n"
        "  %.4f %.4f %.4f %.4f for XOR's 0 1 1 0: see stuck.png\n",
        static_cast<int>(stuck.net.W1.n_rows), stuck.seed, A2(0, 0), A2(0, 1), A2(0, 2),
        A2(0, 3));
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// 9. Figures
// ---------------------------------------------------------------------------------------

// The plane the figures show: the unit square and a margin around it.
constexpr double kLo = -0.5, kHi = 1.5;
constexpr arma::uword kGridPoints = 51;  // per axis, 0.04 apart: (51 x 51) values per panel

const std::vector<std::string> kClassNames = {"XOR = 0", "XOR = 1"};

void square_panel(nn::Plot& p, const std::string& title) {
  p.title(title).xlabel("x_1").ylabel("x_2").square().xrange(kLo, kHi).yrange(kLo, kHi);
}

void draw_loss(const Training& t, double learning_rate, const std::string& out) {
  const arma::uword n = t.losses.size();
  const arma::vec epoch = arma::regspace(0, static_cast<double>(n) - 1);
  nn::Figure fig("loss", 900, 520);
  fig.title("Binary cross-entropy while learning XOR (learning rate " + nn::num(learning_rate) +
            ")")
      .xlabel("epoch (one forward and backward pass over the four samples)")
      .ylabel("loss L (log scale)")
      .logscale_y()
      .key("top right");
  fig.line("loss", epoch, arma::vec(t.losses), {.colour = 0, .width = 2.5});
  arma::vec snap_x(t.snapshots.size()), snap_y(t.snapshots.size());
  for (std::size_t k = 0; k < t.snapshots.size(); ++k) {
    snap_x(k) = static_cast<double>(t.snapshots[k].epoch);
    snap_y(k) = t.losses[t.snapshots[k].epoch];
  }
  fig.points("epochs shown in boundary.png", snap_x, snap_y,
             {.colour = 4, .point_size = 1.6, .point_type = 7});
  fig.save(out);
}

void draw_boundaries(const Training& t, const nn::Dataset& data, const std::string& out) {
  const nn::Grid grid(kLo, kHi, kLo, kHi, kGridPoints);
  const arma::mat X = grid.points();                   // (2 x 51*51): one point per column
  const int n = static_cast<int>(t.snapshots.size());  // 4, unless --epochs is under 50
  const int rows = n == 4 ? 2 : 1, cols = n == 4 ? 2 : n;
  nn::Figure fig("boundary", 550 * cols, 500 * rows + 40);
  fig.layout(rows, cols, "The network's output y = a_2 over the plane, during training");
  for (std::size_t k = 0; k < t.snapshots.size(); ++k) {
    const arma::rowvec A2 = forward(t.snapshots[k].net, X).A2;
    const arma::mat V = grid.reshape(A2);
    nn::Plot& p = fig.panel(k);
    square_panel(p, "epoch " + std::to_string(t.snapshots[k].epoch) + ", loss " +
                        nn::num(t.losses[t.snapshots[k].epoch], "%.3f"));
    p.cblabel("a_2").cbrange(0, 1).key("below");
    p.heatmap("a2", grid.xs, grid.ys, V, true, 0, 1);
    // Light tints instead of full colours, so that the samples' markers stand out.
    p.command("set palette defined (0 '" + nn::tint(0) + "', 1 '#FFFFFF', 2 '" + nn::tint(1) +
              "')");
    p.contour("a_2 = 0.5", grid.xs, grid.ys, V, {0.5}, {.colour = 7, .width = 2.5});
    p.classes(data.X, data.t, kClassNames, 2.0);
  }
  fig.save(out);
}

// A place for the label of a unit's line: the point of the line nearest the plane's centre,
// moved along the line by shift (so that the labels of nearby lines do not overlap); false
// when that point is outside the plane.
bool line_label_point(double w1, double w2, double b, double shift, double& x, double& y) {
  const double c = (kLo + kHi) / 2, norm = std::sqrt(w1 * w1 + w2 * w2);
  const double s = (w1 * c + w2 * c + b) / (norm * norm);
  x = c - s * w1 - shift * w2 / norm;
  y = c - s * w2 + shift * w1 / norm;
  return x > kLo && x < kHi && y > kLo && y < kHi;
}

// The line w1 x1 + w2 x2 + b = 0 across the plane, as its two end points.
void line_across_plane(double w1, double w2, double b, arma::vec& lx, arma::vec& ly) {
  if (std::abs(w2) >= std::abs(w1)) {
    lx = {kLo, kHi};
    ly = (-b - w1 * lx) / w2;
  } else {
    ly = {kLo, kHi};
    lx = (-b - w2 * ly) / w1;
  }
}

// name: the figure's file name; what: the first words of its title.
void draw_hidden_units(const TwoLayerNet& net, const nn::Dataset& data, const std::string& name,
                       const std::string& what, const std::string& out) {
  const nn::Grid grid(kLo, kHi, kLo, kHi, kGridPoints);
  const arma::mat X = grid.points();  // (2 x 51*51): one point per column
  const Cache c = forward(net, X);    // A1 is (H x 51*51), A2 is (1 x 51*51)
  const int H = static_cast<int>(net.W1.n_rows);
  const int panels = H + 1;  // one per hidden unit, then the output
  const int cols = panels <= 3 ? panels : panels == 4 ? 2 : panels <= 6 ? 3 : 4;
  const int rows = (panels + cols - 1) / cols;
  nn::Figure fig(name, 540 * cols, 520 * rows + 50);
  fig.layout(rows, cols,
             what + ": each hidden unit a_1 = " + nn::to_string(net.g) +
                 "(w·x + b) draws one line, the output a_2 weighs them by W_2");
  for (int j = 0; j < H; ++j) {
    const arma::rowvec a = c.A1.row(j);
    nn::Plot& p = fig.panel(static_cast<std::size_t>(j));
    const double w1 = net.W1(j, 0), w2 = net.W1(j, 1), b = net.b1(j);
    square_panel(p, "unit " + std::to_string(j + 1) + ":  w = (" + nn::num(w1, "%.2f") + ", " +
                        nn::num(w2, "%.2f") + "), b = " + nn::num(b, "%.2f") +
                        ",  W_2 = " + nn::num(net.W2(0, j), "%.2f"));
    p.cblabel("hidden output a_1").key("below");
    if (net.g == nn::Activation::tanh) p.cbrange(-1, 1);
    if (net.g == nn::Activation::sigmoid) p.cbrange(0, 1);
    // Green to purple, not the classes' blue and orange: a hidden unit is not a class.
    p.heatmap("unit " + std::to_string(j + 1), grid.xs, grid.ys, grid.reshape(a), true, 2, 3);
    p.command("set palette defined (0 '" + nn::tint(2) + "', 1 '#FFFFFF', 2 '" + nn::tint(3) +
              "')");  // light, so that the samples' markers stand out
    arma::vec lx, ly;
    line_across_plane(w1, w2, b, lx, ly);
    p.line("w·x + b = 0", lx, ly, {.colour = 7, .width = 2.5});
    p.classes(data.X, data.t, kClassNames, 2.0);
  }
  // The output, with every hidden unit's line on it: its boundary is made of their pieces.
  nn::Plot& p = fig.panel(static_cast<std::size_t>(H));
  square_panel(p, "output a_2, with the hidden units' lines");
  p.cblabel("a_2").cbrange(0, 1).key("below");
  p.command("set style textbox opaque noborder");
  p.heatmap("a2", grid.xs, grid.ys, grid.reshape(arma::rowvec(c.A2)), true, 0, 1);
  p.command("set palette defined (0 '" + nn::tint(0) + "', 1 '#FFFFFF', 2 '" + nn::tint(1) +
            "')");
  for (int j = 0; j < H; ++j) {
    const double w1 = net.W1(j, 0), w2 = net.W1(j, 1), b = net.b1(j);
    arma::vec lx, ly;
    line_across_plane(w1, w2, b, lx, ly);
    p.line("hidden unit lines", lx, ly,
           {.colour = 7, .width = 1.5, .dashed = true, .in_key = j == 0});
    double x, y;
    if (line_label_point(w1, w2, b, 0.3 * (j - (H - 1) / 2.0), x, y))
      p.label(x, y, std::to_string(j + 1), "center boxed");
  }
  p.classes(data.X, data.t, kClassNames, 2.0);
  for (int k = panels; k < rows * cols; ++k)  // the panels left over stay blank
    fig.panel(static_cast<std::size_t>(k)).no_axes().xrange(0, 1).yrange(0, 1);
  fig.save(out);
}

// The trained network as a diagram: its actual weights on the edges.
void draw_network_diagram(const TwoLayerNet& net, const std::string& out) {
  // Wide: the edges x1 -> h3 and x2 -> h2 cross half-way, and their weights are written
  // near there; the extra width keeps the two numbers apart.
  nn::Figure fig("network", 1300, 600);
  fig.title("The trained 2-" + std::to_string(net.W1.n_rows) +
            "-1 network: edge width |w|, orange w > 0, blue w < 0");
  nn::DiagramOptions options;
  options.aspect = 1300.0 / 600.0;
  nn::draw_network(fig, {2, net.W1.n_rows, 1}, {net.W1, net.W2}, {net.b1, net.b2},
                   {nn::to_string(net.g), "sigmoid"}, options);
  fig.save(out);
}

// Section 4's sample as a computation graph: the inputs, each hidden unit's z and a, the
// output's z and y, the loss; on each edge its local derivative (a weight, g'(z),
// sigmoid'(z2) or dL/dy).
void draw_graph(const TwoLayerNet& net, const OneSample& o, const std::string& out) {
  const arma::uword H = net.W1.n_rows;
  // kRowsApart units between hidden units, for up to 8 of them; more share the same height.
  constexpr double kRowsApart = 2.6;
  const double height = kRowsApart * static_cast<double>(std::clamp<arma::uword>(H, 2, 8) - 1);
  const double mid = height / 2 + 0.9;  // the row of x's centre, z2, y and L
  const double gap = H > 1 ? height / static_cast<double>(H - 1) : 0.0;
  std::vector<nn::GraphNode> nodes;
  std::vector<nn::GraphEdge> edges;
  const int kInput = 0, kComputed = 2, kLoss = 7;  // disc colours
  nodes.push_back(
      {"x1", "x_1", 0.0, mid + 1.3, o.x(0), arma::dot(net.W1.col(0), o.dz1), kInput, true});
  nodes.push_back(
      {"x2", "x_2", 0.0, mid - 1.3, o.x(1), arma::dot(net.W1.col(1), o.dz1), kInput, true});
  for (arma::uword j = 0; j < H; ++j) {  // z_{1,j} is node 2 + 2j, a_{1,j} node 3 + 2j
    const std::string k = std::to_string(j + 1);
    const double row = H > 1 ? mid + height / 2 - gap * static_cast<double>(j) : mid;
    nodes.push_back({"z1" + k, "z_{1," + k + "}", 5.0, row, o.z1(j), o.dz1(j), kComputed});
    nodes.push_back({"a1" + k, "a_{1," + k + "}", 8.6, row, o.a1(j), o.da1(j), kComputed});
  }
  const std::size_t z2 = nodes.size(), y = z2 + 1, L = z2 + 2;
  nodes.push_back({"z2", "z_2", 12.4, mid, o.z2, o.dz2, kComputed});
  nodes.push_back({"y", "y", 15.0, mid, o.y, o.dL_dy, kComputed});
  nodes.push_back({"L", "L", 17.6, mid, o.L, 1.0, kLoss});
  for (arma::uword j = 0; j < H; ++j) {
    const std::string k = std::to_string(j + 1);
    const std::size_t zj = 2 + 2 * j, aj = zj + 1;
    // Each input edge's label sits on the edge, near its start; an edge that
    // climbs or falls far (it crosses the others near x) gets its label near its end.
    for (std::size_t i = 0; i < 2; ++i) {
      const bool steep = std::abs(nodes[zj].y - nodes[i].y) > 1.5 * kRowsApart;
      edges.push_back({i, zj, net.W1(j, i), "W_{1," + k + std::to_string(i + 1) + "}", -0.22,
                       steep ? 0.78 : 0.28});
    }
    edges.push_back({zj, aj, o.g_prime(j), "g'(z_{1," + k + "})"});
    edges.push_back({aj, z2, net.W2(0, j), "W_{2,1" + k + "}", 0.0, 0.55});
  }
  edges.push_back({z2, y, o.dy_dz2, "y(1 - y)"});
  edges.push_back({y, L, o.dL_dy, "-1/y"});
  nn::Figure fig("graph", 1500, 380 + static_cast<int>(110 * height));
  fig.title(
      "One sample, x = (1, 0) with target t = 1, through the random start: values "
      "(black), local derivatives on the edges, gradients ∂L/∂· (red)");
  fig.xrange(-2.6, 19.0).yrange(-0.2, height + 2.6);
  nn::draw_graph(fig, nodes, edges);
  fig.label(17.6, mid - 1.35, "L = -ln y, as t = 1", "center", 12, "#555555");
  fig.label(6.8, height + 2.3,
            "hidden layer: z_1 = W_1 x + b_1 (b_1 = 0 at the start), a_1 = " +
                nn::to_string(net.g) + "(z_1)",
            "center", 12, "#555555");
  fig.label(15.0, height + 2.3, "output: z_2 = W_2 a_1 + b_2, y = sigmoid(z_2)", "center", 12,
            "#555555");
  fig.save(out);
}

// About 40 epochs per curve, from 1 to the last, evenly spread on a log scale: enough for
// the curves' shapes, and a small CSV.
std::vector<long> log_spaced_epochs(long epochs) {
  std::vector<long> e = {1};
  for (double x = 0; x <= std::log10(static_cast<double>(epochs)) + 1e-9; x += 0.08) {
    const long v = std::lround(std::pow(10.0, x));
    if (v <= epochs && v != e.back()) e.push_back(v);
  }
  if (e.back() != epochs) e.push_back(epochs);
  return e;
}

void draw_seeds(const std::vector<Survey>& surveys, unsigned n_seeds, long epochs,
                const std::string& out) {
  nn::Figure fig("seeds", 1200, 900);
  fig.layout(2, 2,
             "The same training from " + std::to_string(n_seeds) + " random starts (seeds 1.." +
                 std::to_string(n_seeds) + ")");
  const std::vector<long> at = log_spaced_epochs(epochs);
  arma::vec x(at.size());
  for (std::size_t i = 0; i < at.size(); ++i) x(i) = static_cast<double>(at[i]);
  for (std::size_t k = 0; k < surveys.size() && k < 4; ++k) {
    nn::Plot& p = fig.panel(k);
    p.title(summary(surveys[k], n_seeds))
        .xlabel("epoch (log scale)")
        .ylabel("loss L (log scale)")
        .logscale_y()
        .command("set logscale x")
        .xrange(1, static_cast<double>(std::max(epochs, 10L)))
        .yrange(1e-4, 2)
        .key("bottom left");
    // One series per run; the CSV's value column holds the run's seed. The runs that did
    // not learn are drawn last, on top; the first run of each kind goes in the legend.
    bool listed[2] = {false, false};
    for (bool learned : {true, false})
      for (const SeedRun& r : surveys[k].runs) {
        if (r.learned != learned) continue;
        arma::vec y(at.size());
        for (std::size_t i = 0; i < at.size(); ++i) y(i) = r.losses[at[i]];
        p.line(learned ? "learned XOR" : "did not learn", x, y,
               {.colour = learned ? 2 : 4, .width = 1.2, .in_key = !listed[learned]},
               arma::vec(at.size(), arma::fill::value(r.seed)));
        listed[learned] = true;
      }
    const double plateau = std::log(2.0) / 2;
    p.line("ln(2)/2: two samples stuck at 0.5", {1.0, static_cast<double>(epochs)},
           {plateau, plateau}, {.colour = 7, .width = 1.5, .dashed = true});
  }
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// 10. The program: the flags, the sections in order, the results, the figures
// ---------------------------------------------------------------------------------------

void add_flags(CLI::App& app, Settings& s) {
  app.add_option("--epochs", s.epochs, "Passes of gradient descent over the four samples")
      ->check(CLI::Range(1L, 1000000L))
      ->capture_default_str();
  app.add_option("--learning-rate", s.learning_rate, "The gradient descent step size")
      ->check(nn::FinitePositive)
      ->capture_default_str();
  app.add_option("--hidden", s.hidden, "The number of hidden units H")
      ->check(CLI::Range(arma::uword{1}, arma::uword{16}))
      ->capture_default_str();
  app.add_option("--hidden-activation", s.hidden_activation, "The hidden units' activation")
      ->check(CLI::IsMember({"tanh", "sigmoid", "relu"}))
      ->capture_default_str();
  app.add_option("--survey-seeds", s.n_seeds,
                 "How many seeds section 8 trains each network size from (0 skips it)")
      ->check(CLI::Range(0u, 1000u))
      ->capture_default_str();
}

// The short results block: what the network of section 6 answers for each sample.
void print_results(const Training& t, const arma::mat& X, const arma::mat& T, const Settings& s,
                   unsigned seed) {
  const Cache final_pass = forward(t.net, X);
  std::cout << "\nResults (seed " << seed << ", H = " << s.hidden << ")\n"
            << "  x1 x2  XOR   network output y = a2\n";
  for (arma::uword i = 0; i < X.n_cols; ++i)
    std::cout << "   " << X(0, i) << "  " << X(1, i) << "    " << T(0, i) << "   "
              << nn::num(final_pass.A2(0, i), "%.4f") << "\n";
  std::cout << "  final loss " << nn::num(t.losses.back(), "%.6f") << " after " << s.epochs
            << (s.epochs == 1 ? " epoch; " : " epochs; ")
            << (solves(t.net, X, T) ? "XOR learned (every output on the right side of 0.5)"
                                    : "XOR NOT learned (an output on the wrong side of 0.5)")
            << "\n\n";
}

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli("05_backpropagation",
                      "Chapter 05: backpropagation, a 2-H-1 network learns XOR from random "
                      "weights");
  Settings s;
  add_flags(cli.app(), s);
  if (auto code = cli.parse(argc, argv)) return *code;
  nn::make_reproducible(cli.seed());

  try {
    std::cout << "Chapter 05: backpropagation\n"
              << "===========================\n\n";
    const nn::Dataset data = nn::logic_gate(nn::Gate::XOR);
    const arma::mat& X = data.X;                                    // (2 x 4)
    const arma::mat T = arma::conv_to<arma::rowvec>::from(data.t);  // (1 x 4): the targets

    // Sections 1 to 5 are the functions train() calls. Before training: one sample worked
    // through the random start by hand (section 4 with numbers), then the gradient check
    // (section 7), so that no training trusts an unchecked gradient. The start is drawn
    // here as train() draws it, from the seed; the seed is set again before training, so
    // that train() begins from this same start.
    const nn::Activation g = nn::activation_from_string(s.hidden_activation);
    const TwoLayerNet start = initialise(X.n_rows, s.hidden, g);  // 1. initialise
    const OneSample by_hand = section4_one_sample(start);
    section7_check_gradients(s);
    arma::arma_rng::set_seed(cli.seed());
    const Training t = section6_learn_xor(X, T, s, cli.seed());
    const EveryStart starts = section8_every_start(X, T, s);
    print_results(t, X, T, s, cli.seed());

    const std::string& out = cli.out_dir();
    draw_loss(t, s.learning_rate, out);
    draw_boundaries(t, data, out);
    draw_hidden_units(t.net, data, "hidden_units", "Trained", out);
    draw_network_diagram(t.net, out);
    draw_graph(start, by_hand, out);
    if (!starts.surveys.empty()) draw_seeds(starts.surveys, s.n_seeds, s.epochs, out);
    if (starts.first_stuck)
      draw_hidden_units(starts.first_stuck->net, data, "stuck",
                        "Stuck (seed " + std::to_string(starts.first_stuck->seed) + ")", out);
    std::cout << "Figures: loss, boundary, hidden_units, network, graph"
              << (starts.surveys.empty() ? "" : ", seeds")
              << (starts.first_stuck ? ", stuck" : "") << " (.png, .csv) in " << out << "\n";
  } catch (const std::exception& e) {
    std::cerr << "05_backpropagation: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
