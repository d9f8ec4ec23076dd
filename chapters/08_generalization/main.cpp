// Chapter 08: generalisation, or how well does the network do on data it has never seen?
// ===========================================================================================
// What you learn: a network is trained on some samples and used on others. Its score on
// its own training samples says little about that: a network large enough learns its
// training set by heart, noise included, and does worse on new data (overfitting). This
// chapter
//   - splits one noisy data set into a training, a validation and a test set, and says
//     what each one is for;
//   - trains a 2-64-64-2 network far too long on 200 points and watches the validation
//     loss rise while the training loss keeps falling;
//   - trains it again with an L2 penalty (lambda / 2) sum W^2 added to the loss, whose
//     gradient lambda W pulls every weight towards zero;
//   - stops early: keeps a copy of the network at its lowest validation loss and stops
//     when that has not improved for --patience epochs;
//   - chooses a model on the validation set; only --final then looks at the test set, once.
//
// Run:   ./tutorial 08        or   build/release/chapters/08_generalization [--help]
//        [--epochs 800] [--lambda 0.01] [--patience 50] [--learning-rate 0.005] [--seed 42]
//        [--final]   (measures the chosen model on the test set: do it once, last)
// Draws (into build/release/output/08_generalization/, or --out DIR):
//   loss_curves.png   training and validation loss per epoch, without and with L2; the
//                     early-stopping epochs are marked on the first
//   boundaries.png    the decision regions of the overfit, the early-stopped and the L2
//                     network, with the training points they learned from
#include <armadillo>

#include <algorithm>
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
#include "common/loss.hpp"
#include "common/metrics.hpp"
#include "common/network.hpp"
#include "common/optimizer.hpp"
#include "common/plot.hpp"
#include "common/reproducible.hpp"
#include "common/toy_data.hpp"

namespace {

using Real = float;  // the networks compute in float, as chapter 09's does
using Matrix = arma::Mat<Real>;

// ---------------------------------------------------------------------------------------
// 1. One data set, three jobs: training, validation, test
// ---------------------------------------------------------------------------------------

constexpr arma::uword kPerClass = 250;    // a ring and a disc of 250 points: 500 samples
constexpr double kNoise = 0.2;            // the standard deviation of the noise on x1 and x2
constexpr arma::uword kTrain = 200;       // 40%: small, so that overfitting is easy to see
constexpr arma::uword kValidation = 150;  // 30%; the test set is the other 30%, 150 samples

// One of the three sets.
struct Subset {
  Matrix X;      // (2 x N): one sample per column, N samples
  arma::uvec t;  // (N): the target, the class of each sample, 0 or 1
};

struct Splits {
  Subset train, validation, test;
  std::vector<std::string> class_names;
};

// [listing split]
// circles() lists all of class 0, then all of class 1: cut without shuffling and the
// training set would hold one class only. So shuffle the indices (with the seed), then cut.
// Every sample lands in exactly one of the three sets.
Splits split(const nn::Dataset& data, unsigned seed) {
  const arma::uvec order = nn::epoch_order(data.size(), seed, 0);  // a permutation of 0..499
  const arma::uvec train = order.head(kTrain);
  const arma::uvec validation = order.subvec(kTrain, kTrain + kValidation - 1);
  const arma::uvec test = order.tail(data.size() - kTrain - kValidation);
  auto take = [&](const arma::uvec& idx) {
    return Subset{arma::conv_to<Matrix>::from(data.X.cols(idx)), data.t(idx)};
  };
  return {take(train), take(validation), take(test), data.class_names};
}
// [end split]

constexpr arma::uword kHidden = 64;  // units in each of the two hidden layers
constexpr arma::uword kBatch = 50;   // 200 training samples: 4 mini-batches per epoch

// The chapter's settings (the command line can change each of them).
struct Settings {
  int epochs = 800;              // of each training run
  double learning_rate = 0.005;  // Adam's
  int patience = 50;             // early stopping's
  double lambda = 0.01;          // the L2 strength of the regularised run
  unsigned seed = 42;            // the data, its split, the starting weights and the batches
  bool final = false;            // --final: measure the chosen model on the test set
};

// The noisy data set, split three ways, and the network it will train.
Splits section1_the_data(const Settings& s) {
  const Splits data = split(nn::circles(kPerClass, kNoise, s.seed), s.seed);
  std::cout << "Data: a ring around a disc, " << 2 * kPerClass << " samples, noise sd "
            << kNoise << ", shuffled and split into\n  " << data.train.t.n_elem << " training, "
            << data.validation.t.n_elem << " validation and " << data.test.t.n_elem
            << " test samples.\n"
            << "Network: 2-" << kHidden << "-" << kHidden << "-2, ReLU, softmax "
            << "cross-entropy; Adam, learning rate " << s.learning_rate << ", mini-batches of "
            << kBatch << ".\n\n";
  return data;
}

// ---------------------------------------------------------------------------------------
// 2. A network that is too large: one epoch of training, and measuring it
// ---------------------------------------------------------------------------------------

// [listing epoch]
// One epoch: every training sample once, in mini-batches, in a new order each epoch.
// The optimiser was built with weight_decay = lambda, so its step uses dW + lambda W:
// the gradient of the cross-entropy plus that of the penalty (lambda / 2) ||W||^2.
void train_one_epoch(nn::Network<Real>& net, const std::vector<nn::Parameter<Real>>& params,
                     nn::Optimizer<Real>& optimizer, nn::MiniBatches<Real>& batches,
                     arma::uword epoch, Matrix& dZ) {
  batches.shuffle(epoch);
  for (arma::uword k = 0; k < batches.count(); ++k) {
    batches.gather(k);                           // batches.X() is (2 x 50)
    const Matrix& Z = net.forward(batches.X());  // Z is (2 x 50): the logits
    nn::softmax_cross_entropy(Z, batches.t(), dZ);
    net.backward(dZ);        // dW and db of every layer
    optimizer.step(params);  // W <- W - step(dW + lambda W);  b <- b - step(db)
  }
}
// [end epoch]

struct Measure {
  double loss;      // mean cross-entropy (the data loss, without the penalty)
  double accuracy;  // the fraction classified right
};

// [listing measure]
Measure measure(nn::Network<Real>& net, const Subset& set) {
  const Matrix& Z = net.forward(set.X);                    // Z is (2 x N): the logits
  const arma::uvec predicted = arma::index_max(Z, 0).t();  // the class of the larger logit
  return {nn::softmax_cross_entropy(Z, set.t), nn::accuracy(predicted, set.t)};
}
// [end measure]

struct History {  // one entry per epoch, epoch 1 first
  std::vector<double> train_loss, train_objective, validation_loss;

  void record(const Measure& train, double objective, const Measure& validation) {
    train_loss.push_back(train.loss);
    train_objective.push_back(objective);
    validation_loss.push_back(validation.loss);
  }
};

struct Run {
  std::string name;
  double lambda;
  nn::Network<Real> net;  // after the last epoch
  History history;
  int stop_epoch = 0;  // when early stopping said stop (0: it never did, or did not watch)
};

void print_row(int epoch, const Measure& train, double objective, const Measure& val) {
  std::printf("  %5d   %10.4f %10.4f %9.1f%%   %10.4f %9.1f%%\n", epoch, train.loss, objective,
              100.0 * train.accuracy, val.loss, 100.0 * val.accuracy);
}

// ---------------------------------------------------------------------------------------
// 3. L2 regularisation: in the optimiser (weight_decay) and nn::l2_penalty, in
//    common/optimizer.hpp
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// 4. Early stopping, and one training run
// ---------------------------------------------------------------------------------------

// [listing early_stopping]
// Watches the validation loss after each epoch. Keeps a copy of the network at the lowest
// validation loss so far, and says "stop" once `patience` epochs have passed without a
// lower one. What early stopping returns is that copy: the weights of the best epoch, not
// those of the last.
class EarlyStopping {
 public:
  explicit EarlyStopping(int patience) : patience_(patience) {}

  bool should_stop(int epoch, double validation_loss, const nn::Network<Real>& net) {
    if (validation_loss < best_loss_) {
      best_loss_ = validation_loss;
      best_epoch_ = epoch;
      best_ = net;  // an independent copy of every W and b
      return false;
    }
    return epoch - best_epoch_ >= patience_;
  }

  int best_epoch() const { return best_epoch_; }
  double best_loss() const { return best_loss_; }
  const nn::Network<Real>& best() const { return best_; }

 private:
  int patience_;
  int best_epoch_ = 0;
  double best_loss_ = std::numeric_limits<double>::infinity();
  nn::Network<Real> best_;
};
// [end early_stopping]

void print_stop(const EarlyStopping& watcher, int epoch, int patience) {
  std::printf(
      "  -- early stopping: no lower validation loss for %d epochs since epoch %d"
      " (%.4f).\n     A real run stops here, at epoch %d, and restores epoch %d's"
      " weights.\n     This one goes on, to show what stopping avoided.\n",
      patience, watcher.best_epoch(), watcher.best_loss(), epoch, watcher.best_epoch());
}

// [listing train]
// Trains a fresh network for settings.epochs epochs with the L2 strength lambda. Every run
// starts from the same weights (the generator is seeded with the seed) and sees the same
// mini-batches, so two runs differ in lambda only. With a watcher, early stopping follows.
Run train_network(const std::string& name, const Splits& data, double lambda,
                  const Settings& settings, EarlyStopping* watcher = nullptr) {
  std::mt19937_64 rng(settings.seed);
  Run run{name, lambda, nn::Network<Real>({2, kHidden, kHidden, 2}, nn::Activation::relu), {}};
  nn::Network<Real>& net = run.net;  // 2-64-64-2: ReLU hidden layers, logits out
  net.initialize(nn::Initializer::he(), rng);
  const std::vector<nn::Parameter<Real>> params = net.parameters();
  nn::Adam<Real> optimizer(settings.learning_rate, 0.9, 0.999, 1e-8, /*weight_decay=*/lambda);
  nn::MiniBatches<Real> batches(data.train.X, data.train.t, kBatch, settings.seed);
  Matrix dZ;  // (2 x m), reused
  const int every = std::max(1, settings.epochs / 8);
  // The untrained network's losses: training that grows 10 times above them has diverged.
  const double start_objective = measure(net, data.train).loss + nn::l2_penalty(params, lambda);
  const double start_val_loss = measure(net, data.validation).loss;
  for (int epoch = 1; epoch <= settings.epochs; ++epoch) {
    train_one_epoch(net, params, optimizer, batches, epoch, dZ);
    // Both sets measured the same way, with the weights at the end of the epoch.
    const Measure train = measure(net, data.train);
    const Measure val = measure(net, data.validation);
    // What the optimiser minimises: J = cross-entropy + (lambda / 2) sum ||W||^2.
    const double objective = train.loss + nn::l2_penalty(params, lambda);
    nn::stop_if_diverged(objective, epoch, settings.learning_rate, start_objective);
    nn::stop_if_diverged(val.loss, epoch, settings.learning_rate, start_val_loss);
    run.history.record(train, objective, val);
    if (epoch == 1 || epoch % every == 0) print_row(epoch, train, objective, val);
    if (watcher != nullptr && run.stop_epoch == 0 &&
        watcher->should_stop(epoch, val.loss, net)) {
      run.stop_epoch = epoch;  // a real training loop would `break` here
      print_stop(*watcher, epoch, settings.patience);
    }
  }
  return run;
}
// [end train]

// The column heading of print_row's lines.
const char* const kRowHeading =
    "  epoch   train loss  loss + L2  train acc     val loss   val acc\n";

// Section 2's run: no penalty, watched by early stopping (section 4), for every epoch.
Run section2_without_regularisation(const Splits& data, const Settings& s,
                                    EarlyStopping& stopper) {
  std::printf(
      "Training without regularisation (lambda = 0) for %d epochs, early stopping "
      "watching\n(patience %d):\n%s",
      s.epochs, s.patience, kRowHeading);
  Run plain = train_network("No regularisation", data, 0.0, s, &stopper);
  if (plain.stop_epoch == 0)
    std::printf(
        "  -- early stopping never fired: training ended before %d epochs passed "
        "without a new\n     low. Its model is still the best epoch's: epoch %d.\n",
        s.patience, stopper.best_epoch());
  return plain;
}

// Section 3's run: the same start and batches, with the L2 penalty.
Run section3_with_l2(const Splits& data, const Settings& s) {
  std::printf("\nTraining with L2 (lambda = %g) for %d epochs:\n%s", s.lambda, s.epochs,
              kRowHeading);
  return train_network("L2, lambda = " + nn::num(s.lambda, "%g"), data, s.lambda, s);
}

// ---------------------------------------------------------------------------------------
// 5. The three networks side by side: boundaries.png, drawn below
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// 6. Choose on validation, then test once
// ---------------------------------------------------------------------------------------

struct Model {
  std::string name;
  nn::Network<Real> net;
  int epochs;  // the epochs of training behind it
  Measure train, validation;
};

// [listing choose]
// Every decision uses the validation set; here, which model to keep. The test set plays no
// part in it. Returns the chosen model's index.
std::size_t choose(std::vector<Model>& models, const Splits& data) {
  std::size_t chosen = 0;
  for (std::size_t m = 0; m < models.size(); ++m) {
    models[m].train = measure(models[m].net, data.train);
    models[m].validation = measure(models[m].net, data.validation);
    if (models[m].validation.loss < models[chosen].validation.loss) chosen = m;
  }
  return chosen;
}

// The test set's one use: the chosen model, measured once every decision is made (--final).
// It decides nothing, so its number is an unbiased estimate for new data.
Measure final_test(Model& chosen, const Splits& data) { return measure(chosen.net, data.test); }
// [end choose]

// sum_l ||W_l||^2 over every weight (not the biases): the size that L2 pulls down.
double sum_of_squared_weights(nn::Network<Real> net) {
  return nn::l2_penalty(net.parameters(), 2.0);  // (lambda / 2) sum W^2 with lambda = 2
}

void print_results(const std::vector<Model>& models, std::size_t chosen, unsigned seed) {
  std::printf("\nResults (seed %u)\n", seed);
  std::printf("  model                  epochs  train acc    val acc   val loss    sum W^2\n");
  for (const Model& m : models)
    std::printf("  %-21s %7d %9.1f%% %9.1f%% %10.4f %10.1f\n", m.name.c_str(), m.epochs,
                100.0 * m.train.accuracy, 100.0 * m.validation.accuracy, m.validation.loss,
                sum_of_squared_weights(m.net));
  std::printf("  Chosen by the lowest validation loss: %s.\n\n", models[chosen].name.c_str());
}

struct Choice {
  std::vector<Model> models;
  std::size_t chosen;  // the index of the model with the lowest validation loss
};

// The three candidates (the overfit, the early-stopped and the L2 network), one chosen on
// the validation set; with --final, the chosen one measured on the test set, once.
Choice section6_choose_then_test(const Run& plain, const EarlyStopping& stopper, const Run& l2,
                                 const Splits& data, const Settings& s) {
  std::vector<Model> models = {{plain.name, plain.net, s.epochs, {}, {}},
                               {"Early stopping", stopper.best(), stopper.best_epoch(), {}, {}},
                               {l2.name, l2.net, s.epochs, {}, {}}};
  const std::size_t chosen = choose(models, data);
  print_results(models, chosen, s.seed);
  if (!s.final) {
    std::printf(
        "The test set is still unused: every number above is a training or validation\n"
        "number. Once your flags are settled, run again with --final to measure the chosen\n"
        "model on the test set, once.\n\n");
    return {models, chosen};
  }
  const Measure test = final_test(models[chosen], data);
  std::printf("Final test (--final): the chosen model on the 150 test samples, once.\n");
  std::printf("  %s: test accuracy %.1f%%, test loss %.4f.\n\n", models[chosen].name.c_str(),
              100.0 * test.accuracy, test.loss);
  return {models, chosen};
}

// ---------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------

// Training and validation loss per epoch: left without regularisation (with the early
// stopping epochs), right with L2.
void draw_loss_curves(const Run& plain, const EarlyStopping& stopper, const Run& l2,
                      const std::string& out) {
  const double top = 1.45 * std::max(arma::vec(plain.history.validation_loss).max(),
                                     arma::vec(l2.history.validation_loss).max());
  nn::Figure fig("loss_curves", 1300, 540);
  fig.layout(1, 2, "Training and validation loss, epoch by epoch (200 training samples)");
  for (std::size_t k = 0; k < 2; ++k) {
    const Run& run = k == 0 ? plain : l2;
    const History& h = run.history;
    const arma::vec epoch = arma::regspace(1, double(h.train_loss.size()));
    nn::Plot& p = fig.panel(k);
    p.title(k == 0 ? "No regularisation" : "L2, lambda = " + nn::num(run.lambda, "%g"))
        .xlabel("epoch")
        .ylabel("mean cross-entropy")
        .xrange(0, double(h.train_loss.size()))
        .yrange(0, top)
        .key("top right");
    p.line("training loss", epoch, arma::vec(h.train_loss), {.colour = 0, .width = 2});
    if (k == 1)
      p.line("training loss + (lambda/2) sum W^2", epoch, arma::vec(h.train_objective),
             {.colour = 0, .width = 1.5, .dashed = true});
    p.line("validation loss", epoch, arma::vec(h.validation_loss), {.colour = 4, .width = 2});
  }
  // The early-stopping epochs, on the left panel. The CSV value of each marker is its epoch.
  nn::Plot& p = fig.panel(0);
  const double best = stopper.best_epoch();
  const double epochs = double(plain.history.train_loss.size());
  // A label goes right of its line, or left of it when the line is in the right half.
  auto label_at = [&](double epoch, double height, const std::string& text) {
    const bool right = epoch < 0.5 * epochs;
    p.label(epoch + (right ? 0.015 : -0.015) * epochs, height, text, right ? "left" : "right");
  };
  p.line("lowest validation loss: weights kept", {best, best}, {0, 0.78 * top},
         {.colour = 7, .width = 1.5, .dashed = true}, {best, best});
  p.points("lowest validation loss", {best}, {stopper.best_loss()},
           {.colour = 7, .point_size = 1.6, .in_key = false}, {best});
  label_at(best, top * 0.74, "epoch " + nn::num(best, "%.0f") + ": lowest validation loss");
  if (plain.stop_epoch > 0) {
    const double stop = plain.stop_epoch;
    p.line("patience runs out: stop", {stop, stop}, {0, 0.78 * top},
           {.colour = 3, .width = 1.5, .dashed = true}, {stop, stop});
    label_at(stop, top * 0.66,
             "epoch " + nn::num(stop, "%.0f") + ": " + nn::num(stop - best, "%.0f") +
                 " epochs without a new low, stop");
  }
  fig.save(out);
}

constexpr arma::uword kGridPoints = 61;  // per axis: 61 x 61 predictions per panel
constexpr double kPlane = 1.8;           // the panels show [-1.8, 1.8] x [-1.8, 1.8]

// Each model's decision regions over the plane, with the 200 training points.
void draw_boundaries(Choice choice, const Splits& data, const std::string& out) {
  std::vector<Model>& models = choice.models;
  const nn::Grid grid(-kPlane, kPlane, -kPlane, kPlane, kGridPoints);
  const Matrix P = arma::conv_to<Matrix>::from(grid.points());  // (2 x 61*61)
  const arma::mat X_train = arma::conv_to<arma::mat>::from(data.train.X);
  nn::Figure fig("boundaries", 1500, 560);
  fig.layout(1, int(models.size()), "What each network predicts, over the 200 training points");
  for (std::size_t k = 0; k < models.size(); ++k) {
    const Model& m = models[k];
    const Matrix& Z = models[k].net.forward(P);  // (2 x grid points): the logits
    const arma::urowvec predicted = arma::index_max(Z, 0);
    const arma::rowvec margin = arma::conv_to<arma::rowvec>::from(Z.row(1) - Z.row(0));
    nn::Plot& p = fig.panel(k);
    p.title(m.name + ", " + std::to_string(m.epochs) + " epochs" +
            (k == choice.chosen ? " (chosen)" : ""))
        .xlabel("x_1")
        .ylabel("x_2")
        .xrange(-kPlane, kPlane)
        .yrange(-kPlane, kPlane)
        .square()
        .key("bottom left");
    p.regions("predicted class", grid.xs, grid.ys,
              grid.reshape(arma::conv_to<arma::Row<arma::uword>>::from(predicted)), 2);
    p.contour("boundary", grid.xs, grid.ys, grid.reshape(margin), {0.0},
              {.colour = 7, .width = 1.5, .in_key = false});
    p.classes(X_train, data.train.t, data.class_names, 0.9);
    p.label(0.0, 1.58,
            "training " + nn::percent(m.train.accuracy) + "   validation " +
                nn::percent(m.validation.accuracy),
            "center", 11);
  }
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------------------

// The chapter's own flags, each with its range (a bad value: one error line, exit code 2).
void add_flags(CLI::App& app, Settings& s) {
  app.add_option("--epochs", s.epochs, "Epochs of training for each network")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--lambda", s.lambda, "L2 strength lambda of the regularised network")
      ->check(nn::FiniteNonNegative)
      ->capture_default_str();
  app.add_option("--patience", s.patience,
                 "Early stopping: epochs without a lower validation loss before it stops")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--learning-rate", s.learning_rate, "Adam's learning rate")
      ->check(nn::FinitePositive)
      ->capture_default_str();
  app.add_flag("--final", s.final,
               "Measure the chosen model on the test set, once (do it last, when every "
               "setting is decided)");
}

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli("08_generalization",
                      "Chapter 08: training, validation and test sets; overfitting, L2 "
                      "regularisation and early stopping");
  Settings s;
  add_flags(cli.app(), s);
  if (auto code = cli.parse(argc, argv)) return *code;
  s.seed = cli.seed();
  nn::make_reproducible(cli.seed());

  try {
    std::cout << "Chapter 08: generalisation\n"
              << "==========================\n\n";
    const Splits data = section1_the_data(s);
    EarlyStopping stopper(s.patience);  // section 4's watcher, fed by section 2's run
    const Run plain = section2_without_regularisation(data, s, stopper);
    const Run l2 = section3_with_l2(data, s);
    const Choice choice = section6_choose_then_test(plain, stopper, l2, data, s);

    // Figures, once everything has succeeded (section 5 is boundaries.png).
    draw_loss_curves(plain, stopper, l2, cli.out_dir());
    draw_boundaries(choice, data, cli.out_dir());
    std::cout << "Figures: loss_curves, boundaries (.png, .csv) in " << cli.out_dir() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "08_generalization: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
