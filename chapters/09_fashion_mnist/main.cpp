// Chapter 09: Fashion-MNIST, a real data set
// ===========================================================================================
// What you learn: the multilayer perceptron of chapters 06-08, unchanged, on 70,000 real
// photos of clothes (28 x 28 grey pixels, 10 classes). A validation set taken out of the
// training set on which settings are compared and mistakes studied, a test set used once
// (with --final) for the chosen settings, a progress bar, a trained network saved to a
// file, loaded back and used to classify one image or a photo of your own, and why its
// confidence is not the probability of being right.
//
// Run:   ./tutorial 09        or   build/release/chapters/09_fashion_mnist [--help]
//        [--epochs 15] [--learning-rate 0.001] [--optimizer adam] [--schedule cosine]
//        [--batch-size 64] [--hidden 256,128] [--weight-decay 0] [--train-limit N]
//        [--data DIR] [--save FILE] [--seed 42] [--out DIR]
//        and once, when the settings are chosen:  ./tutorial 09 --final
//        (the same run, then the test set's accuracy; without --final the test files are
//        not even read)
//        then, with the model it saved (build/release/output/09_fashion_mnist/model.nnm):
//        build/release/chapters/09_fashion_mnist --predict-index 42     (validation image)
//        build/release/chapters/09_fashion_mnist --predict-image photo.jpg [--model FILE]
//            [--show-input seen.png]     (PNG, JPEG or PGM, prepared like the data set's)
// Needs: Debian's package dataset-fashion-mnist (./tutorial installs it), which puts the
// four IDX files into /usr/share/datasets/fashion-mnist; --data DIR reads them elsewhere
// (without --final only the two training files are needed); and libpng-dev and
// libturbojpeg0-dev for PNG and JPEG photos.
// Uses, besides the network: common/photo.hpp (reading a photo), common/prepare.hpp
// (preparing it like Fashion-MNIST's images), common/out_of_distribution.hpp (is an image
// like the training images?).
// Draws (into build/release/output/09_fashion_mnist/, or --out DIR), from the training and
// validation sets only, so that --final changes no figure:
//   curves.png           training and validation loss and accuracy, epoch by epoch
//   confusion.png        the validation set's confusion matrix: which class is taken for
//                        which
//   misclassified.png    24 validation images the network gets wrong, with both labels
//   weights.png          first-layer weights of the 24 hidden units that pass the most on
//                        to the next layer over the validation images
//   overconfident.png    inputs unlike any garment, answered with high confidence
#include <armadillo>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/architecture.hpp"
#include "common/batches.hpp"
#include "common/classify.hpp"
#include "common/cli.hpp"
#include "common/divergence.hpp"
#include "common/fashion_mnist_split.hpp"
#include "common/format.hpp"
#include "common/idx.hpp"
#include "common/initializer.hpp"
#include "common/input_file.hpp"
#include "common/loss.hpp"
#include "common/metrics.hpp"
#include "common/model_file.hpp"
#include "common/network.hpp"
#include "common/optimizer.hpp"
#include "common/out_of_distribution.hpp"
#include "common/pgm.hpp"
#include "common/photo.hpp"
#include "common/plot.hpp"
#include "common/prepare.hpp"
#include "common/progress.hpp"
#include "common/reproducible.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kChapter = "09_fashion_mnist";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---------------------------------------------------------------------------------------
// 1. The data: 60,000 training images (5,000 of them kept for validation), 10,000 test
// ---------------------------------------------------------------------------------------

// The three sets (common/fashion_mnist_split.hpp): the training file's first 55,000 images
// to train on, its last 5,000 for validation, and the test file's 10,000 with --final.
using Data = nn::FashionMnistSplit;
using nn::kValidationSize;

// Loads the training file (and, for --final, the test file), checks that they are
// Fashion-MNIST's, splits the training file and says what each set holds. The test file is
// read here, before training, so that a missing or damaged one stops the run at once; it is
// evaluated only at the very end (section 3's final test).
Data section1_the_data(const std::string& dir, arma::uword train_limit, bool final_test) {
  std::cout << "Loading Fashion-MNIST from " << dir << std::endl;
  const Clock::time_point start = Clock::now();
  Data d = nn::load_fashion_mnist_split(dir, train_limit, final_test);
  std::cout << "  loaded in " << nn::num(seconds_since(start), "%.2f") << " s\n"
            << "  training file  " << nn::thousands(d.training_file_size)
            << " images: " << nn::thousands(d.train.size()) << " to train on, "
            << nn::thousands(d.validation.size()) << " for validation\n"
            << (final_test ? "  test file      " + nn::thousands(d.test.size()) +
                                 " images (--final: evaluated once, after everything else)\n"
                           : std::string("  test file      not read (it is used once, with "
                                         "--final, when the settings are chosen)\n"));
  const arma::uvec counts = arma::hist(d.validation.labels, arma::regspace<arma::uvec>(0, 9));
  std::cout << "  validation images per class: " << counts.min() << " to " << counts.max()
            << "\n\n";
  return d;
}

// ---------------------------------------------------------------------------------------
// 2. Training: mini-batches of bytes turned into floats, one batch at a time
// ---------------------------------------------------------------------------------------

struct Settings {
  int epochs = 15;
  double learning_rate = 0.001;
  arma::uword batch_size = 64;
  std::vector<arma::uword> hidden = {256, 128};
  std::string optimizer = "adam";
  std::string schedule = "cosine";
  double weight_decay = 0;
  unsigned seed = 42;
};

// [listing schedule]
// The learning rate of each epoch. Large steps early cross the loss landscape quickly;
// small steps late stop the parameters from jumping around the minimum they found.
// Cosine decay goes smoothly from the full rate (epoch 1) to near 0 (the last epoch):
//   lr_e = lr / 2 * (1 + cos(pi (e - 1) / E)),   e = 1 .. E
double learning_rate_for(const Settings& s, int epoch) {
  if (s.schedule == "constant") return s.learning_rate;
  const double pi = 3.14159265358979323846;
  return s.learning_rate / 2 * (1 + std::cos(pi * double(epoch - 1) / double(s.epochs)));
}
// [end schedule]

std::unique_ptr<nn::Optimizer<float>> make_optimizer(const Settings& s) {
  if (s.optimizer == "sgd")
    return std::make_unique<nn::Sgd<float>>(s.learning_rate, s.weight_decay);
  if (s.optimizer == "adam")
    return std::make_unique<nn::Adam<float>>(s.learning_rate, 0.9, 0.999, 1e-8, s.weight_decay);
  return std::make_unique<nn::Momentum<float>>(s.learning_rate, 0.9, s.weight_decay);
}

// One row of the curves: the epoch's means.
struct EpochStats {
  double train_loss, train_accuracy, validation_loss, validation_accuracy;
};

struct Evaluation {
  double loss = 0, accuracy = 0;
  arma::uvec predicted;  // (N): the class with the largest output
  arma::fmat P;          // (10 x N): softmax probabilities (kept when asked for)
};

// Runs the network over every image of `data`, 1,000 at a time in file order (so no buffer
// grows with the data set), and returns the mean loss, the accuracy and every prediction.
Evaluation evaluate(nn::Network<float>& net, const nn::ImageDataset& data,
                    bool keep_probabilities = false) {
  constexpr arma::uword kChunk = 1000;
  // Never shuffled: chunk k holds images k * 1,000 onwards, as floats in [0, 1].
  nn::MiniBatches<float, unsigned char> chunks(data.images.pixels, data.labels, kChunk, 0);
  Evaluation e;
  e.predicted.set_size(data.size());
  if (keep_probabilities) e.P.set_size(10, data.size());
  arma::fmat P;
  double loss_sum = 0;
  for (arma::uword k = 0; k < chunks.count(); ++k) {
    chunks.gather(k);
    const arma::fmat& Z = net.forward(chunks.X());  // Z is (10 x chunk)
    const arma::uword first = k * kChunk, last = first + Z.n_cols - 1;
    loss_sum += nn::softmax_cross_entropy(Z, chunks.t()) * double(Z.n_cols);
    e.predicted.subvec(first, last) = arma::index_max(Z, 0).t();
    if (keep_probabilities) {
      nn::softmax(Z, P);
      e.P.cols(first, last) = P;
    }
  }
  e.loss = loss_sum / double(data.size());
  e.accuracy = nn::accuracy(e.predicted, data.labels);
  return e;
}

// [listing train]
std::vector<EpochStats> train(nn::Network<float>& net, const Data& data, const Settings& s) {
  std::vector<nn::Parameter<float>> params = net.parameters();  // (already initialised)
  std::unique_ptr<nn::Optimizer<float>> optimizer = make_optimizer(s);
  // The images stay bytes; gather(k) converts batch k's to floats in [0, 1].
  nn::MiniBatches<float, unsigned char> batches(data.train.images.pixels, data.train.labels,
                                                s.batch_size, s.seed);
  const arma::uword N = batches.n_samples();
  nn::Progress progress(s.epochs, long(batches.count()));
  arma::fmat dZ;  // (10 x m), reused by every batch
  std::vector<EpochStats> history;
  for (int epoch = 1; epoch <= s.epochs; ++epoch) {
    optimizer->set_learning_rate(learning_rate_for(s, epoch));
    batches.shuffle(arma::uword(epoch));  // nn::epoch_order(N, seed, epoch)
    double loss_sum = 0;
    arma::uword right = 0;
    for (arma::uword k = 0; k < batches.count(); ++k) {
      batches.gather(k);                  // batches.X() is (784 x m), batches.t() (m)
      const arma::uvec& t = batches.t();  // the targets

      const arma::fmat& Z = net.forward(batches.X());           // 2. forward
      const double loss = nn::softmax_cross_entropy(Z, t, dZ);  // 3. loss and dL/dZ
      right += arma::accu(arma::index_max(Z, 0).t() == t);      //    (before the update)
      net.backward(dZ);                                         // 4. backpropagation
      optimizer->step(params);                                  // 5. update

      loss_sum += loss * double(t.n_elem);
      progress.batch_done(long(t.n_elem), loss);
    }
    const double train_loss = loss_sum / double(N);
    nn::stop_if_diverged(train_loss, epoch, optimizer->learning_rate(), std::log(10.0));
    const Evaluation v = evaluate(net, data.validation);
    history.push_back({train_loss, double(right) / double(N), v.loss, v.accuracy});
    progress.epoch_done(train_loss, "train " + nn::percent(history.back().train_accuracy) +
                                        "  validation loss " + nn::num(v.loss, "%.4f") + " " +
                                        nn::percent(v.accuracy));
  }
  return history;
}
// [end train]

// A trained network, with what the figures and the results need from its training.
struct Trained {
  nn::Network<float> net;
  std::vector<EpochStats> history;
  double seconds = 0;  // the training's time
};

// The network (784-256-128-10 by default), He's start, and s.epochs epochs of training.
Trained section2_training(const Data& data, const Settings& s) {
  std::vector<arma::uword> sizes = {784};
  sizes.insert(sizes.end(), s.hidden.begin(), s.hidden.end());
  sizes.push_back(10);
  Trained t{nn::Network<float>(sizes, nn::Activation::relu), {}, 0.0};  // output: logits
  std::cout << "Network " << nn::architecture(t.net) << " (ReLU, softmax output), "
            << nn::thousands(t.net.n_parameters()) << " float32 parameters\n"
            << "Training: "
            << (s.optimizer == "adam"  ? "Adam"
                : s.optimizer == "sgd" ? "SGD"
                                       : "momentum 0.9")
            << ", learning rate " << s.learning_rate
            << (s.schedule == "cosine" ? " with cosine decay" : " (constant)")
            << (s.weight_decay > 0 ? ", L2 " + nn::num(s.weight_decay, "%.6f") : "")
            << ", batch " << s.batch_size << ", " << s.epochs
            << (s.epochs == 1 ? " epoch" : " epochs") << ", seed " << s.seed << "\n\n";
  std::mt19937_64 rng(s.seed);
  t.net.initialize(nn::Initializer::he(), rng);  // 1. initialise: He, for ReLU layers
  const Clock::time_point start = Clock::now();
  t.history = train(t.net, data, s);
  t.seconds = seconds_since(start);
  return t;
}

// ---------------------------------------------------------------------------------------
// 3. Results: the validation set, and the test set once
// ---------------------------------------------------------------------------------------

// The trained network's answers on one set, and what they say class by class.
struct Results {
  Evaluation evaluation;  // with the probabilities, for the misclassified images' titles
  arma::umat C;           // (10 x 10) confusion matrix: C(i, j) images of class i taken for j
  arma::vec recall;       // (10) the fraction of each class's images classified right
};

Results results_on(nn::Network<float>& net, const nn::ImageDataset& set) {
  Results r;
  r.evaluation = evaluate(net, set, true);
  r.C = nn::confusion_matrix(set.labels, r.evaluation.predicted, 10);
  r.recall = nn::recall_per_class(r.C);
  return r;
}

// Error analysis is part of development, so it is done on the 5,000 validation images: the
// confusion matrix, the recall per class and the mistakes drawn below. (The same numbers
// as the last epoch's validation line: the same network on the same images.)
Results section3_validation_results(nn::Network<float>& net, const Data& data) {
  return results_on(net, data.validation);
}

// The four figures of section 3, drawn once training has succeeded, from the training and
// validation sets only.

void draw_curves(const std::vector<EpochStats>& history, const std::string& out) {
  const arma::uword E = history.size();
  arma::vec epoch(E), train_loss(E), val_loss(E), train_acc(E), val_acc(E);
  for (arma::uword e = 0; e < E; ++e) {
    epoch(e) = double(e + 1);
    train_loss(e) = history[e].train_loss;
    val_loss(e) = history[e].validation_loss;
    train_acc(e) = 100.0 * history[e].train_accuracy;
    val_acc(e) = 100.0 * history[e].validation_accuracy;
  }
  nn::Figure fig("curves", 1200, 500);
  fig.layout(1, 2, "Fashion-MNIST: training and validation, epoch by epoch");
  nn::Plot& loss = fig.panel(0);
  loss.title("cross-entropy loss").xlabel("epoch").ylabel("mean loss").key("top right");
  loss.xrange(0.5, double(E) + 0.5).yrange(0, 1.3 * std::max(train_loss.max(), val_loss.max()));
  loss.line("training (mean over the epoch's batches)", epoch, train_loss, {.colour = 0});
  loss.line("validation (after the epoch)", epoch, val_loss, {.colour = 1});
  loss.points("training points", epoch, train_loss, {.colour = 0, .in_key = false});
  loss.points("validation points", epoch, val_loss, {.colour = 1, .in_key = false});
  nn::Plot& acc = fig.panel(1);
  acc.title("accuracy").xlabel("epoch").ylabel("accuracy (%)").key("bottom right");
  acc.xrange(0.5, double(E) + 0.5);
  acc.line("training", epoch, train_acc, {.colour = 0});
  acc.line("validation", epoch, val_acc, {.colour = 1});
  acc.points("training points", epoch, train_acc, {.colour = 0, .in_key = false});
  acc.points("validation points", epoch, val_acc, {.colour = 1, .in_key = false});
  fig.save(out);
}

// "set xtics ('T-shirt/top' 0, 'Trouser' 1, ...)" for the confusion matrix's axes.
std::string class_tics(const std::string& axis, const std::vector<std::string>& names) {
  std::string s = "set " + axis + " (";
  for (std::size_t k = 0; k < names.size(); ++k)
    s += (k ? ", '" : "'") + names[k] + "' " + std::to_string(k);
  return s + ")";
}

void draw_confusion(const arma::umat& C, const std::vector<std::string>& names,
                    const std::string& out) {
  const arma::uword K = C.n_rows;
  const arma::vec ticks = arma::regspace<arma::vec>(0, double(K - 1));
  nn::Figure fig("confusion", 900, 820);
  fig.title("Validation set confusion matrix (" + nn::thousands(arma::accu(C)) +
            " images): row = true class, column = predicted")
      .xlabel("predicted class")
      .ylabel("true class")
      .cblabel("validation images (log scale)")
      .square();
  // Counts on a log colour scale, so the few mistakes show next to the ~450 right answers
  // on the diagonal; empty cells stay white.
  fig.heatmap("count", ticks, ticks, arma::conv_to<arma::mat>::from(C));
  fig.command("set logscale cb").cbrange(1, 500);
  fig.xrange(-0.5, double(K) - 0.5).yrange(double(K) - 0.5, -0.5);  // class 0 at the top
  fig.command(class_tics("xtics", names) + " rotate by 35 right");
  fig.command(class_tics("ytics", names));
  fig.command("set tics scale 0").command("unset grid").command("unset key");
  for (arma::uword i = 0; i < K; ++i)
    for (arma::uword j = 0; j < K; ++j)
      if (C(i, j) > 0)
        fig.label(double(j), double(i), std::to_string(C(i, j)), "center", 10,
                  C(i, j) >= 100 ? "#FFFFFF" : "#000000");
  fig.save(out);
}

// The images `which` of the validation set, 4 x 6 panels, each titled with its number in
// the validation set (0-4999, as --predict-index takes it) and its labels.
void draw_misclassified(const nn::ImageDataset& validation, const arma::uvec& which,
                        const arma::uvec& predicted, const arma::fmat& P,
                        const std::string& out) {
  constexpr int kRows = 4, kCols = 6;
  nn::Figure fig("misclassified", 1260, 960);
  fig.layout(kRows, kCols,
             "Misclassified validation images: true class (top) and the network's answer "
             "(bottom)");
  const arma::vec xs = arma::regspace<arma::vec>(0, 27);
  for (arma::uword k = 0; k < which.n_elem && k < arma::uword(kRows * kCols); ++k) {
    const arma::uword i = which(k);
    arma::mat image(28, 28);  // image(r, c) is row r (from the top), column c
    for (arma::uword r = 0; r < 28; ++r)
      for (arma::uword c = 0; c < 28; ++c)
        image(r, c) = validation.images.pixels(r * 28 + c, i);
    nn::Plot& p = fig.panel(k);
    p.title("#" + std::to_string(i) + " " + validation.class_names[validation.labels(i)]);
    p.heatmap("pixels", xs, xs, image);
    // Ink (255) dark on white paper (0), like a printed photo.
    p.command("set palette grey negative").cbrange(0, 255).command("unset colorbox");
    p.xrange(-0.5, 27.5).yrange(27.5, -0.5).square().no_axes();
    p.xlabel(validation.class_names[predicted(i)] + " " + nn::percent(P(predicted(i), i), 0));
  }
  fig.save(out);
}

// What the validation images say about each first-layer unit u (a_u is its activation, and
// a_u >= 0 after ReLU).
struct UnitStats {
  arma::vec contribution;  // (hidden) mean over the images of a_u ||W2(:, u)||
  arma::mat response;      // (hidden x 784) the images' mean weighted by a_u, minus their mean
};

// [listing contribution]
// How much each first-layer unit passes on to the next layer, on average over the validation
// images. Unit u adds a_u W2(:, u) to the second layer's Z2 = W2 A1 + b2: a vector of length
// a_u ||W2(:, u)||. So its mean over the images is
//   contribution_u = mean(a_u) ||W2(:, u)||.
// A unit that is rarely active, or whose outgoing weights are small, passes on little,
// whatever its input weights look like. And what the unit responds to, its response: the
// mean of the images weighted by a_u (the ink present when the unit is active), minus the
// plain mean of the images (the ink present anyway).
UnitStats unit_stats(nn::Network<float>& net, const nn::ImageDataset& validation) {
  nn::Dense<float>& layer1 = net.layer(0);
  nn::MiniBatches<float, unsigned char> chunks(validation.images.pixels, validation.labels,
                                               1000, 0);
  const arma::uword hidden = layer1.n_outputs();
  arma::vec sum_a(hidden, arma::fill::zeros);        // sum of a_u over the images
  arma::mat sum_ax(hidden, 784, arma::fill::zeros);  // sum of a_u x^T
  arma::rowvec sum_x(784, arma::fill::zeros);        // sum of x^T
  for (arma::uword k = 0; k < chunks.count(); ++k) {
    chunks.gather(k);
    const arma::fmat& X = chunks.X();          // X is (784 x chunk)
    const arma::fmat& A1 = layer1.forward(X);  // A1 is (hidden x chunk)
    sum_a += arma::conv_to<arma::vec>::from(arma::sum(A1, 1));
    sum_ax += arma::conv_to<arma::mat>::from(A1 * X.t());
    sum_x += arma::conv_to<arma::rowvec>::from(arma::sum(X, 1).t());
  }
  const double n = double(validation.size());
  const arma::fmat& W2 = net.layer(1).W;  // W2 is (next layer's units x hidden)
  const arma::vec norm_w2 =
      arma::conv_to<arma::vec>::from(arma::sqrt(arma::sum(arma::square(W2), 0)).t());
  UnitStats u;
  u.contribution = sum_a / n % norm_w2;
  // (A unit never active, sum_a = 0, gets minus the mean; it passes on nothing and
  // is never shown.)
  u.response =
      sum_ax.each_col() / arma::max(sum_a, arma::vec(hidden, arma::fill::value(1e-30)));
  u.response.each_row() -= sum_x / n;
  return u;
}
// [end contribution]

// The 12 units with the largest contribution (above), largest first, in two mosaics of
// 4 x 3 tiles. Left: the unit's row of W1, its 784 input weights placed where their pixels
// are: ink on orange raises z_u, ink on blue lowers it. Right: the unit's response, the ink
// present when it is active (orange) or absent (blue). Each tile has a strip above it for
// the unit's number and a one-pixel gap on its right. Each mosaic has one colour scale
// centred at 0, ending at the 99th percentile of its |values| (the few larger ones get the
// end colours).
void draw_weights(nn::Network<float>& net, const nn::ImageDataset& validation,
                  const std::string& out) {
  constexpr arma::uword kRows = 4, kCols = 3;
  constexpr arma::uword kStrip = 5, kTileH = kStrip + 28, kTileW = 29;
  const UnitStats stats = unit_stats(net, validation);
  const arma::uvec ranked = arma::stable_sort_index(stats.contribution, "descend");
  const arma::mat W1 = arma::conv_to<arma::mat>::from(net.layer(0).W);  // (hidden x 784)
  const arma::uword units = std::min<arma::uword>(kRows * kCols, W1.n_rows);
  nn::Figure fig("weights", 1200, 820);
  fig.layout(1, 2,
             "The " + std::to_string(units) +
                 " first-layer units that pass the most on (mean activation x |W2 column|, "
                 "on validation)");
  auto mosaic_of = [&](const arma::mat& V, std::size_t panel, const std::string& title,
                       const std::string& series, const std::string& cblabel) {
    arma::mat mosaic(kRows * kTileH, kCols * kTileW - 1);
    mosaic.fill(arma::datum::nan);  // the strips and gaps, drawn white
    for (arma::uword k = 0; k < units; ++k)
      for (arma::uword p = 0; p < 784; ++p)
        // 3 decimals (300 steps across the colour scale) are plenty for the eye and keep
        // the CSV small.
        mosaic((k / kCols) * kTileH + kStrip + p / 28, (k % kCols) * kTileW + p % 28) =
            std::round(V(ranked(k), p) * 1e3) / 1e3;
    const arma::vec shown = arma::abs(mosaic.elem(arma::find_finite(mosaic)));
    const double scale = arma::as_scalar(arma::quantile(shown, arma::vec{0.99}));
    const arma::vec xs = arma::regspace<arma::vec>(0, double(mosaic.n_cols - 1));
    const arma::vec ys = arma::regspace<arma::vec>(0, double(mosaic.n_rows - 1));
    nn::Plot& p = fig.panel(panel);
    p.title(title).cblabel(cblabel).square().no_axes();
    p.heatmap(series, xs, ys, mosaic, true, 0, 4);  // blue < 0 < orange
    p.cbrange(-scale, scale);
    p.xrange(-0.5, double(mosaic.n_cols) - 0.5).yrange(double(mosaic.n_rows) - 0.5, -0.5);
    p.command("set colorbox");
    for (arma::uword k = 0; k < units; ++k)
      p.label(double((k % kCols) * kTileW) + 13.5, double((k / kCols) * kTileH) + 2.5,
              "unit " + std::to_string(ranked(k) + 1), "center", 10, "#333333");
  };
  mosaic_of(W1, 0, "their input weights: rows of W1", "W1", "weight");
  mosaic_of(stats.response, 1, "what they respond to: ink when active - mean ink", "response",
            "difference in pixel value (0 to 1)");
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// 4. Saving the model, loading it back
// ---------------------------------------------------------------------------------------

// Where the model goes when --save is not given: with this chapter's default output,
// build/<preset>/output/09_fashion_mnist/model.nnm, whatever --out says, so that
// --predict-* finds it without flags, and never among the committed reference figures.
std::string default_model_path() { return nn::default_out_dir(kChapter) + "/model.nnm"; }

// Writes net to model_file, loads it back, and checks that the loaded network answers
// every validation image exactly as the trained one did (`answers`): the same
// probabilities, bit for bit.
void section4_save_and_reload(const nn::Network<float>& net, const std::string& model_file,
                              const Data& data, const Evaluation& answers) {
  nn::save_model(model_file, net);
  nn::Network<float> loaded = nn::load_model<float>(model_file);
  const Evaluation again = evaluate(loaded, data.validation, true);
  const bool identical = arma::approx_equal(again.P, answers.P, "absdiff", 0.0f) &&
                         arma::all(again.predicted == answers.predicted);
  if (!identical) throw std::runtime_error("the reloaded model answers differently");
}

// ---------------------------------------------------------------------------------------
// 5. Predicting one image
// ---------------------------------------------------------------------------------------

// The image as text in a frame, two characters per pixel (darker to brighter:
// " .:-=+*#%@"), so you can see what the network sees.
void print_image(const nn::GreyImage& image) {
  const char* shades = " .:-=+*#%@";
  const std::string border = "    +" + std::string(2 * image.cols, '-') + "+\n";
  std::cout << border;
  for (std::size_t r = 0; r < image.rows; ++r) {
    std::string line = "    |";
    for (std::size_t c = 0; c < image.cols; ++c)
      line.append(2, shades[image.pixels[r * image.cols + c] * 10 / 256]);
    std::cout << line << "|\n";
  }
  std::cout << border;
}

// [listing predict]
// The three most likely classes of one image, by a loaded network. nn::classify checks
// that the image fits the network and that the network's outputs are finite numbers.
void predict(nn::Network<float>& net, const nn::GreyImage& image, const std::string& image_name,
             const std::string& model_path, const std::vector<std::string>& class_names) {
  const nn::Classification c = nn::classify(net, image, image_name, model_path);
  std::cout << "Top 3:\n";
  for (arma::uword k = 0; k < 3 && k < c.ranked.n_elem; ++k) {
    char line[96];
    std::snprintf(line, sizeof line, "  %llu. %-12s %6.2f%%\n", (unsigned long long)(k + 1),
                  class_names.at(c.ranked(k)).c_str(),
                  100.0 * double(c.probabilities(c.ranked(k))));
    std::cout << line;
  }
}
// [end predict]

// The image's 784 pixels as one column of floats in [0, 1], as the network reads them.
arma::fvec as_input(const nn::GreyImage& image) {
  return arma::conv_to<arma::fvec>::from(
             arma::Col<unsigned char>(std::vector<unsigned char>(image.pixels))) /
         255.0f;
}

// [listing familiarity]
// Whether the image is like the training images (common/out_of_distribution.hpp), said
// in full when it is not: the softmax percentages are no guide then.
void print_familiarity(const nn::GarmentSubspace& garments, const nn::GreyImage& image) {
  const nn::Familiarity f = nn::check_familiarity(garments, as_input(image));
  std::cout << "Like the training images? distance from the garment subspace "
            << nn::num(f.distance, "%.3f") << " (limit "
            << nn::num(garments.distance_limit, "%.3f") << "), ink " << nn::num(f.ink, "%.3f")
            << " (at least " << nn::num(garments.ink_limit, "%.3f") << ")\n";
  if (!f.unlike_training()) return;
  std::cout << "Warning: this image is unlike the images the network was trained on ("
            << (f.too_far ? "too far from the garment subspace" : "almost no ink") << ").\n"
            << "  The network answers anyway: softmax always sums to 100%. On such an image\n"
            << "  the percentages above are not the probability of being right.\n";
}
// [end familiarity]

// The training file's images, split as for training, for the familiarity check and
// --predict-index (nullopt, with a note, when a photo is classified without the data).
std::optional<Data> data_for_prediction(const std::string& data_dir, bool required) {
  try {
    const nn::ImageDataset file = nn::load_fashion_mnist(data_dir, nn::Split::train);
    if (file.images.rows != 28 || file.images.cols != 28)
      throw nn::DataError(
          "the images in " + data_dir + " are " + std::to_string(file.images.cols) + " x " +
          std::to_string(file.images.rows) + " pixels; the network reads 28 x 28 images");
    if (file.size() <= kValidationSize)
      throw nn::DataError("the training file in " + data_dir + " holds only " +
                          std::to_string(file.size()) + " images, fewer than the " +
                          std::to_string(kValidationSize) + " validation images");
    Data d;
    split_training_file(file, 55000, d);
    return d;
  } catch (const nn::DataError& e) {
    if (required) throw;
    std::cout << "(No familiarity check: it needs the training images, and " << e.what()
              << ")\n";
    return std::nullopt;
  }
}

// Loads a saved model, checks that it is a Fashion-MNIST classifier, and prints one image
// (validation image `index`, or the photo prepared like the data set's) with the model's
// three most likely classes and whether the image is like the training images.
int section5_predict(const std::string& model_path, const std::string& data_dir,
                     std::optional<arma::uword> index, const std::string& photo_path,
                     const std::string& show_input) {
  try {
    nn::open_regular_file(model_path);  // a folder, FIFO or loop of links: say which
  } catch (const nn::FileError& e) {
    throw nn::ModelError("model file '" + model_path + "': " + e.what() +
                         (std::string(e.what()) == "no such file"
                              ? ". Train one first (run " + kChapter +
                                    " without --predict-*), or name one with --model"
                              : std::string()));
  }
  nn::Network<float> net = nn::load_model<float>(model_path);
  std::cout << "Model " << model_path << ": " << nn::architecture(net) << ", "
            << nn::thousands(net.n_parameters()) << " float32 parameters\n";
  if (net.input_size() != 784 || net.output_size() != 10)
    throw nn::ModelError("model file '" + model_path + "': it takes " +
                         std::to_string(net.input_size()) + " inputs and gives " +
                         std::to_string(net.output_size()) +
                         " outputs; a Fashion-MNIST model takes 784 and gives 10");
  nn::check_plausible(net, model_path);
  const std::vector<std::string> names = nn::fashion_mnist_class_names();
  const std::optional<Data> data = data_for_prediction(data_dir, index.has_value());
  nn::GreyImage image;
  std::string image_name;
  if (index) {
    const nn::ImageDataset& validation = data->validation;
    if (*index >= validation.size())
      throw nn::DataError("--predict-index " + std::to_string(*index) +
                          " is outside the validation set (0 to " +
                          std::to_string(validation.size() - 1) + ")");
    image.rows = image.cols = 28;
    const arma::Col<unsigned char> column = validation.images.pixels.col(*index);
    image.pixels.assign(column.begin(), column.end());
    image_name = "validation image " + std::to_string(*index) + " of " + data_dir;
    std::cout << "Image: validation image " << *index << ", labelled "
              << names.at(validation.labels(*index)) << "\n";
  } else {
    const nn::GreyImage photo = nn::load_photo(photo_path);
    const nn::Prepared p = nn::prepare_like_fashion_mnist(photo);
    image = p.image;
    image_name = "image file '" + photo_path + "'";
    std::cout << "Image: " << photo_path << ", " << photo.cols << " x " << photo.rows
              << " pixels, background " << p.background
              << (p.inverted ? " (light: inverted)" : " (dark)") << ", item " << p.box_cols
              << " x " << p.box_rows << " pixels, scaled and centred in 28 x 28:\n";
  }
  if (!show_input.empty()) {
    nn::save_photo(show_input, image);
    std::cout << "The 28 x 28 input, as classified: " << show_input << "\n";
  }
  print_image(image);
  predict(net, image, image_name, model_path, names);
  if (data) {
    const nn::GarmentSubspace garments =
        nn::fit_garment_subspace(data->train.images.pixels, data->validation.images.pixels);
    print_familiarity(garments, image);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// 6. Confidence is not correctness
// ---------------------------------------------------------------------------------------

// Inputs unlike the training images, and one ordinary validation image, each with the
// network's answer and the familiarity check.
struct OddInput {
  std::string name;
  arma::fvec x;  // (784), pixels in [0, 1]
  arma::uword answer = 0;
  double confidence = 0;  // the answer's softmax probability
  nn::Familiarity familiarity;
};

struct OddInputs {
  std::vector<OddInput> inputs;
  double distance_limit = 0;  // the familiarity check's limit (GarmentSubspace)
};

// The first validation image of class k.
arma::uword first_of_class(const nn::ImageDataset& set, arma::uword k) {
  return arma::uvec(arma::find(set.labels == k, 1))(0);
}

OddInputs section6_confidence(nn::Network<float>& net, const Data& data) {
  const nn::GarmentSubspace garments =
      nn::fit_garment_subspace(data.train.images.pixels, data.validation.images.pixels);
  auto validation = [&](arma::uword i) {  // (784) in [0, 1]
    return arma::fvec(arma::conv_to<arma::fvec>::from(data.validation.images.pixels.col(i)) /
                      255.0f);
  };
  const arma::uword trouser = first_of_class(data.validation, 1);
  const arma::uword shirt = first_of_class(data.validation, 6);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<float> uniform(0, 1);
  arma::fvec noise(784);
  noise.imbue([&] { return uniform(rng); });
  arma::fmat corner(28, 28, arma::fill::zeros);  // the shirt at half size, top left
  const arma::fmat full = arma::reshape(validation(shirt), 28, 28);
  for (arma::uword r = 0; r < 14; ++r)
    for (arma::uword c = 0; c < 14; ++c)
      corner(r, c) = arma::accu(full.submat(2 * r, 2 * c, 2 * r + 1, 2 * c + 1)) / 4;
  arma::fmat half = arma::reshape(validation(trouser), 28, 28);  // (column c, row r)
  half.cols(14, 27).zeros();  // the trouser's lower half erased (pixel r * 28 + c)
  const std::vector<std::pair<std::string, arma::fvec>> named = {
      {"validation image " + std::to_string(trouser) + " (Trouser)", validation(trouser)},
      {"all black", arma::fvec(784, arma::fill::zeros)},
      {"all white", arma::fvec(784, arma::fill::ones)},
      {"uniform noise", noise},
      {"image 1, dark on white", 1.0f - validation(trouser)},
      {"a shirt, half size, in a corner", arma::vectorise(corner)},
      {"image 1, upper half only", arma::vectorise(half)},
  };
  std::vector<OddInput> inputs;
  for (const auto& [name, x] : named) {
    OddInput in{name, x, 0, 0, {}};
    const arma::fmat X(x);                                    // (784 x 1)
    const arma::fvec p = nn::softmax(net.forward(X)).col(0);  // (10)
    in.answer = p.index_max();
    in.confidence = double(p(in.answer));
    in.familiarity = nn::check_familiarity(garments, in.x);
    inputs.push_back(in);
  }
  const std::vector<std::string>& names = data.validation.class_names;
  std::cout << "\nConfidence is not correctness: the network's answer for inputs unlike the "
               "training images\n"
            << "  (garment subspace: distance limit "
            << nn::num(garments.distance_limit, "%.3f") << ", the 99.5th percentile of the "
            << "validation images; ink at least " << nn::num(garments.ink_limit, "%.3f")
            << ")\n";
  for (const OddInput& in : inputs) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-36s %-11s %6.1f%%   distance %.3f  ink %.3f  %s\n",
                  in.name.c_str(), names.at(in.answer).c_str(), 100 * in.confidence,
                  in.familiarity.distance, in.familiarity.ink,
                  in.familiarity.unlike_training() ? "UNLIKE TRAINING" : "like training");
    std::cout << line;
  }
  return {inputs, garments.distance_limit};
}

// The odd inputs in a row of panels, each titled with the answer and the check, and a
// last panel: confidence against the distance from the garment subspace.
void draw_overconfident(const OddInputs& odd, const std::vector<std::string>& names,
                        const std::string& out) {
  const std::vector<OddInput>& inputs = odd.inputs;
  const double distance_limit = odd.distance_limit;
  nn::Figure fig("overconfident", 1600, 800);
  fig.layout(2, 4,
             "Confidence is not correctness: the softmax answer for inputs unlike the "
             "training images");
  const arma::vec xs = arma::regspace<arma::vec>(0, 27);
  arma::vec distance(inputs.size()), confidence(inputs.size());
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const OddInput& in = inputs[k];
    arma::mat image(28, 28);  // image(r, c) is row r (from the top), column c
    for (arma::uword r = 0; r < 28; ++r)
      for (arma::uword c = 0; c < 28; ++c)
        image(r, c) = std::round(255.0 * double(in.x(r * 28 + c)));
    nn::Plot& p = fig.panel(k);
    p.title(std::to_string(k + 1) + ". " + in.name);
    p.heatmap("pixels", xs, xs, image);
    // As the network sees them (unlike misclassified.png): 0 black, 255 white.
    p.command("set palette grey positive").cbrange(0, 255).command("unset colorbox");
    p.xrange(-0.5, 27.5).yrange(27.5, -0.5).square().no_axes();
    p.command("set border 15 lw 0.5 lc rgb '#999999'");  // a frame, for the white panel
    p.xlabel(names.at(in.answer) + " " + nn::percent(in.confidence, 1) + ", distance " +
             nn::num(in.familiarity.distance, "%.3f") +
             (in.familiarity.too_empty ? ": no ink"
              : in.familiarity.too_far ? ": too far"
                                       : ""));
    distance(k) = in.familiarity.distance;
    confidence(k) = 100 * in.confidence;
  }
  nn::Plot& scatter = fig.panel(inputs.size());
  scatter.title("confidence against distance")
      .xlabel("distance from the garment subspace")
      .ylabel("confidence (%)")
      .key("bottom right");
  const double right = std::max(0.5, 1.1 * distance.max());
  scatter.xrange(0, right).yrange(0, 112);
  scatter.line("limit " + nn::num(distance_limit, "%.3f"), {distance_limit, distance_limit},
               {0, 112}, {.colour = 1, .dashed = true});
  scatter.points("inputs", distance, confidence, {.colour = 0, .point_size = 1.6});
  // Each point numbered as its panel, below and above in turn from left to right, so that
  // neighbours' numbers do not overlap.
  const arma::uvec by_distance = arma::stable_sort_index(distance);
  for (arma::uword j = 0; j < by_distance.n_elem; ++j) {
    const arma::uword k = by_distance(j);
    scatter.label(distance(k), confidence(k) + (j % 2 ? 6 : -6), std::to_string(k + 1),
                  "center", 11);
  }
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------------------

// "256,128" -> {256, 128}; nothing unless it is 1 to 8 whole numbers from 1 to 4096
// separated by single commas.
std::optional<std::vector<arma::uword>> parse_hidden(const std::string& text) {
  std::vector<arma::uword> sizes;
  std::size_t at = 0;
  while (true) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string field = text.substr(at, comma - at);
    if (field.empty() || field.size() > 4 ||
        field.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    const arma::uword n = std::stoul(field);
    if (n < 1 || n > 4096 || sizes.size() == 8) return std::nullopt;
    sizes.push_back(n);
    if (comma == text.size()) return sizes;
    at = comma + 1;
  }
}

// What the command line asks for.
struct Options {
  Settings training;
  std::string data_dir = nn::kFashionMnistDir;
  arma::uword train_limit = 55000;
  std::string save_path;    // --save (empty: default_model_path())
  std::string model_path;   // --model, for --predict-* (empty: default_model_path())
  bool predicting = false;  // --predict-index or --predict-image: section 5 only
  std::optional<arma::uword> predict_index;
  bool final_test = false;  // --final: evaluate the test set once, at the end
  std::string image_path;   // --predict-image: a PNG, JPEG or PGM file
  std::string show_input;   // --show-input: where to write the prepared 28 x 28 image
};

// Fills o from the command line. Returns an exit code when the program should stop now
// (0 after --help; 2 after a bad flag, with one error line).
std::optional<int> parse_flags(nn::CommandLine& cli, int argc, char** argv, Options& o) {
  Settings& s = o.training;
  std::string hidden = "256,128";
  long long predict_index = -1;
  CLI::App& app = cli.app();
  app.add_option("--data", o.data_dir,
                 "Folder with the four Fashion-MNIST IDX files (.gz or not)")
      ->capture_default_str();
  app.add_option("--epochs", s.epochs, "Passes over the training images")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--learning-rate", s.learning_rate, "Step size of the optimiser")
      ->check(nn::FinitePositive)
      ->capture_default_str();
  app.add_option("--batch-size", s.batch_size, "Images per mini-batch")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--hidden", hidden, "Hidden layer sizes, 1 to 8 of them, each 1-4096")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return parse_hidden(text) ? ""
                                      : "must be 1 to 8 sizes from 1 to 4096 separated "
                                        "by commas (e.g. 256,128), not '" +
                                            text + "'";
          },
          "SIZES"))
      ->capture_default_str();
  app.add_option("--optimizer", s.optimizer, "adam, momentum (0.9) or sgd")
      ->check(CLI::IsMember({"adam", "momentum", "sgd"}))
      ->capture_default_str();
  app.add_option("--schedule", s.schedule, "Learning rate per epoch: cosine decay or constant")
      ->check(CLI::IsMember({"cosine", "constant"}))
      ->capture_default_str();
  app.add_option("--weight-decay", s.weight_decay, "L2 strength lambda (chapter 08)")
      ->check(nn::FiniteNonNegative)
      ->capture_default_str();
  app.add_option("--train-limit", o.train_limit,
                 "Train on the first N of the 55,000 training images (quick runs)")
      ->check(CLI::Range(1, 55000))
      ->capture_default_str();
  app.add_flag("--final", o.final_test,
               "After everything else, evaluate the test set once (do it once, when the "
               "settings are chosen); without it the test files are not read");
  CLI::Option* save_opt = app.add_option(
      "--save", o.save_path,
      "Model file to write (default: model.nnm in this chapter's default output folder)");
  CLI::Option* index_opt =
      app.add_option("--predict-index", predict_index,
                     "Classify validation image N (0-4999) with a saved model; no training")
          ->check(CLI::Range(0, int(kValidationSize) - 1));
  CLI::Option* image_opt = app.add_option(
      "--predict-image", o.image_path,
      "Classify a photo (PNG, JPEG or PGM, any size), prepared like Fashion-MNIST's");
  index_opt->excludes(image_opt);
  CLI::Option* show_opt = app.add_option(
      "--show-input", o.show_input,
      "With --predict-*: write the 28x28 image the network classified (FILE.png or .pgm)");
  app.add_option("--model", o.model_path,
                 "Model file for --predict-* (default: where training saves it)");
  if (std::optional<int> code = cli.parse(argc, argv)) return code;
  o.predicting = index_opt->count() || image_opt->count();
  for (const char* flag : {"--model", "--show-input"})
    if (app.get_option(flag)->count() && !o.predicting) {
      std::cerr << kChapter << ": error: " << flag
                << " is for --predict-index or --predict-image (see --help)\n";
      return 2;
    }
  const std::string& show = o.show_input;
  if (show_opt->count() &&
      !(show.size() > 4 && (show.ends_with(".png") || show.ends_with(".pgm")))) {
    std::cerr << kChapter << ": error: --show-input: '" << show
              << "' must be a file name ending in .png or .pgm (see --help)\n";
    return 2;
  }
  if (o.final_test && o.predicting) {
    std::cerr << kChapter << ": error: --final is for a training run (it tests the network "
              << "just trained), not for --predict-* (see --help)\n";
    return 2;
  }
  if (save_opt->count() && o.save_path.empty()) {
    std::cerr << kChapter << ": error: --save: an empty file name (see --help)\n";
    return 2;
  }
  if (!o.predicting) {
    const std::string target = o.save_path.empty() ? default_model_path() : o.save_path;
    const std::string problem = nn::save_problem(target, o.save_path.empty());
    if (!problem.empty()) {
      std::cerr << kChapter << ": error: --save: " << target << problem << " (see --help)\n";
      return 2;
    }
  }
  if (index_opt->count()) o.predict_index = arma::uword(predict_index);
  s.seed = cli.seed();
  s.hidden = *parse_hidden(hidden);
  return std::nullopt;
}

// "  recall per class   T-shirt/top 85.1%, Trouser 97.9%, ..." on two lines of five.
void print_recall(const std::vector<std::string>& names, const arma::vec& recall) {
  std::cout << "  recall per class  ";
  for (arma::uword k = 0; k < 10; ++k)
    std::cout << (k % 5 == 0 && k ? "\n                    " : " ") << names[k] << " "
              << nn::percent(recall(k)) << (k % 5 == 4 ? "" : ",");
  std::cout << "\n";
}

// The results block, after the figures: the validation set's numbers.
void print_results(const Data& data, const Trained& trained, const Results& validation,
                   const std::string& model_file, const std::string& out_dir,
                   double total_seconds) {
  const std::vector<std::string>& names = data.validation.class_names;
  const arma::vec& recall = validation.recall;
  std::cout << "\nResults on the validation set (the test set is left for --final)\n"
            << "  accuracy           " << nn::percent(validation.evaluation.accuracy, 2) << " ("
            << nn::thousands(arma::trace(validation.C)) << " of "
            << nn::thousands(data.validation.size()) << " validation images), loss "
            << nn::num(validation.evaluation.loss, "%.4f") << "\n";
  print_recall(names, recall);
  const arma::uword best = recall.index_max(), worst = recall.index_min();
  const int epochs = int(trained.history.size());
  std::cout
      << "  best / worst class " << names[best] << " " << nn::percent(recall(best)) << ", "
      << names[worst] << " " << nn::percent(recall(worst)) << "\n"
      << "  training time      " << nn::num(trained.seconds, "%.1f") << " s for " << epochs
      << (epochs == 1 ? " epoch\n" : " epochs\n") << "  model file         " << model_file
      << " (" << nn::thousands(fs::file_size(model_file)) << " bytes)\n"
      << "                     loaded back, it gives bit-identical outputs\n"
      << "  figures            curves, confusion, misclassified, weights, overconfident in "
      << out_dir << "\n"
      << "  total time         " << nn::num(total_seconds, "%.1f") << " s\n";
}

// [listing final]
// --final: the trained network on the 10,000 test images, after everything else has been
// decided and drawn. This is the only place the test set is evaluated, and it changes
// nothing: no figure, no choice. Its accuracy is the number to report.
void section3_final_test(nn::Network<float>& net, const Data& data) {
  const Results test = results_on(net, data.test);
  std::cout << "\nFinal test (the chosen settings, the test set's one use)\n"
            << "  accuracy           " << nn::percent(test.evaluation.accuracy, 2) << " ("
            << nn::thousands(arma::trace(test.C)) << " of " << nn::thousands(data.test.size())
            << " test images), loss " << nn::num(test.evaluation.loss, "%.4f") << "\n";
  print_recall(data.test.class_names, test.recall);
}
// [end final]

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli(kChapter,
                      "Chapter 09: an MLP on Fashion-MNIST; saving, loading and predicting");
  Options o;
  if (std::optional<int> code = parse_flags(cli, argc, argv, o)) return *code;
  nn::make_reproducible(cli.seed());

  try {
    if (o.predicting)  // section 5 alone, with a model saved by an earlier run
      return section5_predict(o.model_path.empty() ? default_model_path() : o.model_path,
                              o.data_dir, o.predict_index, o.image_path, o.show_input);

    std::cout << "Chapter 09: Fashion-MNIST, a real data set\n"
              << "==========================================\n\n";
    const Clock::time_point start = Clock::now();
    const Data data = section1_the_data(o.data_dir, o.train_limit, o.final_test);
    Trained trained = section2_training(data, o.training);
    const Results validation = section3_validation_results(trained.net, data);
    const std::string model_file = o.save_path.empty() ? default_model_path() : o.save_path;
    section4_save_and_reload(trained.net, model_file, data, validation.evaluation);
    const OddInputs odd = section6_confidence(trained.net, data);

    // Figures, only now that training has succeeded, from training and validation only.
    const Evaluation& answers = validation.evaluation;
    const arma::uvec wrong = arma::find(answers.predicted != data.validation.labels);
    draw_curves(trained.history, cli.out_dir());
    draw_confusion(validation.C, data.validation.class_names, cli.out_dir());
    draw_misclassified(data.validation, wrong, answers.predicted, answers.P, cli.out_dir());
    draw_weights(trained.net, data.validation, cli.out_dir());
    draw_overconfident(odd, data.validation.class_names, cli.out_dir());
    print_results(data, trained, validation, model_file, cli.out_dir(), seconds_since(start));
    if (o.final_test) section3_final_test(trained.net, data);  // last: the test set, once
  } catch (const std::exception& e) {
    std::cerr << kChapter << ": error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
