// Chapter 10: when training fails
// ===========================================================================================
// What you learn: how to find out why a network does not learn. Ten failures that learners
// meet again and again are each put into a healthy training program by ONE line (marked
// "BREAK name" below), run beside the healthy program, and caught by a check of
// common/diagnose.hpp that names it: a learning rate too large or too small, pixels not
// scaled, a wrong gradient, the mean's 1/m forgotten, a start of zeros or of huge weights,
// labels shuffled apart from their images, a softmax without its shift, and overfitting.
// The checks are the ones a reader runs on a network of their own, in the order of the
// checklist at the end of the text.
//
// Run:   ./tutorial 10        or   build/release/chapters/10_when_training_fails [--help]
//        [--break NAME] (one failure beside the healthy run; --break list names them)
//        [--data DIR] [--seed 42] [--out DIR]
// Needs: Debian's package dataset-fashion-mnist (./tutorial installs it) for the failures
// shown on photos; the spiral's failures run without it.
// Draws (into build/release/output/10_when_training_fails/, or --out DIR), with no --break:
//   gallery.png          the loss curves of every failure, one panel each, the healthy run
//                        in grey behind it; a run that blew up is marked where it stopped
//   lr_range.png         the learning-rate range test on both data sets, with the rate it
//                        suggests
//   gradient_check.png   the gradient check's relative error per layer: wrong-gradient
//                        against the healthy network, with the tolerance
//   dead_units.png       the share of dead ReLU units per layer: huge-init against healthy
//   generalisation.png   training against validation accuracy: shuffled-labels and
//                        overfitting against the healthy run
#include <armadillo>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/batches.hpp"
#include "common/cli.hpp"
#include "common/diagnose.hpp"
#include "common/divergence.hpp"
#include "common/format.hpp"
#include "common/idx.hpp"
#include "common/initializer.hpp"
#include "common/loss.hpp"
#include "common/metrics.hpp"
#include "common/network.hpp"
#include "common/optimizer.hpp"
#include "common/plot.hpp"
#include "common/reproducible.hpp"
#include "common/toy_data.hpp"

namespace {

const std::string kChapter = "10_when_training_fails";

// Shapes, for a data set of N samples, a mini-batch of m of them and K classes (one sample
// per column, as always):
//   X  (n_in x N)   inputs          t  (N)   targets, the classes 0..K-1
//   Z  (K x m)      logits          P  (K x m)   softmax(Z), the network's output y
//   T  (K x m)      one_hot(t)      dZ (K x m)   dL/dZ = (P - T) / m

// ---------------------------------------------------------------------------------------
// 1. The failures, and the line that causes each
// ---------------------------------------------------------------------------------------

enum class Break {
  none,
  lr_too_high,
  lr_too_low,
  unscaled_inputs,
  wrong_gradient,
  no_mean,
  zero_init,
  huge_init,
  shuffled_labels,
  naive_softmax,
  overfitting
};

enum class DataSet { spiral, fashion };

// One failure: its --break name, the cause (a gallery panel's title), the data it is shown
// on, and the check that catches it (the start of the check's line).
struct Failure {
  Break id;
  std::string name, cause, short_cause;
  DataSet data;
  std::string check;
};

const std::vector<Failure>& failures() {
  static const std::vector<Failure> all = {
      {Break::lr_too_high, "lr-too-high", "learning rate 100x too large", "rate x 100",
       DataSet::spiral, "loss history"},
      {Break::lr_too_low, "lr-too-low", "learning rate 100x too small", "rate / 100",
       DataSet::spiral, "one small batch"},
      {Break::unscaled_inputs, "unscaled-inputs", "pixels 0-255, not scaled to [0, 1]",
       "pixels 0-255", DataSet::fashion, "initial loss"},
      {Break::wrong_gradient, "wrong-gradient", "W instead of W^T in backward", "W for W^T",
       DataSet::spiral, "gradient check"},
      {Break::no_mean, "no-mean", "the 1/m of the mean forgotten", "no 1/m in dZ",
       DataSet::fashion, "loss gradient"},
      {Break::zero_init, "zero-init", "every weight starts at 0", "all weights 0",
       DataSet::fashion, "activation spread"},
      {Break::huge_init, "huge-init", "hidden weights start 10x too large", "10 x He",
       DataSet::spiral, "activation spread"},
      {Break::shuffled_labels, "shuffled-labels", "labels shuffled apart from images",
       "labels shuffled", DataSet::fashion, "generalisation"},
      {Break::naive_softmax, "naive-softmax", "softmax without its shift by max z",
       "e^z unshifted", DataSet::fashion, "softmax shift"},
      {Break::overfitting, "overfitting", "100 training images for 15,000 parameters",
       "100 images", DataSet::fashion, "generalisation"},
  };
  return all;
}

const Failure& failure_named(const std::string& name) {
  for (const Failure& f : failures())
    if (f.name == name) return f;
  throw std::invalid_argument("no failure named " + name);
}

// ---------------------------------------------------------------------------------------
// 2. The data: chapter 06's spiral, and a small Fashion-MNIST
// ---------------------------------------------------------------------------------------

struct Problem {
  std::string name;
  arma::mat X, X_val;  // (n_in x N), (n_in x N_val); X_val is empty for the spiral
  arma::uvec t, t_val;
  arma::uword K = 0;
};

// Chapter 06's spiral: 3 arms of 100 points, no validation set.
Problem spiral_problem(unsigned seed) {
  const nn::Dataset d = nn::spiral(100, 3, 0.2, seed);
  return {"spiral", d.X, {}, d.t, {}, 3};
}

// 2,000 training images and 1,000 validation images: the first and the last of the
// training file (the test file is never read), each 28 x 28 image averaged over 2 x 2
// blocks into 14 x 14 = 196 pixels. The pixels stay 0..255 here; scaling them is part of
// the training program (section 3), where one of the failures forgets it.
constexpr arma::uword kTrainImages = 2000, kValidationImages = 1000, kSide = 14;

arma::mat halved_pixels(const nn::Images& images, arma::uword first, arma::uword count) {
  arma::mat X(kSide * kSide, count);  // (196 x count), values 0..255
  for (arma::uword i = 0; i < count; ++i)
    for (arma::uword r = 0; r < kSide; ++r)
      for (arma::uword c = 0; c < kSide; ++c) {
        const auto px = [&](arma::uword rr, arma::uword cc) {
          return double(images.pixels(rr * 28 + cc, first + i));
        };
        X(r * kSide + c, i) = (px(2 * r, 2 * c) + px(2 * r, 2 * c + 1) + px(2 * r + 1, 2 * c) +
                               px(2 * r + 1, 2 * c + 1)) /
                              4;
      }
  return X;
}

Problem fashion_problem(const std::string& dir) {
  nn::ImageDataset file;
  try {
    file = nn::load_fashion_mnist(dir, nn::Split::train);
  } catch (const nn::DataError& e) {
    throw nn::DataError(std::string(e.what()) +
                        " (install Debian's package dataset-fashion-mnist, or name the folder "
                        "with --data)");
  }
  if (file.images.rows != 28 || file.images.cols != 28 ||
      file.size() < kTrainImages + kValidationImages)
    throw nn::DataError("the training file in " + dir +
                        " is not Fashion-MNIST's: it needs at least 3,000 images of 28 x 28");
  Problem p;
  p.name = "Fashion-MNIST";
  p.X = halved_pixels(file.images, 0, kTrainImages);
  p.t = file.labels.head(kTrainImages);
  p.X_val = halved_pixels(file.images, file.size() - kValidationImages, kValidationImages);
  p.t_val = file.labels.tail(kValidationImages);
  p.K = 10;
  return p;
}

// ---------------------------------------------------------------------------------------
// 3. The healthy training program, with the ten lines that break it
// ---------------------------------------------------------------------------------------

// How each data set is trained when nothing is broken.
struct Recipe {
  std::vector<arma::uword> sizes;  // {n_in, hidden..., K}
  double learning_rate;            // plain SGD
  arma::uword batch_size;          // m
  long steps;                      // updates in all
  long steps_per_point;            // a point of the curves after this many updates
};

Recipe recipe_for(DataSet data) {
  if (data == DataSet::spiral) return {{2, 32, 32, 3}, 0.5, 30, 3000, 30};
  return {{kSide * kSide, 64, 32, 10}, 0.2, 50, 1200, 40};
}

// [listing network]
// The network with its backward pass written out, layer by layer, as in chapter 05: the
// layers are common/'s nn::Dense, and only the passing back of dA is the chapter's own.
struct Mlp {
  using Matrix = arma::mat;
  nn::Network<double> net;
  Break broken = Break::none;
  std::vector<arma::mat> dA;  // dA[l]: the gradient passed back into layer l (0-based)

  const arma::mat& forward(const arma::mat& X) { return net.forward(X); }

  // dOut = dL/dZ of the output layer (K x m). Fills every layer's dW and db.
  void backward(const arma::mat& dOut) {
    const std::size_t L = net.n_layers();
    dA.resize(L);
    dA[L - 1] = dOut;
    for (std::size_t l = L - 1; l > 0; --l) {
      nn::Dense<double>& layer = net.layer(l);
      layer.compute_gradients(dA[l]);        // dZ = dA % g'(Z), dW = dZ A_prev^T, db = dZ 1
      dA[l - 1] = layer.W.t() * layer.dZ();  // dA_prev = W^T dZ
      if (broken == Break::wrong_gradient && l == 1)
        dA[l - 1] = layer.W * layer.dZ();  // BREAK wrong-gradient (layer 2)
    }
    net.layer(0).compute_gradients(dA[0]);
  }

  std::vector<nn::Parameter<double>> parameters() { return net.parameters(); }
  std::size_t n_layers() const { return net.n_layers(); }
  nn::Dense<double>& layer(std::size_t l) { return net.layer(l); }
  const nn::Dense<double>& layer(std::size_t l) const { return net.layer(l); }
};
// [end network]

// [listing start]
// He's start for the ReLU layers (chapter 07), small weights for the output layer (every
// class starts near 1/K, chapter 06); every b = 0.
Mlp make_network(const Recipe& r, Break broken, std::mt19937_64& rng) {
  Mlp mlp{nn::Network<double>(r.sizes, nn::Activation::relu), broken, {}};
  nn::Initializer hidden = nn::Initializer::he(), output = nn::Initializer::normal(0.01);
  if (broken == Break::zero_init)
    hidden = output = nn::Initializer::zeros();  // BREAK zero-init
  for (std::size_t l = 0; l < mlp.n_layers(); ++l) {
    const bool output_layer = l + 1 == mlp.n_layers();
    mlp.layer(l).initialize(output_layer ? output : hidden, rng);
    if (broken == Break::huge_init && !output_layer) mlp.layer(l).W *= 10;  // BREAK huge-init
  }
  return mlp;
}
// [end start]

// [listing loss]
// p = e^z / sum e^z straight from the definition: e^z overflows past z = 709.78.
arma::mat naive_softmax(const arma::mat& Z) {
  const arma::mat E = arma::exp(Z);  // (K x m)
  return E.each_row() / arma::sum(E, 0);
}

// L = mean over the batch of -ln p_t, and dZ = dL/dZ = (P - T) / m.
double loss_and_gradient(const arma::mat& Z, const arma::uvec& t, arma::mat& dZ, Break broken) {
  const double m = double(Z.n_cols);
  arma::mat P = nn::softmax(Z);  // (K x m), computed as e^(z - max z) / sum (chapter 06)
  if (broken == Break::naive_softmax) P = naive_softmax(Z);  // BREAK naive-softmax
  const arma::mat T = nn::one_hot(t, Z.n_rows);
  dZ = (P - T) / m;
  if (broken == Break::no_mean) dZ = P - T;  // BREAK no-mean: the 1/m forgotten
  double loss = 0.0;
  for (arma::uword s = 0; s < t.n_elem; ++s) loss -= std::log(P(t(s), s));
  return loss / m;
}
// [end loss]

// [listing data]
// The inputs and targets training sees.
void prepare(Problem& p, Break broken, unsigned seed) {
  if (p.name != "Fashion-MNIST") return;  // the spiral's points are within [-1, 1] already
  double scale = 255;                     // pixels 0..255 to [0, 1] (chapter 09)
  if (broken == Break::unscaled_inputs) scale = 1;  // BREAK unscaled-inputs
  p.X /= scale;
  p.X_val /= scale;
  if (broken == Break::shuffled_labels)
    p.t = p.t(nn::epoch_order(p.t.n_elem, seed, 1));  // BREAK shuffled-labels
  arma::uword keep = p.X.n_cols;                      // every training image
  if (broken == Break::overfitting) keep = 100;       // BREAK overfitting: 100 images
  p.X = p.X.head_cols(keep);
  p.t = p.t.head(keep);
}
// [end data]

// [listing rate]
double learning_rate(const Recipe& r, Break broken) {
  double lr = r.learning_rate;
  if (broken == Break::lr_too_high) lr *= 100;  // BREAK lr-too-high
  if (broken == Break::lr_too_low) lr /= 100;   // BREAK lr-too-low
  return lr;
}
// [end rate]

// What a training run records at each point of its curves.
struct History {
  std::vector<double> step, loss, accuracy, val_loss, val_accuracy;
  bool stopped = false;  // diverged: NaN, inf, or 10x the start (divergence.hpp)
};

struct Scores {
  double loss, accuracy;
};

Scores score(Mlp& mlp, const arma::mat& X, const arma::uvec& t, Break broken) {
  arma::mat dZ;
  const arma::mat& Z = mlp.forward(X);
  const double loss = loss_and_gradient(Z, t, dZ, broken);
  const arma::uvec predicted = arma::index_max(Z, 0).t();
  return {loss, nn::accuracy(predicted, t)};
}

void record(History& h, long step, Mlp& mlp, const Problem& p, Break broken) {
  const Scores train = score(mlp, p.X, p.t, broken);
  h.step.push_back(double(step));
  h.loss.push_back(train.loss);
  h.accuracy.push_back(train.accuracy);
  if (p.X_val.n_cols > 0) {
    const Scores val = score(mlp, p.X_val, p.t_val, broken);
    h.val_loss.push_back(val.loss);
    h.val_accuracy.push_back(val.accuracy);
  }
}

// [listing train]
// Mini-batch SGD, the five parts of chapter 05; stops when the loss diverges.
History train(Mlp& mlp, const Problem& p, const Recipe& r, double lr, Break broken,
              unsigned seed) {
  const std::vector<nn::Parameter<double>> params = mlp.parameters();
  nn::Sgd<double> sgd(lr);
  nn::MiniBatches<double> batches(p.X, p.t, r.batch_size, seed);
  arma::mat dZ;
  History h;
  record(h, 0, mlp, p, broken);
  for (long step = 1; step <= r.steps && !h.stopped; ++step) {
    const arma::uword k = arma::uword(step - 1) % batches.count();
    if (k == 0) batches.shuffle(arma::uword(step - 1) / batches.count());
    batches.gather(k);
    const arma::mat& Z = mlp.forward(batches.X());  // 2. forward
    loss_and_gradient(Z, batches.t(), dZ, broken);  // 3. loss, and dZ
    mlp.backward(dZ);                               // 4. backward
    sgd.step(params);                               // 5. update
    if (step % r.steps_per_point != 0) continue;
    record(h, step, mlp, p, broken);
    h.stopped = nn::has_diverged(h.loss.back(), h.loss.front());
  }
  return h;
}
// [end train]

// ---------------------------------------------------------------------------------------
// 4. A run: the checks before training, training, the checks after
// ---------------------------------------------------------------------------------------

struct Run {
  std::string name;  // "healthy" or the failure's --break name
  Break broken;
  DataSet data;
  double learning_rate;
  History history;
  std::vector<nn::Finding> findings;  // every check, in the checklist's order
  nn::GradientCheck gradients;        // the gradient check, layer by layer
  nn::DeadUnits dead_after;           // dead units of the trained network
  nn::RangeTest range;                // the learning-rate range test
  double largest_logit = 0;           // the trained network's largest |z| on its training data
  // The trained network on the validation images left at 0..255 (Fashion-MNIST only): the
  // largest logit, and the loss with the shifted softmax and with the naive one.
  double unscaled_logit = 0, unscaled_loss = 0, unscaled_naive_loss = 0;
};

// A check is named by how its line starts ("initial loss", "gradient check", ...).
const nn::Finding* finding_of(const Run& run, const std::string& check) {
  for (const nn::Finding& f : run.findings)
    if (f.line.rfind(check, 0) == 0) return &f;
  return nullptr;
}

// The trained network's largest logit on its training data and, for Fashion-MNIST, on its
// validation images left at 0..255 (a photo given as bytes, chapter 09), with the loss there
// by the shifted and by the naive softmax (section 6.9 of the text).
void measure_logits(Mlp& mlp, const Problem& original, const Problem& p, Run& run) {
  run.largest_logit = arma::abs(mlp.forward(p.X)).max();
  if (p.X_val.is_empty()) return;
  const arma::mat& Z = mlp.forward(original.X_val);  // (K x N_val), pixels 0..255
  arma::mat dZ;
  run.unscaled_logit = arma::abs(Z).max();
  run.unscaled_loss = nn::softmax_cross_entropy(Z, p.t_val);
  run.unscaled_naive_loss = loss_and_gradient(Z, p.t_val, dZ, Break::naive_softmax);
}

// [listing checks]
// Every check of common/diagnose.hpp, in the order of the checklist: before training on the
// network as it starts, then on what training recorded and on the trained network.
Run run_one(const std::string& name, Break broken, DataSet data, const Problem& original,
            unsigned seed) {
  Problem p = original;
  prepare(p, broken, seed);
  const Recipe r = recipe_for(data);
  std::mt19937_64 rng(seed);
  Mlp mlp = make_network(r, broken, rng);
  Run run{name, broken, data, learning_rate(r, broken), {}, {}, {}, {}, {}};
  nn::Sgd<double> sgd(run.learning_rate);
  const nn::LossFunction loss = [broken](const arma::mat& Z, const arma::uvec& t,
                                         arma::mat& dZ) {
    return loss_and_gradient(Z, t, dZ, broken);
  };
  arma::mat X4;  // 4 samples for the gradient checks
  arma::uvec t4;
  nn::pick_samples(p.X, p.t, 4, seed, X4, t4);
  const arma::mat Z4 = mlp.forward(X4);  // (K x 4) logits

  run.findings.push_back(nn::check_initial_loss(mlp, p.X, p.t));
  run.findings.push_back(nn::check_loss_gradient(loss, Z4, t4));
  run.findings.push_back(nn::check_loss_shift(loss, Z4, t4));
  run.gradients = nn::check_gradients(mlp, X4, t4);
  run.findings.push_back(run.gradients.finding);
  const nn::Spread spread = nn::check_spread(mlp, p.X, p.t);
  run.findings.push_back(spread.activations);
  run.findings.push_back(spread.gradients);
  run.findings.push_back(nn::check_dead_units(mlp, p.X).finding);
  run.findings.push_back(nn::check_overfit_small_batch(mlp, sgd, p.X, p.t).finding);
  run.range = nn::learning_rate_range_test(mlp, sgd, p.X, p.t);
  run.findings.push_back(run.range.finding);

  run.history = train(mlp, p, r, run.learning_rate, broken, seed);
  run.findings.push_back(nn::check_loss_history(run.history.loss));
  measure_logits(mlp, original, p, run);  // for section 6.9
  run.dead_after = nn::check_dead_units(mlp, p.X);
  run.findings.push_back(run.dead_after.finding);
  run.findings.back().line = "after training, " + run.findings.back().line;
  if (!p.X_val.is_empty())
    run.findings.push_back(nn::check_generalisation(
        {run.history.loss.back(), run.history.accuracy.back(), p.X.n_cols},
        {run.history.val_loss.back(), run.history.val_accuracy.back(), p.X_val.n_cols}, p.K));
  return run;
}
// [end checks]

std::string loss_text(double loss) {
  if (std::isnan(loss)) return "NaN";
  if (std::isinf(loss)) return "inf";
  return nn::num(loss, "%.4f");
}

std::string data_name(DataSet d) { return d == DataSet::spiral ? "spiral" : "Fashion-MNIST"; }

// "loss 1.0950 -> 0.0301, accuracy 98.7%, validation 78.1%"
std::string outcome(const Run& run) {
  const History& h = run.history;
  std::string text = "loss " + loss_text(h.loss.front()) + " -> " + loss_text(h.loss.back()) +
                     ", accuracy " + nn::percent(h.accuracy.back());
  if (!h.val_accuracy.empty()) text += ", validation " + nn::percent(h.val_accuracy.back());
  if (h.stopped)
    text += ", stopped (diverged) after " + nn::thousands(long(h.step.back())) + " updates";
  return text;
}

// ---------------------------------------------------------------------------------------
// 5. The healthy runs pass every check
// ---------------------------------------------------------------------------------------

struct Healthy {
  std::optional<Run> spiral, fashion;
  const Run& of(DataSet d) const { return d == DataSet::spiral ? *spiral : *fashion; }
};

void print_report(const Run& run) {
  for (const std::string& line : nn::report_lines(run.findings))
    std::printf("    %s\n", line.c_str());
}

Healthy section5_healthy_runs(const std::optional<Problem>& spiral,
                              const std::optional<Problem>& fashion, unsigned seed) {
  Healthy h;
  std::cout << "The healthy programs, and every check on them\n";
  if (spiral) h.spiral = run_one("healthy", Break::none, DataSet::spiral, *spiral, seed);
  if (fashion) h.fashion = run_one("healthy", Break::none, DataSet::fashion, *fashion, seed);
  for (const std::optional<Run>* run : {&h.spiral, &h.fashion}) {
    if (!*run) continue;
    const Recipe r = recipe_for((*run)->data);
    std::string sizes;
    for (arma::uword n : r.sizes) sizes += (sizes.empty() ? "" : "-") + std::to_string(n);
    std::printf("  %s: %s ReLU, SGD %s, batch %u, %s updates: %s\n",
                data_name((*run)->data).c_str(), sizes.c_str(),
                nn::num(r.learning_rate).c_str(), unsigned(r.batch_size),
                nn::thousands(r.steps).c_str(), outcome(**run).c_str());
    print_report(**run);
  }
  std::cout << "\n";
  return h;
}

// ---------------------------------------------------------------------------------------
// 6. Each failure beside its healthy run, and the check that names it
// ---------------------------------------------------------------------------------------

std::vector<Run> section6_failures(const std::vector<const Failure*>& chosen,
                                   const Healthy& healthy, const std::optional<Problem>& spiral,
                                   const std::optional<Problem>& fashion, unsigned seed,
                                   bool full_report) {
  std::vector<Run> runs;
  std::cout << "The failures, each beside its healthy run\n";
  for (const Failure* f : chosen) {
    runs.push_back(run_one(f->name, f->id, f->data,
                           f->data == DataSet::spiral ? *spiral : *fashion, seed));
    const Run& run = runs.back();
    std::printf("  --break %s (%s): %s\n", f->name.c_str(), data_name(f->data).c_str(),
                f->cause.c_str());
    std::printf("    you see: %s\n", outcome(run).c_str());
    std::printf("    healthy: %s\n", outcome(healthy.of(f->data)).c_str());
    const nn::Finding* own = finding_of(run, f->check);
    std::printf("    check:   %s\n",
                own == nullptr ? "(missing)" : nn::report_lines({*own}).front().c_str());
    if (f->id == Break::naive_softmax)
      std::printf(
          "    the largest logit on the training images: %s, far below 709.78, where e^z\n"
          "    overflows. The trained network given its validation images as 0..255\n"
          "    (logits up to %s): loss %s with the shifted softmax, %s with the naive one\n",
          nn::num(run.largest_logit, "%.1f").c_str(),
          nn::thousands(std::lround(run.unscaled_logit)).c_str(),
          nn::num(run.unscaled_loss, "%.1f").c_str(),
          loss_text(run.unscaled_naive_loss).c_str());
    if (full_report) {
      std::cout << "    every check:\n";
      for (const std::string& line : nn::report_lines(run.findings))
        std::printf("      %s\n", line.c_str());
    } else {
      int others = 0;
      for (const nn::Finding& finding : run.findings) others += !finding.ok && &finding != own;
      if (others > 0)
        std::printf("    (and %d other check%s failed: --break %s lists them all)\n", others,
                    others == 1 ? "" : "s", f->name.c_str());
    }
  }
  std::cout << "\n";
  return runs;
}

// ---------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------

const nn::Style kHealthyStyle{.width = 3.0, .hex = "#AAAAAA"};
const nn::Style kHealthyValStyle{.width = 3.0, .dashed = true, .hex = "#AAAAAA"};

arma::vec as_vec(const std::vector<double>& v) { return arma::vec(v); }

// The loss curves of every failure, one panel each, the healthy run in grey behind it.
void draw_gallery(const std::vector<Run>& runs, const Healthy& healthy,
                  const std::string& out) {
  nn::Figure fig("gallery", 1900, 820);
  fig.layout(2, 5,
             "Training loss of each failure (orange) against the healthy run (grey); "
             "validation dashed; a triangle where a run diverged and stopped");
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const Run& run = runs[k];
    const Failure& f = failure_named(run.name);
    const Run& good = healthy.of(run.data);
    nn::Plot& p = fig.panel(k);
    p.title(f.name + " (" + f.short_cause + ")")
        .xlabel("updates (" + data_name(run.data) + ")")
        .ylabel("loss")
        .logscale_y()
        .yrange(0.001, 50)
        .command(run.data == DataSet::spiral ? "set xtics 1000" : "set xtics 400")
        .key("off");
    if (run.broken == Break::naive_softmax)
      p.label(600, 12, "identical: no logit reached 709", "center", 11);
    const bool show_validation = f.check == "generalisation";
    p.line("healthy", as_vec(good.history.step), as_vec(good.history.loss), kHealthyStyle);
    if (show_validation)
      p.line("healthy, validation", as_vec(good.history.step), as_vec(good.history.val_loss),
             kHealthyValStyle);
    p.line("broken", as_vec(run.history.step), as_vec(run.history.loss),
           {.colour = 4, .width = 2.0});
    if (show_validation)
      p.line("broken, validation", as_vec(run.history.step), as_vec(run.history.val_loss),
             {.colour = 4, .width = 2.0, .dashed = true});
    if (run.history.stopped)
      p.points("stopped: diverged", {run.history.step.back()}, {run.history.loss.back()},
               {.colour = 7, .point_size = 2.0, .point_type = 9});
  }
  fig.save(out);
}

// The learning-rate range test of both healthy networks, with the suggested rate.
void draw_lr_range(const Healthy& healthy, const std::string& out) {
  nn::Figure fig("lr_range", 1300, 560);
  fig.layout(1, 2,
             "The learning-rate range test: the loss (smoothed) while the rate rises, one "
             "mini-batch per rate");
  std::size_t k = 0;
  for (const Run* run : {&*healthy.spiral, &*healthy.fashion}) {
    const nn::RangeTest& r = run->range;
    const double suggested = r.finding.value;
    const double lo = *std::min_element(r.loss.begin(), r.loss.end());
    const double hi = *std::max_element(r.loss.begin(), r.loss.end());
    nn::Plot& p = fig.panel(k++);
    p.title(data_name(run->data) + ": lowest at " + nn::num(r.rate_at_minimum, "%.3g") +
            ", suggested " + nn::num(suggested, "%.3g") +
            " (used: " + nn::num(run->learning_rate) + ")")
        .xlabel("learning rate (log scale)")
        .ylabel("smoothed loss")
        .command("set logscale x")
        .command("set format x '10^{%L}'")
        .yrange(0, 1.1 * hi)
        .key("top left");
    p.line("loss at that rate", as_vec(r.rate), as_vec(r.loss), {.colour = 0});
    p.points("lowest loss", {r.rate_at_minimum}, {lo}, {.colour = 4, .point_size = 1.8});
    p.line("suggested: a tenth of the lowest's rate", {suggested, suggested}, {0.0, 1.1 * hi},
           {.colour = 2, .dashed = true});
  }
  fig.save(out);
}

// The gradient check's relative error per layer: wrong-gradient against healthy.
void draw_gradient_check(const Run& broken, const Run& healthy, const std::string& out) {
  nn::Figure fig("gradient_check", 900, 560);
  const arma::vec layers = arma::regspace(1, double(broken.gradients.W_error.n_elem));
  // An error of exactly 0 cannot be drawn on a log scale: shown at 1e-16 (rounding level).
  const auto drawable = [](const arma::vec& e) {
    return arma::vec(arma::clamp(e, 1e-16, 1e3));
  };
  fig.title("The gradient check per layer: layer 2 passes back W dZ instead of W^T dZ")
      .xlabel("layer")
      .ylabel("relative error against finite differences")
      .logscale_y()
      .yrange(1e-12, 1e2)
      .command("set format y '10^{%L}'")
      .xrange(0.7, double(layers.n_elem) + 0.3)
      .command("set xtics 1")
      .key("top right");
  fig.line("healthy, dW", layers, drawable(healthy.gradients.W_error), kHealthyStyle);
  fig.line("healthy, db", layers, drawable(healthy.gradients.b_error), kHealthyValStyle);
  fig.line("wrong-gradient, dW", layers, drawable(broken.gradients.W_error),
           {.colour = 4, .width = 2.5});
  fig.line("wrong-gradient, db", layers, drawable(broken.gradients.b_error),
           {.colour = 4, .width = 2.5, .dashed = true});
  fig.points("", layers, drawable(broken.gradients.W_error),
             {.colour = 4, .point_size = 1.5, .in_key = false});
  fig.line("tolerance 1e-7", {0.7, double(layers.n_elem) + 0.3},
           {nn::kGradientCheckTolerance, nn::kGradientCheckTolerance},
           {.colour = 7, .width = 1.5, .dashed = true});
  fig.save(out);
}

// The share of dead ReLU units per hidden layer after training.
void draw_dead_units(const std::vector<const Run*>& runs, const std::string& out) {
  nn::Figure fig("dead_units", 900, 560);
  const arma::uword H = runs.front()->dead_after.share.n_elem;
  fig.title("Dead ReLU units after training (spiral): units that output 0 for every point")
      .xlabel("hidden layer")
      .ylabel("share of the layer's units dead")
      .yrange(-0.02, 1.45)
      .xrange(0.8, double(H) + 0.2)
      .command("set xtics 1")
      .key("top left");
  const arma::vec layers = arma::regspace(1, double(H));
  int colour = 4;
  for (const Run* run : runs) {
    const bool good = run->broken == Break::none;
    nn::Style style = good ? kHealthyStyle : nn::Style{.colour = colour++, .width = 2.5};
    fig.line(run->name, layers, run->dead_after.share, style);
    style.point_size = 1.5;
    style.in_key = false;
    fig.points("", layers, run->dead_after.share, style);
  }
  fig.line("the check's limit: half the layer", {0.8, double(H) + 0.2},
           {nn::kDeadUnitShare, nn::kDeadUnitShare},
           {.colour = 7, .width = 1.5, .dashed = true});
  fig.save(out);
}

// Training against validation accuracy for the failures the generalisation check catches.
void draw_generalisation(const std::vector<const Run*>& runs, const Run& healthy,
                         const std::string& out) {
  nn::Figure fig("generalisation", 1300, 560);
  fig.layout(1, int(runs.size()),
             "Training (solid) against validation (dashed) accuracy on Fashion-MNIST; the "
             "healthy run in grey");
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const Run& run = *runs[k];
    nn::Plot& p = fig.panel(k);
    p.title(run.name + ": " + failure_named(run.name).cause)
        .xlabel("updates")
        .ylabel("accuracy")
        .yrange(0, 1.05)
        .key("right center");
    const arma::vec steps = as_vec(healthy.history.step);
    p.line("healthy, training", steps, as_vec(healthy.history.accuracy), kHealthyStyle);
    p.line("healthy, validation", steps, as_vec(healthy.history.val_accuracy),
           kHealthyValStyle);
    p.line(run.name + ", training", as_vec(run.history.step), as_vec(run.history.accuracy),
           {.colour = 4, .width = 2.5});
    p.line(run.name + ", validation", as_vec(run.history.step),
           as_vec(run.history.val_accuracy), {.colour = 4, .width = 2.5, .dashed = true});
    p.line("chance: 10%", {0.0, steps(steps.n_elem - 1)}, {0.1, 0.1},
           {.colour = 7, .width = 1.5, .dashed = true});
  }
  fig.save(out);
}

const Run& run_named(const std::vector<Run>& runs, const std::string& name) {
  for (const Run& r : runs)
    if (r.name == name) return r;
  throw std::logic_error("no run named " + name);
}

void draw_figures(const std::vector<Run>& runs, const Healthy& healthy,
                  const std::string& out) {
  draw_gallery(runs, healthy, out);
  draw_lr_range(healthy, out);
  draw_gradient_check(run_named(runs, "wrong-gradient"), *healthy.spiral, out);
  draw_dead_units({&*healthy.spiral, &run_named(runs, "huge-init")}, out);
  draw_generalisation({&run_named(runs, "shuffled-labels"), &run_named(runs, "overfitting")},
                      *healthy.fashion, out);
  std::cout << "Figures: gallery, lr_range, gradient_check, dead_units, generalisation (.png, "
               ".csv) in "
            << out << "\n";
}

// ---------------------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------------------

void print_list() {
  std::cout << "The failures (--break NAME), each one line of this chapter's program:\n";
  for (const Failure& f : failures())
    std::printf("  %-16s %-14s %s\n", f.name.c_str(), data_name(f.data).c_str(),
                f.cause.c_str());
}

std::string break_names() {
  std::string names;
  for (const Failure& f : failures()) names += (names.empty() ? "" : ", ") + f.name;
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli(kChapter,
                      "Chapter 10: when training fails; ten failures, each made by one line, "
                      "run beside the healthy program and caught by a check");
  std::string broken_name, data_dir = nn::kFashionMnistDir;
  cli.app()
      .add_option("--break", broken_name,
                  "Run one failure beside its healthy run and print every check; "
                  "'list' names them")
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            if (name == "list") return "";
            for (const Failure& f : failures())
              if (f.name == name) return "";
            return "no failure named '" + name + "' (one of: list, " + break_names() + ")";
          },
          "NAME"));
  cli.app().add_option("--data", data_dir,
                       "The folder of Fashion-MNIST's IDX files (Debian's "
                       "dataset-fashion-mnist installs them in " +
                           std::string(nn::kFashionMnistDir) + ")");
  if (auto code = cli.parse(argc, argv)) return *code;
  nn::make_reproducible(cli.seed());
  if (broken_name == "list") {
    print_list();
    return 0;
  }

  try {
    std::vector<const Failure*> chosen;
    for (const Failure& f : failures())
      if (broken_name.empty() || f.name == broken_name) chosen.push_back(&f);
    const auto needs = [&](DataSet d) {
      return std::any_of(chosen.begin(), chosen.end(),
                         [d](const Failure* f) { return f->data == d; });
    };
    std::optional<Problem> spiral, fashion;
    if (needs(DataSet::spiral)) spiral = spiral_problem(cli.seed());
    if (needs(DataSet::fashion)) fashion = fashion_problem(data_dir);  // a missing file stops
    std::cout << "Chapter 10: when training fails\n"
              << "===============================\n\n"
              << "The data: ";
    if (spiral)
      std::cout << "chapter 06's spiral (300 points, 3 classes)" << (fashion ? "; " : "");
    if (fashion)
      std::cout << "Fashion-MNIST, the first " << nn::thousands(kTrainImages)
                << " images of the training file to train on and its last "
                << nn::thousands(kValidationImages) << " for validation, halved to 14 x 14";
    std::cout << ".\n\n";
    const Healthy healthy = section5_healthy_runs(spiral, fashion, cli.seed());
    const std::vector<Run> runs =
        section6_failures(chosen, healthy, spiral, fashion, cli.seed(), !broken_name.empty());
    if (broken_name.empty()) draw_figures(runs, healthy, cli.out_dir());
  } catch (const std::exception& e) {
    std::cerr << kChapter << ": error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
