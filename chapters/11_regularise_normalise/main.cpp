// Chapter 11: regularising and normalising a real network
// ===========================================================================================
// What you learn: three things real networks add to chapter 09's multilayer perceptron, each
// a layer or a step of the training loop, each judged on the validation set:
//   dropout              (common/dropout.hpp) units dropped at random while training;
//   batch normalisation  (common/batch_norm.hpp) each unit normalised over the batch;
//   data augmentation    (common/augment.hpp) training images shifted (and some mirrored).
// Each is first switched on alone against chapter 09's network on a subset of the
// training images, over several seeds (mean +- sd of the validation accuracy), with
// combinations and a wider network; then the recipe with the best mean is trained on all
// 55,000 training images, saved (a model file records every layer), and, with --final,
// tested once.
//
// Run:   ./tutorial 11        or   build/release/chapters/11_regularise_normalise [--help]
//        [--epochs 15] [--learning-rate 0.002] [--batch-size 256] [--hidden 256,128]
//        [--wide-hidden 512,256] [--dropout 0.2] [--max-shift 1] [--compare-limit 5000]
//        [--compare-epochs 5] [--seeds 3] [--recipe best] [--train-limit N] [--data DIR]
//        [--save FILE] [--seed 42] [--out DIR]
//        and once, when the settings are chosen:  ./tutorial 11 --final
//        then, with chapter 09's predictor and the model this chapter saved:
//        build/release/chapters/09_fashion_mnist --predict-image photo.jpg
//            --model build/release/output/11_regularise_normalise/model.nnm
// Needs: Debian's package dataset-fashion-mnist (as chapter 09).
// Draws (into build/release/output/11_regularise_normalise/, or --out DIR), from the
// training and validation sets only, so that --final changes no figure:
//   curves.png       training and validation accuracy, with and without each technique
//   spread.png       per-layer spread of Z and A during training, without and with batch norm
//   augmented.png    one training image and augmented versions of it
//   comparison.png   validation accuracy of every recipe over the seeds (mean +- sd)
//   final.png        the chosen recipe on all 55,000 training images, epoch by epoch
// and comparison_table.csv, the comparison as a table.
#include <armadillo>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/atomic_write.hpp"
#include "common/augment.hpp"
#include "common/batch_norm.hpp"
#include "common/batches.hpp"
#include "common/cli.hpp"
#include "common/dense.hpp"
#include "common/divergence.hpp"
#include "common/dropout.hpp"
#include "common/fashion_mnist_split.hpp"
#include "common/format.hpp"
#include "common/idx.hpp"
#include "common/initializer.hpp"
#include "common/loss.hpp"
#include "common/metrics.hpp"
#include "common/mode.hpp"
#include "common/model_file.hpp"
#include "common/network.hpp"
#include "common/optimizer.hpp"
#include "common/plot.hpp"
#include "common/progress.hpp"
#include "common/reproducible.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kChapter = "11_regularise_normalise";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---------------------------------------------------------------------------------------
// 1. The data: chapter 09's split, 55,000 to train on and 5,000 for validation
// ---------------------------------------------------------------------------------------

// The three sets (common/fashion_mnist_split.hpp): the training file's first 55,000 images
// to train on, its last 5,000 for validation, and the test file's 10,000 with --final.
using Data = nn::FashionMnistSplit;

Data section1_the_data(const std::string& dir, arma::uword train_limit, bool final_test) {
  std::cout << "The data: Fashion-MNIST from " << dir << "\n";
  Data d = nn::load_fashion_mnist_split(dir, train_limit, final_test);
  std::cout << "  " << nn::thousands(d.train.size()) << " images to train on, "
            << nn::thousands(d.validation.size()) << " for validation (the training file's "
            << "last 5,000, as in chapter 09)\n"
            << (final_test ? "  test file: " + nn::thousands(d.test.size()) +
                                 " images (--final: evaluated once, at the very end)\n"
                           : std::string("  test file: not read (it is used once, with "
                                         "--final)\n"))
            << "\n";
  return d;
}

// ---------------------------------------------------------------------------------------
// 2. Recipes: which techniques a network uses, and the network they build
// ---------------------------------------------------------------------------------------

struct Recipe {
  std::string name;
  double dropout = 0;       // p, the probability a hidden unit is dropped (0: no dropout)
  bool batch_norm = false;  // batch normalisation after every hidden Dense layer
  int max_shift = 0;        // augmentation: shifts of up to this many pixels (0: none)
  bool flip = false;        // augmentation: mirror the classes where that is safe
  bool wide = false;        // the wider hidden layers (Settings::wide_hidden)
  int colour = 0;           // in the figures
};

// What every run shares: the optimiser and the network's size.
struct Settings {
  int epochs = 15;
  double learning_rate = 0.002;
  arma::uword batch_size = 256;
  std::vector<arma::uword> hidden = {256, 128};       // chapter 09's network
  std::vector<arma::uword> wide_hidden = {512, 256};  // the wider recipes' network
  double dropout = 0.2;                               // p of the recipes with dropout
  int max_shift = 1;                                  // of the recipes with augmentation
  unsigned seed = 42;
};

// [listing build]
// 784 -> hidden... -> 10. Each hidden layer is a Dense layer with ReLU, or, with batch
// normalisation, a Dense layer without activation (identity: Z = W X + b) followed by
// BatchNorm, which normalises Z and then applies ReLU; then, with dropout, a Dropout layer
// on the activations. The output layer gives logits, as in chapter 09.
nn::Network<float> build_network(const Settings& s, const Recipe& r) {
  const std::vector<arma::uword>& hidden = r.wide ? s.wide_hidden : s.hidden;
  nn::Network<float> net;
  arma::uword n_in = 784;
  for (const arma::uword n : hidden) {
    if (r.batch_norm) {
      net.add(nn::Dense<float>(n_in, n, nn::Activation::identity));  // Z (n x m)
      net.add(nn::BatchNorm<float>(n, nn::Activation::relu));        // A = relu(BN(Z))
    } else {
      net.add(nn::Dense<float>(n_in, n, nn::Activation::relu));  // A = relu(Z)
    }
    if (r.dropout > 0) net.add(nn::Dropout<float>(n, r.dropout));  // A % M in training
    n_in = n;
  }
  net.add(nn::Dense<float>(n_in, 10, nn::Activation::identity));  // logits (10 x m)
  return net;
}
// [end build]

// "784-256-128-10 with batch norm, dropout 0.2"
std::string describe(const Settings& s, const Recipe& r) {
  std::string text = "784";
  for (const arma::uword n : r.wide ? s.wide_hidden : s.hidden) {
    text += '-';  // (not "-" + ...: GCC 12 warns falsely, -Wrestrict, on that)
    text += std::to_string(n);
  }
  text += "-10";
  if (r.batch_norm) text += ", batch norm";
  if (r.dropout > 0) text += ", dropout " + nn::num(r.dropout, "%.2g");
  if (r.max_shift > 0)
    text +=
        ", shifts up to " + std::to_string(r.max_shift) + " px" + (r.flip ? " and flips" : "");
  return text;
}

// ---------------------------------------------------------------------------------------
// 3. Training and evaluation, with modes
// ---------------------------------------------------------------------------------------

// The learning rate of epoch e (1..E): cosine decay from lr to near 0, as in chapter 09.
double learning_rate_for(const Settings& s, int epochs, int epoch) {
  const double pi = 3.14159265358979323846;
  return s.learning_rate / 2 * (1 + std::cos(pi * double(epoch - 1) / double(epochs)));
}

struct Evaluation {
  double loss = 0, accuracy = 0;
};

// [listing evaluate]
// The network on every image of `set`, 1,000 at a time, in evaluation mode: no dropout,
// and batch normalisation with its running statistics, so each image's answer depends on
// that image alone.
Evaluation evaluate(nn::Network<float>& net, const nn::ImageDataset& set) {
  nn::MiniBatches<float, unsigned char> chunks(set.images.pixels, set.labels, 1000, 0);
  double loss_sum = 0;
  arma::uword right = 0;
  for (arma::uword k = 0; k < chunks.count(); ++k) {
    chunks.gather(k);
    const arma::fmat& Z = net.forward(chunks.X(), nn::Mode::evaluation);  // (10 x chunk)
    loss_sum += nn::softmax_cross_entropy(Z, chunks.t()) * double(Z.n_cols);
    right += arma::accu(arma::index_max(Z, 0).t() == chunks.t());
  }
  return {loss_sum / double(set.size()), double(right) / double(set.size())};
}
// [end evaluate]

// The spread (standard deviation over units and images) of each hidden layer's Z, the
// output of its Dense layer, and A, what it passes on (after batch norm and ReLU; before
// dropout), on the first 1,000 validation images in evaluation mode.
struct Spread {
  std::vector<double> Z, A;  // one per hidden layer
};

Spread spread_of(nn::Network<float>& net, const arma::fmat& probe) {
  net.forward(probe, nn::Mode::evaluation);
  Spread s;
  const std::vector<nn::Layer<float>>& layers = net.all_layers();
  for (std::size_t i = 0; i + 1 < layers.size(); ++i) {
    if (const auto* dense = std::get_if<nn::Dense<float>>(&layers[i])) {
      s.Z.push_back(double(arma::stddev(arma::vectorise(dense->Z()))));
      if (dense->activation() != nn::Activation::identity)
        s.A.push_back(double(arma::stddev(arma::vectorise(dense->A()))));
    } else if (const auto* norm = std::get_if<nn::BatchNorm<float>>(&layers[i])) {
      s.A.push_back(double(arma::stddev(arma::vectorise(norm->A()))));
    }
  }
  return s;
}

// One row of the curves: the epoch's means.
struct EpochStats {
  double train_loss, train_accuracy, validation_loss, validation_accuracy;
};

struct Run {
  Recipe recipe;
  unsigned seed = 0;
  std::vector<EpochStats> history;
  std::vector<Spread> spread;  // before training (epoch 0) and after every epoch
  double seconds = 0;
  double validation_accuracy() const { return history.back().validation_accuracy; }
};

// [listing train]
// Trains net on `train` for `epochs` epochs with Adam and cosine decay. Training mode
// throughout (new dropout masks, batch statistics); after each epoch, the validation set
// in evaluation mode. With augmentation, every batch is shifted (and mirrored) afresh.
Run train(nn::Network<float>& net, const nn::ImageDataset& train,
          const nn::ImageDataset& validation, const Settings& s, const Recipe& r, int epochs,
          unsigned seed, nn::Progress* progress) {
  Run run{r, seed, {}, {}, 0};
  std::mt19937_64 rng(seed);
  net.initialize(nn::Initializer::he(), rng);  // 1. initialise (and seed the masks)
  std::vector<nn::Parameter<float>> params = net.parameters();
  nn::Adam<float> optimizer(s.learning_rate);
  nn::MiniBatches<float, unsigned char> batches(train.images.pixels, train.labels, s.batch_size,
                                                seed);
  std::mt19937_64 augment_rng(seed + 1);
  const std::vector<bool> flippable = nn::fashion_mnist_flippable();
  const arma::fmat probe =
      arma::conv_to<arma::fmat>::from(validation.images.pixels.cols(0, 999)) /
      255.0f;  // (784 x 1000)
  run.spread.push_back(spread_of(net, probe));
  const Clock::time_point start = Clock::now();
  arma::fmat X, dZ;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    optimizer.set_learning_rate(learning_rate_for(s, epochs, epoch));
    batches.shuffle(arma::uword(epoch));
    double loss_sum = 0;
    arma::uword right = 0;
    for (arma::uword k = 0; k < batches.count(); ++k) {
      batches.gather(k);
      const arma::uvec& t = batches.t();
      X = batches.X();  // (784 x m), in [0, 1]
      if (r.max_shift > 0)
        nn::augment(X, t, r.flip ? flippable : std::vector<bool>(10, false), augment_rng,
                    r.max_shift);
      const arma::fmat& Z = net.forward(X, nn::Mode::training);  // 2. forward
      const double loss = nn::softmax_cross_entropy(Z, t, dZ);   // 3. loss and dL/dZ
      right += arma::accu(arma::index_max(Z, 0).t() == t);
      net.backward(dZ);        // 4. backpropagation
      optimizer.step(params);  // 5. update
      loss_sum += loss * double(t.n_elem);
      if (progress) progress->batch_done(long(t.n_elem), loss);
    }
    const double train_loss = loss_sum / double(train.size());
    nn::stop_if_diverged(train_loss, epoch, optimizer.learning_rate(), std::log(10.0));
    const Evaluation v = evaluate(net, validation);
    run.history.push_back(
        {train_loss, double(right) / double(train.size()), v.loss, v.accuracy});
    run.spread.push_back(spread_of(net, probe));
    if (progress)
      progress->epoch_done(train_loss, "train " +
                                           nn::percent(run.history.back().train_accuracy) +
                                           "  validation " + nn::percent(v.accuracy, 2));
  }
  run.seconds = seconds_since(start);
  return run;
}
// [end train]

// ---------------------------------------------------------------------------------------
// 4. The comparison: every recipe, several seeds, on a subset
// ---------------------------------------------------------------------------------------

// The recipes compared: chapter 09's network, each technique alone, and combinations.
std::vector<Recipe> recipes(const Settings& s) {
  return {
      {"baseline", 0, false, 0, false, false, 7},
      {"+ dropout", s.dropout, false, 0, false, false, 1},
      {"+ batch norm", 0, true, 0, false, false, 2},
      {"+ augmentation", 0, false, s.max_shift, true, false, 3},
      {"batch norm + dropout", s.dropout, true, 0, false, false, 5},
      {"wider", 0, false, 0, false, true, 6},
      {"wider, batch norm + dropout", s.dropout, true, 0, false, true, 0},
  };
}

struct Row {
  Recipe recipe;
  std::vector<double> accuracies;  // the final validation accuracy of each seed
  double mean = 0, sd = 0;         // over the seeds (sd with n - 1)
};

struct Comparison {
  std::vector<Row> rows;
  std::vector<Run> first_seed;  // every recipe's run with the first seed (curves, spread)
  arma::uword train_images = 0;
  int epochs = 0;
};

// [listing compare]
// Every recipe trained with seeds seed, seed+1, ... on the first `limit` training images
// for `epochs` epochs; the validation accuracy after the last epoch, as mean +- sd.
Comparison section4_compare(const Data& d, const Settings& s, arma::uword limit, int epochs,
                            int n_seeds) {
  const nn::ImageDataset subset =
      nn::images_between(d.train, 0, std::min(limit, d.train.size()) - 1);
  Comparison c{{}, {}, subset.size(), epochs};
  std::cout << "The comparison: " << recipes(s).size() << " recipes x " << n_seeds
            << " seeds, each " << epochs << " epochs on the first "
            << nn::thousands(subset.size()) << " training images\n";
  for (const Recipe& r : recipes(s)) {
    Row row{r, {}, 0, 0};
    for (int k = 0; k < n_seeds; ++k) {
      const unsigned seed = s.seed + unsigned(k);
      nn::Network<float> net = build_network(s, r);
      Run run = train(net, subset, d.validation, s, r, epochs, seed, nullptr);
      const EpochStats& last = run.history.back();
      std::printf("  %-28s seed %-4u train %6.2f%%  validation %6.2f%%  (%.1f s)\n",
                  r.name.c_str(), seed, 100 * last.train_accuracy,
                  100 * last.validation_accuracy, run.seconds);
      row.accuracies.push_back(last.validation_accuracy);
      if (k == 0) c.first_seed.push_back(std::move(run));
    }
    const arma::vec a(row.accuracies);
    row.mean = arma::mean(a);
    row.sd = a.n_elem > 1 ? arma::stddev(a) : 0.0;
    c.rows.push_back(row);
  }
  std::cout << std::flush;
  return c;
}
// [end compare]

void print_comparison(const Comparison& c) {
  std::cout << "\n  Validation accuracy after " << c.epochs << " epochs on "
            << nn::thousands(c.train_images) << " images, mean +- sd over "
            << c.rows.front().accuracies.size() << " seeds:\n";
  const double base = c.rows.front().mean;
  for (const Row& row : c.rows) {
    std::printf("    %-28s %6.2f%% +- %.2f   (%+.2f points)\n", row.recipe.name.c_str(),
                100 * row.mean, 100 * row.sd, 100 * (row.mean - base));
  }
  std::cout << std::flush;
}

// comparison_table.csv: recipe, mean, sd and every seed's accuracy, in percent.
void write_comparison_table(const Comparison& c, const std::string& out) {
  std::string text = "recipe,mean,sd";
  for (std::size_t k = 0; k < c.rows.front().accuracies.size(); ++k) {
    text += ",seed";  // (not ",seed" + ...: GCC 12 warns falsely, -Wrestrict, on that)
    text += std::to_string(k + 1);
  }
  text += "\n";
  for (const Row& row : c.rows) {
    text += row.recipe.name + "," + nn::num(100 * row.mean, "%.2f") + "," +
            nn::num(100 * row.sd, "%.2f");
    for (const double a : row.accuracies) {
      text += ',';
      text += nn::num(100 * a, "%.2f");
    }
    text += "\n";
  }
  nn::write_file_atomically(out + "/comparison_table.csv", text);
}

// ---------------------------------------------------------------------------------------
// 5. The chosen recipe on all the training images
// ---------------------------------------------------------------------------------------

struct Final {
  nn::Network<float> net;
  Run run;
};

Final section5_final_training(const Data& d, const Settings& s, const Recipe& r) {
  std::cout << "\nThe chosen recipe, " << r.name << " (" << describe(s, r) << "), on all "
            << nn::thousands(d.train.size()) << " training images: Adam, learning rate "
            << s.learning_rate << " with cosine decay, batch " << s.batch_size << ", "
            << s.epochs << " epochs, seed " << s.seed << "\n";
  Final f{build_network(s, r), {}};
  std::cout << "  " << nn::thousands(f.net.n_parameters()) << " trained parameters, in "
            << f.net.all_layers().size() << " layers\n";
  nn::Progress progress(s.epochs, long((d.train.size() + s.batch_size - 1) / s.batch_size));
  f.run = train(f.net, d.train, d.validation, s, r, s.epochs, s.seed, &progress);
  return f;
}

// [listing choose]
// The recipe with the highest mean validation accuracy in the comparison (or the one
// --recipe names).
Recipe choose_recipe(const Comparison& c, const std::string& name) {
  const Row* best = &c.rows.front();
  for (const Row& row : c.rows) {
    if (row.recipe.name == name) return row.recipe;
    if (row.mean > best->mean) best = &row;
  }
  return best->recipe;
}
// [end choose]

// Where the model goes without --save: this chapter's default output folder.
std::string default_model_path() { return nn::default_out_dir(kChapter) + "/model.nnm"; }

// Saves the network (the model file records every layer, with batch norm's running
// statistics), loads it back and checks it answers the validation set identically.
void save_and_reload(nn::Network<float>& net, const std::string& path, const Data& d) {
  nn::save_model(path, net);
  nn::Network<float> loaded = nn::load_model<float>(path);
  const arma::fmat X = arma::conv_to<arma::fmat>::from(d.validation.images.pixels) / 255.0f;
  const arma::fmat a = net.forward(X, nn::Mode::evaluation);
  const arma::fmat b = loaded.forward(X, nn::Mode::evaluation);
  if (!arma::approx_equal(a, b, "absdiff", 0.0f))
    throw std::runtime_error("the reloaded model answers differently");
}

// ---------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------

arma::vec epochs_axis(arma::uword n, double first = 1) {
  return arma::regspace<arma::vec>(first, first + double(n) - 1);
}

arma::vec column(const std::vector<EpochStats>& h, double EpochStats::*field, double scale) {
  arma::vec v(h.size());
  for (std::size_t e = 0; e < h.size(); ++e) v(e) = scale * (h[e].*field);
  return v;
}

// Training (dashed) and validation (solid) accuracy, baseline against each technique.
void draw_curves(const Comparison& c, const std::string& out) {
  nn::Figure fig("curves", 1800, 1000);
  fig.layout(2, 3,
             "Training (dashed) and validation (solid) accuracy, first seed, " +
                 nn::thousands(c.train_images) + " training images");
  const Run& base = c.first_seed.front();
  const arma::vec x = epochs_axis(base.history.size());
  const std::vector<std::size_t> shown = {1, 2, 3, 4, 5, 6};
  double lo = 100;
  for (const Run& r : c.first_seed)
    for (const EpochStats& e : r.history)
      lo = std::min({lo, 100 * e.validation_accuracy, 100 * e.train_accuracy});
  for (std::size_t k = 0; k < shown.size(); ++k) {
    const Run& run = c.first_seed[shown[k]];
    nn::Plot& p = fig.panel(k);
    p.title("baseline and " + run.recipe.name)
        .xlabel("epoch")
        .ylabel("accuracy (%)")
        .key("bottom right")
        .xrange(0.5, double(x.n_elem) + 0.5)
        .yrange(std::floor(lo) - 1, 101);
    p.line("baseline, training", x, column(base.history, &EpochStats::train_accuracy, 100),
           {.colour = base.recipe.colour, .dashed = true});
    p.line("baseline, validation", x,
           column(base.history, &EpochStats::validation_accuracy, 100),
           {.colour = base.recipe.colour});
    p.line(run.recipe.name + ", training", x,
           column(run.history, &EpochStats::train_accuracy, 100),
           {.colour = run.recipe.colour, .dashed = true});
    p.line(run.recipe.name + ", validation", x,
           column(run.history, &EpochStats::validation_accuracy, 100),
           {.colour = run.recipe.colour});
  }
  fig.save(out);
}

// The spread of Z and A, layer by layer and epoch by epoch, without and with batch norm.
void draw_spread(const Comparison& c, const std::string& out) {
  const Run& without = c.first_seed[0];
  const Run& with = c.first_seed[2];
  nn::Figure fig("spread", 1300, 1000);
  fig.layout(2, 2,
             "Spread (standard deviation) of each hidden layer on 1,000 validation images, "
             "during training");
  const arma::vec x = epochs_axis(without.spread.size(), 0);
  double top = 0;
  for (const Run* r : {&without, &with})
    for (const Spread& s : r->spread)
      for (const double v : s.Z) top = std::max(top, v);
  for (int row = 0; row < 2; ++row)
    for (int col = 0; col < 2; ++col) {
      const Run& run = col == 0 ? without : with;
      nn::Plot& p = fig.panel(std::size_t(2 * row + col));
      p.title(std::string(col == 0 ? "without batch norm" : "with batch norm") + ": " +
              (row == 0 ? "Z_l = W_l A_{l-1} + b_l" : "A_l, passed to the next layer"))
          .xlabel("epoch (0: before training)")
          .ylabel(row == 0 ? "standard deviation of Z_l" : "standard deviation of A_l")
          .key("top left")
          .xrange(-0.3, double(x.n_elem) - 0.7)
          .yrange(0, 1.15 * top);
      const std::size_t layers = run.spread.front().Z.size();
      for (std::size_t l = 0; l < layers; ++l) {
        arma::vec y(run.spread.size());
        for (std::size_t e = 0; e < run.spread.size(); ++e)
          y(e) = row == 0 ? run.spread[e].Z[l] : run.spread[e].A[l];
        const std::string name = "hidden layer " + std::to_string(l + 1);
        p.line(name, x, y, {.colour = int(l) * 4, .width = 2.5});
        p.points(name + " (markers)", x, y,
                 {.colour = int(l) * 4, .point_size = 1.0, .in_key = false});
      }
    }
  fig.save(out);
}

// One T-shirt and one ankle boot of the training set, each with augmented versions: the
// shirt may be mirrored, the boot (whose toe points left in every photo) only shifted.
void draw_augmented(const Data& d, const Settings& s, const std::string& out) {
  constexpr int kVersions = 5;
  nn::Figure fig("augmented", 1400, 560);
  fig.layout(2, kVersions + 1,
             "Augmentation: shifts of up to " + std::to_string(s.max_shift) +
                 (s.max_shift == 1 ? " pixel" : " pixels") +
                 " each way, and mirroring for the classes where it is safe");
  std::mt19937_64 rng(s.seed);
  const arma::vec xs = arma::regspace<arma::vec>(0, 27);
  const std::vector<bool> flippable = nn::fashion_mnist_flippable();
  int panel = 0;
  for (const arma::uword cls : {arma::uword(0), arma::uword(9)}) {
    const arma::uword i = arma::uvec(arma::find(d.train.labels == cls, 1))(0);
    arma::fmat X(784, kVersions + 1);
    X.each_col() = arma::conv_to<arma::fvec>::from(d.train.images.pixels.col(i));
    const arma::uvec labels(kVersions, arma::fill::value(cls));
    arma::fmat versions = X.cols(1, kVersions);
    nn::augment(versions, labels, flippable, rng, s.max_shift);
    X.cols(1, kVersions) = versions;
    for (int v = 0; v <= kVersions; ++v) {
      arma::mat image(28, 28);  // image(r, c): row r from the top, column c
      for (arma::uword r = 0; r < 28; ++r)
        for (arma::uword col = 0; col < 28; ++col)
          image(r, col) = double(X(r * 28 + col, arma::uword(v)));
      nn::Plot& p = fig.panel(std::size_t(panel++));
      p.title(v == 0 ? d.train.class_names[cls] + " (original)"
                     : "augmented " + std::to_string(v));
      p.heatmap("pixels", xs, xs, image);
      p.command("set palette grey negative").cbrange(0, 255).command("unset colorbox");
      p.xrange(-0.5, 27.5).yrange(27.5, -0.5).square().no_axes();
      p.command("set border 15 lw 0.5 lc rgb '#999999'");
    }
  }
  fig.save(out);
}

// Each recipe's validation accuracy: every seed (small points) and mean +- sd.
void draw_comparison(const Comparison& c, const std::string& out) {
  nn::Figure fig("comparison", 1200, 620);
  fig.title("Validation accuracy after " + std::to_string(c.epochs) + " epochs on " +
            nn::thousands(c.train_images) + " training images: each seed, and mean +- sd")
      .ylabel("validation accuracy (%)")
      .key("top left");
  double lo = 100, hi = 0;
  std::string tics = "set xtics (";
  for (std::size_t k = 0; k < c.rows.size(); ++k) {
    const Row& row = c.rows[k];
    const double x = double(k + 1);
    tics += (k ? ", '" : "'") + row.recipe.name + "' " + std::to_string(k + 1);
    const arma::vec a = 100 * arma::vec(row.accuracies);
    lo = std::min(lo, a.min());
    hi = std::max(hi, a.max());
    fig.points(
        row.recipe.name + " seeds", arma::vec(a.n_elem, arma::fill::value(x + 0.15)), a,
        {.colour = row.recipe.colour, .point_size = 0.9, .point_type = 6, .in_key = false});
    fig.line(row.recipe.name + " mean +- sd", {x, x},
             {100 * (row.mean - row.sd), 100 * (row.mean + row.sd)},
             {.colour = row.recipe.colour, .width = 3, .in_key = false});
    fig.points(
        row.recipe.name + " mean", {x}, {100 * row.mean},
        {.colour = row.recipe.colour, .point_size = 1.8, .point_type = 7, .in_key = false});
  }
  fig.command(tics + ") rotate by 20 right");  // the long names side by side would collide
  fig.command("unset key");
  fig.xrange(0.4, double(c.rows.size()) + 0.6)
      .yrange(std::floor(lo - 0.5), std::ceil(hi + 0.5));
  fig.save(out);
}

// The final run: loss and accuracy, epoch by epoch.
void draw_final(const Run& run, const std::string& out) {
  const arma::vec x = epochs_axis(run.history.size());
  nn::Figure fig("final", 1200, 500);
  fig.layout(1, 2, "The chosen recipe (" + run.recipe.name + ") on all training images");
  nn::Plot& loss = fig.panel(0);
  loss.title("cross-entropy loss").xlabel("epoch").ylabel("mean loss").key("top right");
  const arma::vec tl = column(run.history, &EpochStats::train_loss, 1);
  const arma::vec vl = column(run.history, &EpochStats::validation_loss, 1);
  loss.xrange(0.5, double(x.n_elem) + 0.5).yrange(0, 1.6 * std::max(tl.max(), vl.max()));
  loss.line("training (during the epoch)", x, tl, {.colour = 0});
  loss.line("validation (after the epoch)", x, vl, {.colour = 1});
  nn::Plot& acc = fig.panel(1);
  acc.title("accuracy").xlabel("epoch").ylabel("accuracy (%)").key("bottom right");
  acc.xrange(0.5, double(x.n_elem) + 0.5);
  acc.line("training", x, column(run.history, &EpochStats::train_accuracy, 100), {.colour = 0});
  acc.line("validation", x, column(run.history, &EpochStats::validation_accuracy, 100),
           {.colour = 1});
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------------------

// "256,128" -> {256, 128}; nothing unless 1 to 8 whole numbers from 1 to 4096.
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

struct Options {
  Settings training;
  std::string data_dir = nn::kFashionMnistDir;
  arma::uword train_limit = 55000;
  arma::uword compare_limit = 5000;
  int compare_epochs = 5;
  int seeds = 3;
  std::string save_path;
  bool final_test = false;
  std::string recipe = "best";  // the recipe of the final training
};

std::optional<int> parse_flags(nn::CommandLine& cli, int argc, char** argv, Options& o) {
  Settings& s = o.training;
  std::string hidden = "256,128", wide = "512,256";
  CLI::App& app = cli.app();
  app.add_option("--data", o.data_dir, "Folder with the Fashion-MNIST IDX files")
      ->capture_default_str();
  app.add_option("--epochs", s.epochs, "Epochs of the final training")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--learning-rate", s.learning_rate, "Adam's learning rate (cosine decay)")
      ->check(nn::FinitePositive)
      ->capture_default_str();
  app.add_option("--batch-size", s.batch_size, "Images per mini-batch (at least 2: batch norm)")
      ->check(CLI::Range(2, 4096))
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
  app.add_option("--wide-hidden", wide, "Hidden layer sizes of the wider recipes")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return parse_hidden(text) ? ""
                                      : "must be 1 to 8 sizes from 1 to 4096 separated "
                                        "by commas (e.g. 512,256), not '" +
                                            text + "'";
          },
          "SIZES"))
      ->capture_default_str();
  app.add_option("--dropout", s.dropout, "Drop probability p of the recipes with dropout")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str();
  app.add_option("--max-shift", s.max_shift, "Largest shift in pixels of the augmentation")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  app.add_option("--compare-limit", o.compare_limit,
                 "Training images of the comparison runs (the first N)")
      ->check(CLI::Range(100, 55000))
      ->capture_default_str();
  app.add_option("--compare-epochs", o.compare_epochs, "Epochs of each comparison run")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--seeds", o.seeds, "Seeds per recipe in the comparison (mean +- sd)")
      ->check(CLI::Range(2, 50))
      ->capture_default_str();
  app.add_option("--train-limit", o.train_limit,
                 "Train the final network on the first N of the 55,000 images")
      ->check(CLI::Range(100, 55000))
      ->capture_default_str();
  std::vector<std::string> names = {"best"};
  for (const Recipe& r : recipes(s)) names.push_back(r.name);
  app.add_option("--recipe", o.recipe,
                 "Recipe of the final training: best (the comparison's highest mean) or one "
                 "of the compared recipes by name")
      ->check(CLI::IsMember(names))
      ->capture_default_str();
  app.add_flag("--final", o.final_test,
               "At the end, evaluate the test set once (without it the test file is not read)");
  CLI::Option* save_opt = app.add_option(
      "--save", o.save_path, "Model file to write (default: model.nnm in the default output)");
  if (std::optional<int> code = cli.parse(argc, argv)) return code;
  const std::string target = o.save_path.empty() ? default_model_path() : o.save_path;
  if (save_opt->count() && o.save_path.empty()) {
    std::cerr << kChapter << ": error: --save: an empty file name (see --help)\n";
    return 2;
  }
  const std::string problem = nn::save_problem(target, o.save_path.empty());
  if (!problem.empty()) {
    std::cerr << kChapter << ": error: --save: " << target << problem << " (see --help)\n";
    return 2;
  }
  s.seed = cli.seed();
  s.hidden = *parse_hidden(hidden);
  s.wide_hidden = *parse_hidden(wide);
  return std::nullopt;
}

// [listing final]
// --final: the chosen network on the 10,000 test images, once, after everything else.
void final_test(nn::Network<float>& net, const Data& d) {
  const Evaluation t = evaluate(net, d.test);
  std::cout << "\nFinal test (the chosen recipe, the test set's one use)\n"
            << "  accuracy           " << nn::percent(t.accuracy, 2) << " of "
            << nn::thousands(d.test.size()) << " test images, loss " << nn::num(t.loss, "%.4f")
            << "\n";
}
// [end final]

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli(kChapter,
                      "Chapter 11: dropout, batch normalisation and augmentation on "
                      "Fashion-MNIST");
  Options o;
  if (std::optional<int> code = parse_flags(cli, argc, argv, o)) return *code;
  nn::make_reproducible(cli.seed());
  try {
    std::cout << "Chapter 11: regularising and normalising a real network\n"
              << "=======================================================\n\n";
    const Clock::time_point start = Clock::now();
    const Settings& s = o.training;
    const Data data = section1_the_data(o.data_dir, o.train_limit, o.final_test);
    const Comparison comparison =
        section4_compare(data, s, o.compare_limit, o.compare_epochs, o.seeds);
    print_comparison(comparison);
    Final chosen = section5_final_training(data, s, choose_recipe(comparison, o.recipe));
    const std::string model_file = o.save_path.empty() ? default_model_path() : o.save_path;
    save_and_reload(chosen.net, model_file, data);

    draw_curves(comparison, cli.out_dir());
    draw_spread(comparison, cli.out_dir());
    draw_augmented(data, s, cli.out_dir());
    draw_comparison(comparison, cli.out_dir());
    draw_final(chosen.run, cli.out_dir());
    write_comparison_table(comparison, cli.out_dir());

    const EpochStats& last = chosen.run.history.back();
    std::cout << "\nResults\n"
              << "  validation accuracy " << nn::percent(last.validation_accuracy, 2)
              << " (chosen recipe, " << nn::thousands(data.train.size())
              << " training images), loss " << nn::num(last.validation_loss, "%.4f") << "\n"
              << "  training time       " << nn::num(chosen.run.seconds, "%.1f") << " s for "
              << chosen.run.history.size() << " epochs\n"
              << "  model file          " << model_file << " ("
              << nn::thousands(fs::file_size(model_file)) << " bytes, format version "
              << nn::kModelFormatVersion << ")\n"
              << "  figures             curves, spread, augmented, comparison, final in "
              << cli.out_dir() << "\n"
              << "  total time          " << nn::num(seconds_since(start), "%.1f") << " s\n";
    if (o.final_test) final_test(chosen.net, data);
  } catch (const std::exception& e) {
    std::cerr << kChapter << ": error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
