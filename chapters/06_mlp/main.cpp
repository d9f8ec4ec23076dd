// Chapter 06: the multilayer perceptron as a library
// ===========================================================================================
// What you learn: chapter 05's five functions (initialise, forward, loss, backward, update)
// become general, reusable pieces of common/: nn::Dense (one layer, with its forward and
// backward), nn::Network (a stack of them), nn::softmax_cross_entropy (K classes instead of
// two), nn::Sgd (the update) and nn::MiniBatches (a step after every few samples, in a new
// order every epoch). With them a network of any shape takes a few lines. On a spiral of
// three arms, a linear softmax classifier (no hidden layer) is compared with a 2-100-3 ReLU
// network, and two sanity checks from practice are run: the loss before training is ln K,
// and the network can learn 20 samples by heart. Last, the same nn::Network predicts a
// number instead of a class (regression): with an identity output and the mean squared
// error, a 1-32-32-1 tanh network fits a noisy sine.
//
// Run:   ./tutorial 06        or   build/release/chapters/06_mlp [--help]
//        [--epochs 500] [--learning-rate 0.5] [--hidden 100] [--batch-size 30]
//        [--seed 42] [--out DIR]
// (the flags but --seed are the spiral's; the regression's settings are fixed, section 9)
// Draws (into build/release/output/06_mlp/, or --out DIR):
//   regions.png          the class each model predicts over the plane, with the 300 points:
//                        the linear classifier (left) and the MLP (right)
//   curves.png           loss and training accuracy per epoch, both models
//   regression.png       the noisy sine's points with the network's fit at epochs 0, 10, 50
//                        and 300 and the true curve (left); the MSE per epoch (right)
#include <armadillo>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

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
#include "common/plot.hpp"
#include "common/reproducible.hpp"
#include "common/toy_data.hpp"

namespace {

// Shapes, for N samples, a mini-batch of m of them, H hidden units and K = 3 classes
// (one sample per column, as always):
//   X  (2 x N)   the spiral's points      t  (N)   their classes (the targets), 0..K-1
//   Xb (2 x m)   one mini-batch           tb (m)   its targets
//   Z  (K x m)   the logits: the output layer's score for each class and sample
//   P  (K x m)   softmax(Z): the probability of each class, every column sums to 1;
//                the network's output y from this chapter on
//   dZ (K x m)   dL/dZ = (P - T) / m, T = one_hot(t), where backpropagation starts

// A loss to six decimals, or in e-notation once it is too large for that to be readable.
std::string loss_text(double loss) {
  return std::abs(loss) < 100 ? nn::num(loss, "%.6f") : nn::num(loss, "%.4e");
}

// The chapter's settings (the command line can change each of them).
struct Settings {
  long epochs = 500;            // passes over the training points
  double learning_rate = 0.5;   // SGD's step size, both models
  arma::uword batch_size = 30;  // samples per step: 10 steps per epoch
  arma::uword hidden = 100;     // H, the MLP's hidden units
  unsigned seed = 42;           // the spiral, the starting weights and the batches
};

// ---------------------------------------------------------------------------------------
// 1. From five functions to a library
// ---------------------------------------------------------------------------------------
//
//   chapter 05           common/ (this chapter)
//   1. initialise()      nn::Network(sizes, ...) and Dense::initialize(Initializer, rng)
//   2. forward()         Network::forward(X): Dense::forward, layer after layer
//   3. loss()            nn::softmax_cross_entropy(Z, t, dZ): the loss, and dL/dZ
//   4. backward()        Network::backward(dZ): Dense::backward, from the last layer back
//   5. update()          nn::Sgd::step(parameters): theta <- theta - lr dtheta, for every
//                        W and b of every layer
// and two new pieces: nn::MiniBatches (which samples each step sees) and nn::accuracy.

// ---------------------------------------------------------------------------------------
// 2. More than two classes: softmax, and why it is computed with a shift
// ---------------------------------------------------------------------------------------

// [listing naive_softmax]
// Softmax straight from its definition, p_k = e^{z_k} / sum_i e^{z_i}. Correct on paper,
// but e^{z} overflows a double for z > 709.78: then it is inf / inf = NaN.
arma::vec naive_softmax(const arma::vec& z) {
  const arma::vec e = arma::exp(z);
  return e / arma::accu(e);
}
// [end naive_softmax]

// A probability to six decimals; NaN as NaN (printf may write -nan).
std::string probability_text(double p) { return std::isnan(p) ? "NaN" : nn::num(p, "%.6f"); }

// The naive softmax and nn::softmax on the same logits, small and large.
void section2_softmax_overflow() {
  const arma::vec small = {2.0, 1.0, 0.0}, large = {1002.0, 1001.0, 1000.0};
  const auto show = [](const char* what, const arma::vec& p) {
    std::printf("  %-36s (%s, %s, %s)\n", what, probability_text(p(0)).c_str(),
                probability_text(p(1)).c_str(), probability_text(p(2)).c_str());
  };
  std::cout << "Softmax of the logits z = (2, 1, 0) and z + 1000 = (1002, 1001, 1000)\n";
  show("naive, z:", naive_softmax(small));
  show("naive, z + 1000:", naive_softmax(large));
  show("nn::softmax (shifted by max z), z:", nn::softmax(arma::mat(small)));
  show("nn::softmax, z + 1000:", nn::softmax(arma::mat(large)));
  std::printf(
      "  (e^1002 = %g in double: inf / inf is NaN. Adding the same number to every\n"
      "  logit does not change the softmax, so nn::softmax subtracts max z first.)\n\n",
      std::exp(1002.0));
}

// ---------------------------------------------------------------------------------------
// 3. The loss: cross-entropy, and why dZ = (P - T) / m
// ---------------------------------------------------------------------------------------
//
// nn::softmax_cross_entropy(Z, t, dZ) in common/loss.hpp: the mean of -ln p_t (the
// probability of the true class t) over the batch of m samples, and its gradient
// dZ = (P - T) / m, where backpropagation starts.

// ---------------------------------------------------------------------------------------
// 4. Mini-batch stochastic gradient descent
// ---------------------------------------------------------------------------------------

// Loss and accuracy on the whole training set, epoch by epoch; index 0 is before training.
struct History {
  std::vector<double> loss, accuracy;
};

// [listing measure]
// The mean loss and the fraction of samples classified right, over the whole data set.
void measure(nn::Network<double>& net, const nn::Dataset& data, History& history) {
  const arma::mat& Z = net.forward(data.X);  // (K x N) logits
  history.loss.push_back(nn::softmax_cross_entropy(Z, data.t));
  const arma::uvec predicted = arma::index_max(Z, 0).t();  // (N) the row of the largest logit
  history.accuracy.push_back(nn::accuracy(predicted, data.t));
}
// [end measure]

// [listing train]
History train(nn::Network<double>& net, const nn::Dataset& data, const Settings& s,
              unsigned seed) {
  std::vector<nn::Parameter<double>> params = net.parameters();  // {W1, b1, W2, b2, ...}
  nn::Sgd<double> optimizer(s.learning_rate);
  nn::MiniBatches<double> batches(data.X, data.t, s.batch_size, seed);
  arma::mat dZ;  // (K x m), reused by every step
  History history;
  measure(net, data, history);  // epoch 0: before any update
  for (long epoch = 1; epoch <= s.epochs; ++epoch) {
    batches.shuffle(epoch);  // a new order of the samples in every epoch
    for (arma::uword k = 0; k < batches.count(); ++k) {
      batches.gather(k);                              // Xb (2 x m) and tb (m)
      const arma::mat& Z = net.forward(batches.X());  // 2. forward: Z (K x m)
      nn::softmax_cross_entropy(Z, batches.t(), dZ);  // 3. loss, and dZ = (P - T) / m
      net.backward(dZ);                               // 4. backward: every dW and db
      optimizer.step(params);                         // 5. update: W <- W - lr dW, ...
    }
    measure(net, data, history);
    nn::stop_if_diverged(history.loss.back(), epoch, s.learning_rate, history.loss.front());
  }
  return history;
}
// [end train]

struct Model {
  std::string name;  // "linear 2-3", "MLP 2-100-3"
  nn::Network<double> net;
  History history;
};

// train(), with the model's name in front of the message when it diverges.
void train_model(Model& model, const nn::Dataset& data, const Settings& s, unsigned seed) {
  try {
    model.history = train(model.net, data, s, seed);
  } catch (const nn::Diverged& e) {
    throw nn::Diverged(model.name + ": " + e.what());
  }
}

// ---------------------------------------------------------------------------------------
// 5. The data and the two models
// ---------------------------------------------------------------------------------------

constexpr arma::uword kPerClass = 100;  // points per arm
constexpr arma::uword kClasses = 3;     // K
constexpr double kAngleNoise = 0.2;     // the standard deviation of the noise on the angle

// [listing model]
// sizes = {2, 3}: a linear softmax classifier, Z = W X + b. sizes = {2, H, 3}: one hidden
// layer of H ReLU units, Z = W2 relu(W1 X + b1) + b2. The last layer's activation is the
// identity: its outputs are the logits that softmax_cross_entropy turns into probabilities.
nn::Network<double> make_model(const std::vector<arma::uword>& sizes, std::mt19937_64& rng,
                               const nn::Initializer& output_init) {
  nn::Network<double> net(sizes, nn::Activation::relu, nn::Activation::identity);
  for (std::size_t l = 0; l < net.n_layers(); ++l) {
    const bool output_layer = l + 1 == net.n_layers();
    // The hidden layer: He's N(0, 2 / n_in), made for ReLU (chapter 07). Every b = 0.
    net.layer(l).initialize(output_layer ? output_init : nn::Initializer::he(), rng);
  }
  return net;
}
// The output layer starts with small weights: every logit near 0, every class near 1/K.
const nn::Initializer kOutputInit = nn::Initializer::normal(0.01);
// [end model]

// The linear classifier and the MLP, their weights drawn in that order by rng.
std::vector<Model> section5_data_and_models(const nn::Dataset& data, const Settings& s,
                                            std::mt19937_64& rng) {
  std::vector<Model> models;
  models.push_back({"linear 2-3", make_model({2, kClasses}, rng, kOutputInit), {}});
  models.push_back({"MLP 2-" + std::to_string(s.hidden) + "-3",
                    make_model({2, s.hidden, kClasses}, rng, kOutputInit),
                    {}});
  const arma::uword N = data.size();
  const arma::uword batches_per_epoch = (N + s.batch_size - 1) / s.batch_size;
  std::cout << "The data: " << kClasses << " spiral arms of " << kPerClass << " points (" << N
            << " in all), seed " << s.seed << ".\n"
            << "Two models, both trained by mini-batch SGD: " << s.epochs << " epochs of "
            << batches_per_epoch << (batches_per_epoch == 1 ? " batch of " : " batches of ")
            << s.batch_size << ", learning rate " << nn::num(s.learning_rate) << ".\n";
  std::printf("  %-14s %-30s %5u parameters\n", models[0].name.c_str(), "Z = W X + b",
              unsigned(models[0].net.n_parameters()));
  std::printf("  %-14s %-30s %5u parameters\n\n", models[1].name.c_str(),
              "Z = W2 relu(W1 X + b1) + b2", unsigned(models[1].net.n_parameters()));
  return models;
}

// ---------------------------------------------------------------------------------------
// 6. Sanity check 1: the loss before training is ln K
// ---------------------------------------------------------------------------------------

// Both models' loss before any update, and the MLP's had its output layer started with
// He's weights (drawn by rng, after the models' own).
void section6_loss_before_training(std::vector<Model>& models, const nn::Dataset& data,
                                   const Settings& s, std::mt19937_64& rng) {
  const double ln_K = std::log(double(kClasses));
  History before_linear, before_mlp;
  measure(models[0].net, data, before_linear);
  measure(models[1].net, data, before_mlp);
  nn::Network<double> he_output = models[1].net;  // the same hidden layer, and an output
  he_output.layer(1).initialize(nn::Initializer::he(), rng);  // layer with He's weights
  History before_he;
  measure(he_output, data, before_he);
  std::printf(
      "Sanity check 1: the loss before training\n"
      "  Knowing nothing, a %u-class model gives every class 1/%u: loss -ln(1/%u) = ln %u "
      "= %.6f\n"
      "  %-14s %.6f\n  %-14s %.6f\n"
      "  (had its output layer started with He's N(0, 2/%u) weights too, the MLP\n"
      "  would start at %.6f)\n\n",
      unsigned(kClasses), unsigned(kClasses), unsigned(kClasses), unsigned(kClasses), ln_K,
      models[0].name.c_str(), before_linear.loss[0], models[1].name.c_str(), before_mlp.loss[0],
      unsigned(s.hidden), before_he.loss[0]);
}

// ---------------------------------------------------------------------------------------
// 7. Training: a line cannot follow a spiral
// ---------------------------------------------------------------------------------------

// The epochs the table shows: 0, 1, 2, 5, 10, 20, 50, ... and the last.
std::vector<long> shown_epochs(long epochs) {
  std::vector<long> shown = {0};
  for (long decade = 1; decade < epochs; decade *= 10)
    for (long step : {1L, 2L, 5L})
      if (step * decade < epochs) shown.push_back(step * decade);
  shown.push_back(epochs);
  return shown;
}

// Trains both models on the same batches; prints their loss and accuracy at a few epochs.
void section7_training(std::vector<Model>& models, const nn::Dataset& data, const Settings& s) {
  for (Model& model : models) train_model(model, data, s, s.seed);
  std::cout << "Training: loss and accuracy on all " << data.size()
            << " points after each epoch\n";
  std::printf("  %6s   %-20s   %s\n", "", models[0].name.c_str(), models[1].name.c_str());
  std::printf("  %6s   %10s %9s   %10s %9s\n", "epoch", "loss", "accuracy", "loss", "accuracy");
  for (long e : shown_epochs(s.epochs)) {
    std::printf("  %6ld", e);
    for (const Model& model : models)
      std::printf("   %10s %9s", loss_text(model.history.loss[e]).c_str(),
                  nn::percent(model.history.accuracy[e]).c_str());
    std::printf("\n");
  }
  std::cout << "\n";
}

// ---------------------------------------------------------------------------------------
// 8. Sanity check 2: learn 20 points by heart
// ---------------------------------------------------------------------------------------

constexpr arma::uword kTinySize = 20;
constexpr long kTinyEpochs = 2000;

// kTinySize samples picked at random: a few points of every arm.
nn::Dataset tiny_subset(const nn::Dataset& data, unsigned seed) {
  const arma::uvec pick = nn::epoch_order(data.size(), seed, 0).head(kTinySize);
  nn::Dataset tiny;
  nn::gather_columns(data.X, pick, tiny.X);
  tiny.t = data.t.elem(pick);
  tiny.class_names = data.class_names;
  return tiny;
}

// Fresh copies of both models (the same start as section 5's), trained full-batch on 20
// points for 2,000 epochs: a model that cannot learn 20 points has a bug.
void section8_learn_by_heart(const nn::Dataset& data, const Settings& s) {
  const nn::Dataset tiny = tiny_subset(data, s.seed);
  Settings tiny_settings = s;
  tiny_settings.epochs = kTinyEpochs;
  tiny_settings.batch_size = kTinySize;
  std::printf("Sanity check 2: learn %u of the points by heart (full batch, %ld epochs)\n",
              unsigned(kTinySize), kTinyEpochs);
  std::mt19937_64 rng(s.seed);
  std::vector<Model> models;
  models.push_back({"linear 2-3", make_model({2, kClasses}, rng, kOutputInit), {}});
  models.push_back({"MLP 2-" + std::to_string(s.hidden) + "-3",
                    make_model({2, s.hidden, kClasses}, rng, kOutputInit),
                    {}});
  for (Model& model : models) {
    train_model(model, tiny, tiny_settings, s.seed);
    std::printf("  %-14s loss %s -> %s, accuracy %s\n", model.name.c_str(),
                loss_text(model.history.loss.front()).c_str(),
                loss_text(model.history.loss.back()).c_str(),
                nn::percent(model.history.accuracy.back()).c_str());
  }
  std::cout << "\n";
}

// ---------------------------------------------------------------------------------------
// 9. Numbers instead of classes: the output layer and the loss go together
// ---------------------------------------------------------------------------------------
//
// Shapes, for N points and a mini-batch of m of them (one sample per column):
//   X  (1 x N)   the inputs x             T  (1 x N)   their targets t = sin(x) + noise
//   Xb (1 x m)   one mini-batch           Tb (1 x m)   its targets: numbers, not labels
//   Y  (1 x m)   the output layer's output, identity: the prediction itself, any number
//   dY (1 x m)   dL/dY = 2 (Y - T) / m, where backpropagation starts
//   grid (1 x G) evenly spaced x in [-3, 3], where the fit is drawn and compared with sin x
//
// These settings are the regression's own: the spiral's flags do not change them; --seed
// does (the points, the noise, the starting weights and the batches).

constexpr arma::uword kCurvePoints = 200;          // N
constexpr double kCurveLo = -3.0, kCurveHi = 3.0;  // x is uniform in [lo, hi]
constexpr double kCurveNoise = 0.2;                // t = sin(x) + N(0, 0.2^2)
constexpr arma::uword kCurveHidden = 32;           // units in each of the two hidden layers
constexpr long kCurveEpochs = 300;                 // 10 batches each: 3000 steps
constexpr arma::uword kCurveBatch = 20;            // m
constexpr double kCurveLearningRate = 0.02;
constexpr arma::uword kCurveGridPoints = 121;  // G: x where the fit is drawn and checked
const std::vector<long> kFitEpochs = {0, 10, 50, kCurveEpochs};  // the fits the figure draws

// What section 9 computes, for its printout, the results block and its figure.
struct Regression {
  std::string name;  // "regression 1-32-32-1"
  arma::uword n_parameters = 0;
  nn::RegressionDataset data;
  arma::mat grid;                          // (1 x G) evenly spaced x in [lo, hi]
  arma::mat sine;                          // (1 x G) sin x on the grid, the true curve
  std::vector<arma::mat> fits;             // the output Y (1 x G) on grid at each kFitEpochs
  std::vector<double> mse, mse_from_sine;  // per epoch (0 = before training): against the
                                           // targets T, and against sin x on the grid
  double noise_mse = 0.0;  // sin x itself against the targets: the noise, what even the
                           // true curve scores
};

// After `epoch` epochs: the mean squared error over all N points, and over the grid against
// the noise-free sin x (which only a toy problem knows); the fit itself at kFitEpochs.
void measure(nn::Network<double>& net, Regression& r, long epoch) {
  const arma::mat& Y = net.forward(r.data.X);  // (1 x N) predictions
  r.mse.push_back(nn::mean_squared_error(Y, r.data.T));
  const arma::mat& Y_grid = net.forward(r.grid);  // (1 x G)
  r.mse_from_sine.push_back(nn::mean_squared_error(Y_grid, r.sine));
  if (std::count(kFitEpochs.begin(), kFitEpochs.end(), epoch) > 0) r.fits.push_back(Y_grid);
}

// [listing regression]
// The same nn::Network and the same five parts as the spiral's train(). The last layer is
// the identity there too, but here its output is the prediction itself, any real number,
// and the loss is its mean squared error, whose dY = 2 (Y - T) / m starts backpropagation.
// MiniBatches gathers labels; these targets are numbers, so the loop gathers them itself,
// with MiniBatches' own two pieces: a new order every epoch, then columns of X and T.
nn::Network<double> fit_curve(Regression& r, unsigned seed) {
  nn::Network<double> net({1, kCurveHidden, kCurveHidden, 1}, nn::Activation::tanh,
                          nn::Activation::identity);
  std::mt19937_64 rng(seed);
  net.initialize(nn::Initializer::xavier(), rng);  // 1. initialise: Xavier, made for tanh
  std::vector<nn::Parameter<double>> params = net.parameters();
  nn::Sgd<double> optimizer(kCurveLearningRate);
  const arma::uword N = r.data.size();
  arma::mat Xb, Tb, dY;  // (1 x m) each, reused by every step
  measure(net, r, 0);    // epoch 0: before any update
  for (long epoch = 1; epoch <= kCurveEpochs; ++epoch) {
    const arma::uvec order = nn::epoch_order(N, seed, epoch);  // a new order every epoch
    for (arma::uword first = 0; first < N; first += kCurveBatch) {
      const arma::uvec batch = order.subvec(first, std::min(first + kCurveBatch, N) - 1);
      nn::gather_columns(r.data.X, batch, Xb);  // Xb (1 x m)
      nn::gather_columns(r.data.T, batch, Tb);  // Tb (1 x m)
      const arma::mat& Y = net.forward(Xb);     // 2. forward: Y (1 x m)
      nn::mean_squared_error(Y, Tb, dY);        // 3. loss, and dY = 2 (Y - T) / m
      net.backward(dY);                         // 4. backward: every dW and db
      optimizer.step(params);                   // 5. update: W <- W - lr dW, ...
    }
    measure(net, r, epoch);
    nn::stop_if_diverged(r.mse.back(), epoch, kCurveLearningRate, r.mse.front());
  }
  return net;
}
// [end regression]

// Fits a noisy sine with a 1-32-32-1 tanh network; prints the MSE at a few epochs.
Regression section9_regression(const Settings& s) {
  Regression r;
  r.name = "regression 1-" + std::to_string(kCurveHidden) + "-" + std::to_string(kCurveHidden) +
           "-1";
  r.data = nn::noisy_sine(kCurvePoints, kCurveLo, kCurveHi, kCurveNoise, s.seed);
  r.grid = arma::linspace<arma::rowvec>(kCurveLo, kCurveHi, kCurveGridPoints);
  r.sine = arma::sin(r.grid);
  r.noise_mse = nn::mean_squared_error(arma::mat(arma::sin(r.data.X)), r.data.T);
  std::printf(
      "Regression: a number instead of a class\n"
      "  %u points, x uniform in [%g, %g], t = sin(x) + noise of sd %g (seed %u)\n"
      "  %s, tanh hidden units, identity output; loss: mean squared error,\n"
      "  dY = 2 (Y - T) / m; %ld epochs of %u batches of %u, learning rate %g\n",
      unsigned(kCurvePoints), kCurveLo, kCurveHi, kCurveNoise, s.seed, r.name.c_str(),
      kCurveEpochs, unsigned((kCurvePoints + kCurveBatch - 1) / kCurveBatch),
      unsigned(kCurveBatch), kCurveLearningRate);
  try {
    r.n_parameters = fit_curve(r, s.seed).n_parameters();
  } catch (const nn::Diverged& e) {
    throw nn::Diverged(r.name + ": " + e.what());
  }
  std::printf("  %6s   %12s   %16s\n", "epoch", "MSE (data)", "MSE (from sin x)");
  for (long e : shown_epochs(kCurveEpochs))
    std::printf("  %6ld   %12s   %16s\n", e, loss_text(r.mse[e]).c_str(),
                loss_text(r.mse_from_sine[e]).c_str());
  std::printf("  sin x itself has an MSE of %s on these %u targets: the noise.\n\n",
              loss_text(r.noise_mse).c_str(), unsigned(kCurvePoints));
  return r;
}

// ---------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------

// How many units of the first hidden layer output more than 0 for at least one point of X.
// A ReLU unit that outputs 0 for every point also has g'(z) = 0 for every point: no
// gradient reaches its weights, and it never comes back ("dead").
arma::uword active_hidden_units(nn::Network<double>& net, const arma::mat& X) {
  net.forward(X);
  const arma::mat& A1 = net.layer(0).A();  // (H x N)
  arma::uword active = 0;
  for (arma::uword i = 0; i < A1.n_rows; ++i) active += arma::any(A1.row(i) > 0.0) ? 1 : 0;
  return active;
}

void print_results(std::vector<Model>& models, const nn::Dataset& data, const Regression& r,
                   const Settings& s) {
  const double ln_K = std::log(double(kClasses));
  std::cout << "Results (seed " << s.seed << ", " << data.size() << " training points)\n";
  std::printf("  %-14s %10s %12s %10s\n", "model", "parameters", "final loss", "accuracy");
  for (const Model& model : models)
    std::printf("  %-14s %10u %12s %10s\n", model.name.c_str(),
                unsigned(model.net.n_parameters()),
                loss_text(model.history.loss.back()).c_str(),
                nn::percent(model.history.accuracy.back()).c_str());
  std::printf("  %-14s %10s %12s %10s\n", "guessing", "", nn::num(ln_K, "%.6f").c_str(),
              nn::percent(1.0 / kClasses).c_str());
  std::printf("  %s: %u of its %u hidden units are active (output > 0) on some point\n",
              models[1].name.c_str(), unsigned(active_hidden_units(models[1].net, data.X)),
              unsigned(s.hidden));
  for (const Model& model : models)
    if (model.history.loss.back() >= ln_K)
      std::cout << "  Note: " << model.name
                << " ends with a loss above ln 3, worse than giving every class 1/3.\n"
                   "  The learning rate is probably too large; try a smaller "
                   "--learning-rate.\n";
  std::printf(
      "  %s (%u parameters): final MSE %s on its %u points\n"
      "  (the noise alone scores %s), %s from the noise-free sin x over [%g, %g]\n",
      r.name.c_str(), unsigned(r.n_parameters), loss_text(r.mse.back()).c_str(),
      unsigned(r.data.size()), loss_text(r.noise_mse).c_str(),
      loss_text(r.mse_from_sine.back()).c_str(), kCurveLo, kCurveHi);
  std::cout << "\n";
}

// ---------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------

constexpr double kLo = -1.15, kHi = 1.15;  // the plane shown: the arms end at radius 1
constexpr arma::uword kGridPoints = 81;    // per axis: (81 x 81) predictions per panel

void draw_regions(std::vector<Model>& models, const nn::Dataset& data, const std::string& out) {
  const nn::Grid grid(kLo, kHi, kLo, kHi, kGridPoints);
  const arma::mat X = grid.points();  // (2 x 81*81), one grid point per column
  nn::Figure fig("regions", 1300, 700);
  fig.layout(1, static_cast<int>(models.size()),
             "The class each model predicts over the plane (background) and the " +
                 std::to_string(data.size()) + " training points");
  for (std::size_t k = 0; k < models.size(); ++k) {
    const arma::urowvec predicted = models[k].net.predict(X).t();  // (81*81)
    nn::Plot& p = fig.panel(k);
    p.title(models[k].name + ": training accuracy " +
            nn::percent(models[k].history.accuracy.back()))
        .xlabel("x_1")
        .ylabel("x_2")
        .square()
        .xrange(kLo, kHi)
        .yrange(kLo, kHi)
        .key("below horizontal");
    p.regions("region", grid.xs, grid.ys, grid.reshape(predicted), static_cast<int>(kClasses));
    p.classes(data.X, data.t, data.class_names, 1.0);
  }
  fig.save(out);
}

void draw_curves(const std::vector<Model>& models, const std::string& out) {
  const long epochs = static_cast<long>(models.front().history.loss.size()) - 1;
  const arma::vec epoch = arma::regspace(0, static_cast<double>(epochs));
  double lowest = std::numeric_limits<double>::infinity();
  for (const Model& model : models)
    for (double l : model.history.loss) lowest = std::min(lowest, l);
  nn::Figure fig("curves", 1300, 560);
  fig.layout(1, 2, "Training, epoch by epoch, measured on all the training points");
  nn::Plot& left = fig.panel(0);
  left.title("loss")
      .xlabel("epoch")
      .ylabel("cross-entropy loss L (log scale)")
      .logscale_y()
      .yrange(std::pow(10.0, std::floor(std::log10(std::min(lowest, 0.5)))), 2.0)
      .key("bottom left");
  nn::Plot& right = fig.panel(1);
  right.title("training accuracy")
      .xlabel("epoch")
      .ylabel("fraction of points classified right")
      .yrange(0, 1.05)
      .key("bottom right");
  for (std::size_t k = 0; k < models.size(); ++k) {
    const nn::Style style{.colour = 3 + static_cast<int>(k), .width = 2.5};
    left.line(models[k].name, epoch, arma::vec(models[k].history.loss), style);
    right.line(models[k].name, epoch, arma::vec(models[k].history.accuracy), style);
  }
  const nn::Style guess{.colour = 7, .width = 1.5, .dashed = true};
  const double ln_K = std::log(double(kClasses));
  left.line("ln 3: every class given 1/3", {0.0, double(epochs)}, {ln_K, ln_K}, guess);
  right.line("1/3: guessing", {0.0, double(epochs)}, {1.0 / kClasses, 1.0 / kClasses}, guess);
  fig.save(out);
}

// Left: the data, sin x and the network's fit at kFitEpochs. Right: both MSEs per epoch.
void draw_regression(const Regression& r, const std::string& out) {
  nn::Figure fig("regression", 1300, 560);
  fig.layout(1, 2,
             r.name + " (tanh, identity output) fits t = sin(x) + noise by mean squared error");
  nn::Plot& left = fig.panel(0);
  left.title("the data and the fit after some epochs")
      .xlabel("x")
      .ylabel("t, and the network's output y")
      .xrange(kCurveLo, kCurveHi)
      .yrange(-1.8, 1.8)
      .key("top left");
  left.points("data (" + std::to_string(r.data.size()) + " points)", r.data.X.row(0).t(),
              r.data.T.row(0).t(), {.point_size = 0.8, .hex = "#999999"});
  left.line("sin x (noise-free)", r.grid.row(0).t(), r.sine.row(0).t(),
            {.width = 2.0, .dashed = true, .hex = "#000000"});
  const int fit_colours[] = {3, 1, 5, 0};  // purple, orange, sky blue, and blue: the last
  for (std::size_t k = 0; k < kFitEpochs.size(); ++k)
    left.line("epoch " + std::to_string(kFitEpochs[k]), r.grid.row(0).t(), r.fits[k].row(0).t(),
              {.colour = fit_colours[k % 4], .width = k + 1 == kFitEpochs.size() ? 3.0 : 2.0});

  const arma::vec epoch = arma::regspace(0, static_cast<double>(r.mse.size() - 1));
  nn::Plot& right = fig.panel(1);
  right.title("mean squared error, epoch by epoch")
      .xlabel("epoch")
      .ylabel("MSE (log scale)")
      .logscale_y()
      .key("top right");
  right.line("against the targets t (the training loss)", epoch, arma::vec(r.mse),
             {.colour = 0, .width = 2.5});
  right.line("against sin x over [-3, 3]", epoch, arma::vec(r.mse_from_sine),
             {.colour = 2, .width = 2.5});
  right.line("the noise: sin x against the targets", {0.0, epoch.back()},
             {r.noise_mse, r.noise_mse}, {.width = 1.5, .dashed = true, .hex = "#000000"});
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------------------

// The chapter's own flags, each with its range (a bad value: one error line, exit code 2).
void add_flags(CLI::App& app, Settings& s) {
  app.add_option("--epochs", s.epochs, "Passes over the 300 training points")
      ->check(CLI::Range(1L, 100000L))
      ->capture_default_str();
  app.add_option("--learning-rate", s.learning_rate, "The SGD step size (both models)")
      ->check(nn::FinitePositive)
      ->capture_default_str();
  app.add_option("--hidden", s.hidden, "Hidden units H of the MLP")
      ->check(CLI::Range(arma::uword{1}, arma::uword{1000}))
      ->capture_default_str();
  app.add_option("--batch-size", s.batch_size,
                 "Samples per SGD step (300: all of them, full-batch gradient descent)")
      ->check(CLI::Range(arma::uword{1}, kPerClass * kClasses))
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli("06_mlp",
                      "Chapter 06: the multilayer perceptron as a library; a linear softmax "
                      "classifier and a 2-H-3 ReLU network on a spiral, then a 1-32-32-1 "
                      "network fitting a noisy sine (its settings are fixed; --seed changes "
                      "its data)");
  Settings s;
  add_flags(cli.app(), s);
  if (auto code = cli.parse(argc, argv)) return *code;
  nn::make_reproducible(cli.seed());
  s.seed = cli.seed();

  try {
    std::cout << "Chapter 06: the multilayer perceptron as a library\n"
              << "==================================================\n\n";
    section2_softmax_overflow();
    const nn::Dataset data = nn::spiral(kPerClass, kClasses, kAngleNoise, s.seed);
    std::mt19937_64 rng(s.seed);  // draws section 5's weights, then section 6's
    std::vector<Model> models = section5_data_and_models(data, s, rng);
    section6_loss_before_training(models, data, s, rng);
    section7_training(models, data, s);
    section8_learn_by_heart(data, s);
    const Regression regression = section9_regression(s);
    print_results(models, data, regression, s);

    draw_regions(models, data, cli.out_dir());
    draw_curves(models, cli.out_dir());
    draw_regression(regression, cli.out_dir());
    std::cout << "Figures: regions, curves, regression (.png, .csv) in " << cli.out_dir()
              << "\n";
  } catch (const std::exception& e) {
    std::cerr << "06_mlp: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
