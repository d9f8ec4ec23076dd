// Chapter 12: convolution
// ===========================================================================================
// What you learn: why a network that knows pixels have neighbours beats chapter 09's
// multilayer perceptron, and every step of it from scratch:
//   convolution as a sliding dot product, by hand, with numbers (section 2);
//   convolution as one matrix product after im2col (common/convolution.hpp), which is why
//   it is fast, and its backward pass through col2im;
//   max pooling (common/max_pool.hpp), whose gradient goes to the arg-max;
//   a small convolutional network (section 3), trained with Adam (section 4) beside
//   chapter 09's network on the same data, and compared with it (section 5).
// Every gradient of the new layers is checked by central differences in
// tests/convolution.cpp, tests/max_pool.cpp and tests/network.cpp.
//
// Run:   ./tutorial 12        or   build/release/chapters/12_convolution [--help]
//        [--epochs 10] [--learning-rate 0.002] [--batch-size 64] [--filters 16,32]
//        [--hidden 128] [--dropout 0.25] [--mlp-epochs 15] [--train-limit N] [--data DIR]
//        [--save FILE] [--seed 42] [--out DIR]
//        and once, when the settings are chosen:  ./tutorial 12 --final
//        then, with chapter 09's predictor and the model this chapter saved:
//        build/release/chapters/09_fashion_mnist --predict-image photo.jpg
//            --model build/release/output/12_convolution/model.nnm
// Needs: Debian's package dataset-fashion-mnist (as chapter 09).
// Draws (into build/release/output/12_convolution/, or --out DIR), from the training and
// validation sets only, so that --final changes no figure:
//   sliding.png       one 3x3 filter slid over one image, and the feature map it gives
//   filters.png       the first convolution layer's learned 3x3 filters
//   feature_maps.png  one image through each layer of the trained network
//   confusion.png     the validation confusion matrices of chapter 09's MLP and the CNN
//   curves.png        training and validation loss and accuracy of both networks
#include <armadillo>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/activation.hpp"
#include "common/architecture.hpp"
#include "common/atomic_write.hpp"
#include "common/batches.hpp"
#include "common/cli.hpp"
#include "common/convolution.hpp"
#include "common/dense.hpp"
#include "common/divergence.hpp"
#include "common/dropout.hpp"
#include "common/fashion_mnist_split.hpp"
#include "common/format.hpp"
#include "common/idx.hpp"
#include "common/image_shape.hpp"
#include "common/initializer.hpp"
#include "common/loss.hpp"
#include "common/max_pool.hpp"
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

const std::string kChapter = "12_convolution";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One image of a data set as a 28 x 28 matrix, image(r, c) = row r from the top, column c,
// in [0, 1] (a one-channel image's column is row after row: image_shape.hpp).
arma::mat image_of(const nn::ImageDataset& set, arma::uword i) {
  arma::mat image(28, 28);
  for (arma::uword r = 0; r < 28; ++r)
    for (arma::uword c = 0; c < 28; ++c) image(r, c) = set.images.pixels(r * 28 + c, i) / 255.0;
  return image;
}

// ---------------------------------------------------------------------------------------
// 1. The data: chapter 09's split, 55,000 to train on and 5,000 for validation
// ---------------------------------------------------------------------------------------

// The three sets (common/fashion_mnist_split.hpp): the training file's first 55,000 images
// to train on, its last 5,000 for validation, and the test file's 10,000 with --final.
using Data = nn::FashionMnistSplit;

Data section1_the_data(const std::string& dir, arma::uword train_limit, bool final_test) {
  std::cout << "1. The data: Fashion-MNIST from " << dir << "\n";
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
// 2. Convolution by hand: one filter, one image
// ---------------------------------------------------------------------------------------

// The example: a vertical-edge filter (Sobel's) on the first validation image, padding 1.
struct ByHand {
  arma::mat image;               // (28 x 28) in [0, 1]
  arma::mat filter;              // (3 x 3)
  arma::mat map;                 // (28 x 28) the feature map, from the sliding dot product
  arma::uword row = 0, col = 0;  // the output pixel worked out by hand
  double im2col_difference = 0;  // largest |sliding - im2col| over the map
};

// [listing sliding]
// The feature map of one k x k filter over one image padded by p zeros on every side:
// output pixel (i, j) is the dot product of the filter with the k x k patch under it,
//   map(i, j) = sum_{di, dj < k} filter(di, dj) image(i + di - p, j + dj - p)
// (0 outside the image). Image (H x W), map (H + 2p - k + 1 x W + 2p - k + 1).
arma::mat slide(const arma::mat& image, const arma::mat& filter, arma::uword p) {
  const arma::uword k = filter.n_rows;
  const arma::uword H = image.n_rows, W = image.n_cols;
  arma::mat map(H + 2 * p - k + 1, W + 2 * p - k + 1, arma::fill::zeros);
  for (arma::uword i = 0; i < map.n_rows; ++i)
    for (arma::uword j = 0; j < map.n_cols; ++j)
      for (arma::uword di = 0; di < k; ++di)
        for (arma::uword dj = 0; dj < k; ++dj) {
          const long r = long(i + di) - long(p), c = long(j + dj) - long(p);
          if (r >= 0 && r < long(H) && c >= 0 && c < long(W))
            map(i, j) += filter(di, dj) * image(arma::uword(r), arma::uword(c));
        }
  return map;
}
// [end sliding]

// [listing by_im2col]
// The same map as one matrix product: the filter as a row (1 x 9), the patches as columns
// (9 x 784, im2col), and the product (1 x 784) is the map, pixel after pixel.
arma::mat slide_by_im2col(const arma::mat& image, const arma::mat& filter, arma::uword p) {
  const arma::uword k = filter.n_rows;
  const nn::ImageShape shape{1, image.n_rows, image.n_cols};
  const arma::mat X = arma::vectorise(image.t());  // (784 x 1): row after row
  arma::mat cols;
  nn::im2col(X, shape, k, p, cols);                        // (9 x 784)
  const arma::rowvec w = arma::vectorise(filter.t()).t();  // (1 x 9): entry di k + dj
  const arma::rowvec Z = w * cols;                         // (1 x 784)
  const arma::uword Hout = image.n_rows + 2 * p - k + 1, Wout = image.n_cols + 2 * p - k + 1;
  return arma::reshape(Z, Wout, Hout).t();  // back to (H' x W'), row after row
}
// [end by_im2col]

ByHand section2_by_hand(const Data& d) {
  ByHand h;
  h.image = image_of(d.validation, 0);
  h.filter = {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}};  // large where the image gets brighter
                                                    // to the right
  h.map = slide(h.image, h.filter, 1);
  // The strongest response away from the border (so the whole patch is inside the image),
  // worked out below.
  const arma::mat inner = h.map.submat(1, 1, h.map.n_rows - 2, h.map.n_cols - 2);
  const arma::uword at = inner.index_max();
  h.row = 1 + at % inner.n_rows;
  h.col = 1 + at / inner.n_rows;
  h.im2col_difference = arma::abs(h.map - slide_by_im2col(h.image, h.filter, 1)).max();

  std::cout << "2. Convolution by hand: a 3x3 vertical-edge filter on validation image 0 ("
            << d.validation.class_names[d.validation.labels(0)] << "), padding 1\n"
            << "  output pixel (" << h.row << ", " << h.col << "), the strongest response:\n"
            << "    the patch (pixels in [0, 1])   the filter     the products\n";
  double sum = 0;
  for (arma::uword di = 0; di < 3; ++di) {
    std::string patch, filter, products;
    for (arma::uword dj = 0; dj < 3; ++dj) {
      const double x = h.image(h.row + di - 1, h.col + dj - 1);  // (inside the image)
      const double product = x * h.filter(di, dj) + 0.0;         // (+ 0.0: no "-0.000")
      patch += nn::num(x, "%7.3f");
      filter += nn::num(h.filter(di, dj), "%3.0f");
      products += nn::num(product, "%7.3f");
      sum += product;
    }
    std::cout << "   " << patch << "        " << filter << "     " << products << "\n";
  }
  std::cout << "  the sum of the products = " << nn::num(sum, "%.4f") << " = map(" << h.row
            << ", " << h.col << "), the feature map at that pixel\n"
            << "  the map by im2col and one matrix product: largest difference from the "
            << "sliding loops " << nn::num(h.im2col_difference, "%.0e") << "\n\n";
  return h;
}

// ---------------------------------------------------------------------------------------
// 3. The networks
// ---------------------------------------------------------------------------------------

struct Settings {
  int epochs = 10;
  double learning_rate = 0.002;
  arma::uword batch_size = 64;
  arma::uword filters1 = 16, filters2 = 32;  // the two convolution layers' filters
  arma::uword hidden = 128;                  // the Dense layer after them
  double dropout = 0.25;
  int mlp_epochs = 15;  // chapter 09's network, with chapter 09's settings
  unsigned seed = 42;
};

// [listing build_cnn]
// 28x28x1 -> conv 3x3 (F1 filters, padding 1), ReLU -> 28x28xF1 -> max pool 2 -> 14x14xF1
//         -> conv 3x3 (F2 filters, padding 1), ReLU -> 14x14xF2 -> max pool 2 -> 7x7xF2
//         -> dropout -> Dense 49 F2 -> hidden, ReLU -> dropout -> Dense hidden -> 10 (logits).
// Each layer's output_shape() is the next layer's input. The columns between layers are
// images (image_shape.hpp): the Dense layer reads pool 2's 7x7xF2 numbers as one vector.
nn::Network<float> build_cnn(const Settings& s) {
  nn::Network<float> net;
  const nn::ImageShape image{1, 28, 28};
  const nn::Convolution<float> conv1(image, s.filters1, 3, 1, nn::Activation::relu);
  const nn::MaxPool<float> pool1(conv1.output_shape(), 2);
  const nn::Convolution<float> conv2(pool1.output_shape(), s.filters2, 3, 1,
                                     nn::Activation::relu);
  const nn::MaxPool<float> pool2(conv2.output_shape(), 2);
  const arma::uword features = pool2.output_shape().size();  // 7 x 7 x F2
  net.add(conv1);
  net.add(pool1);
  net.add(conv2);
  net.add(pool2);
  if (s.dropout > 0) net.add(nn::Dropout<float>(features, s.dropout));
  net.add(nn::Dense<float>(features, s.hidden, nn::Activation::relu));
  if (s.dropout > 0) net.add(nn::Dropout<float>(s.hidden, s.dropout));
  net.add(nn::Dense<float>(s.hidden, 10, nn::Activation::identity));
  return net;
}
// [end build_cnn]

// Chapter 09's network: 784-256-128-10, ReLU, logits.
nn::Network<float> build_mlp() {
  return nn::Network<float>({784, 256, 128, 10}, nn::Activation::relu);
}

// Multiply-adds of one image's forward pass: k k C per output number of a convolution,
// n_in per output of a Dense layer (pooling and activations compare and copy).
double multiply_adds(const nn::Network<float>& net) {
  double total = 0;
  for (const nn::Layer<float>& layer : net.all_layers()) {
    if (const auto* conv = std::get_if<nn::Convolution<float>>(&layer))
      total += double(conv->n_outputs() * conv->W.n_cols);
    else if (const auto* dense = std::get_if<nn::Dense<float>>(&layer))
      total += double(dense->W.n_elem);
  }
  return total;
}

void section3_the_networks(const Settings& s, const nn::Network<float>& cnn,
                           const nn::Network<float>& mlp) {
  std::cout << "3. The networks\n"
            << "  CNN  " << nn::architecture(cnn) << " (dropout " << nn::num(s.dropout, "%.2g")
            << " before each Dense layer)\n"
            << "       " << nn::thousands(cnn.n_parameters()) << " parameters, "
            << nn::thousands(arma::uword(multiply_adds(cnn))) << " multiply-adds per image\n"
            << "  MLP  " << nn::architecture(mlp) << " (chapter 09's)\n"
            << "       " << nn::thousands(mlp.n_parameters()) << " parameters, "
            << nn::thousands(arma::uword(multiply_adds(mlp))) << " multiply-adds per image\n\n";
}

// ---------------------------------------------------------------------------------------
// 4. Training
// ---------------------------------------------------------------------------------------

struct Evaluation {
  double loss = 0, accuracy = 0;
  arma::uvec predicted;  // (N) the class with the largest output
};

// The network on every image of `set`, 500 at a time, in evaluation mode (no dropout).
Evaluation evaluate(nn::Network<float>& net, const nn::ImageDataset& set) {
  constexpr arma::uword kChunk = 500;
  nn::MiniBatches<float, unsigned char> chunks(set.images.pixels, set.labels, kChunk, 0);
  Evaluation e;
  e.predicted.set_size(set.size());
  double loss_sum = 0;
  for (arma::uword k = 0; k < chunks.count(); ++k) {
    chunks.gather(k);
    const arma::fmat& Z = net.forward(chunks.X(), nn::Mode::evaluation);  // (10 x chunk)
    loss_sum += nn::softmax_cross_entropy(Z, chunks.t()) * double(Z.n_cols);
    e.predicted.subvec(k * kChunk, k * kChunk + Z.n_cols - 1) = arma::index_max(Z, 0).t();
  }
  e.loss = loss_sum / double(set.size());
  e.accuracy = nn::accuracy(e.predicted, set.labels);
  return e;
}

struct EpochStats {
  double train_loss, train_accuracy, validation_loss, validation_accuracy;
};

// How one network is trained: chapter 09's recipe, with its own numbers.
struct Recipe {
  int epochs;
  double learning_rate;
  arma::uword batch_size;
  unsigned seed;
};

struct Trained {
  std::vector<EpochStats> history;
  double seconds = 0;
};

// [listing train]
// He's start, then Adam with cosine decay over the epochs: the five parts of chapter 09,
// for any network. Training mode throughout (new dropout masks every batch); after each
// epoch, the validation set in evaluation mode.
Trained train(nn::Network<float>& net, const Data& d, const Recipe& r, nn::Progress* progress) {
  const Clock::time_point start = Clock::now();
  std::mt19937_64 rng(r.seed);
  net.initialize(nn::Initializer::he(), rng);  // 1. initialise
  std::vector<nn::Parameter<float>> params = net.parameters();
  nn::Adam<float> optimizer(r.learning_rate);
  nn::MiniBatches<float, unsigned char> batches(d.train.images.pixels, d.train.labels,
                                                r.batch_size, r.seed);
  const double pi = 3.14159265358979323846;
  Trained run;
  arma::fmat dZ;  // (10 x m)
  for (int epoch = 1; epoch <= r.epochs; ++epoch) {
    optimizer.set_learning_rate(r.learning_rate / 2 *
                                (1 + std::cos(pi * double(epoch - 1) / double(r.epochs))));
    batches.shuffle(arma::uword(epoch));
    double loss_sum = 0;
    arma::uword right = 0;
    for (arma::uword k = 0; k < batches.count(); ++k) {
      batches.gather(k);  // X (784 x m) in [0, 1], t (m)
      const arma::uvec& t = batches.t();
      const arma::fmat& Z = net.forward(batches.X(), nn::Mode::training);  // 2. forward
      const double loss = nn::softmax_cross_entropy(Z, t, dZ);             // 3. loss, dL/dZ
      right += arma::accu(arma::index_max(Z, 0).t() == t);
      net.backward(dZ);        // 4. backpropagation, through pooling and convolution
      optimizer.step(params);  // 5. update
      loss_sum += loss * double(t.n_elem);
      if (progress) progress->batch_done(long(t.n_elem), loss);
    }
    const double train_loss = loss_sum / double(d.train.size());
    nn::stop_if_diverged(train_loss, epoch, optimizer.learning_rate(), std::log(10.0));
    const Evaluation v = evaluate(net, d.validation);
    run.history.push_back(
        {train_loss, double(right) / double(d.train.size()), v.loss, v.accuracy});
    if (progress)
      progress->epoch_done(train_loss, "train " +
                                           nn::percent(run.history.back().train_accuracy) +
                                           "  validation " + nn::percent(v.accuracy, 2));
  }
  run.seconds = seconds_since(start);
  return run;
}
// [end train]

struct Both {
  Trained cnn, mlp;
};

// [listing both]
// The CNN trains on one core with a progress bar while chapter 09's MLP trains on the
// other: two networks that share nothing but the (read-only) data, each single-threaded,
// so each gives the same bits as if it ran alone.
Both section4_training(nn::Network<float>& cnn, nn::Network<float>& mlp, const Data& d,
                       const Settings& s) {
  const Recipe cnn_recipe{s.epochs, s.learning_rate, s.batch_size, s.seed};
  const Recipe mlp_recipe{s.mlp_epochs, 0.001, 64, s.seed};  // chapter 09's defaults
  std::cout << "4. Training, Adam with cosine decay, seed " << s.seed << "\n"
            << "  CNN: learning rate " << s.learning_rate << ", batch " << s.batch_size << ", "
            << s.epochs << (s.epochs == 1 ? " epoch" : " epochs") << " (below)\n"
            << "  MLP: learning rate 0.001, batch 64, " << s.mlp_epochs
            << " epochs, as in chapter 09 (at the same time, on the second core)\n";
  std::future<Trained> mlp_run =
      std::async(std::launch::async, [&] { return train(mlp, d, mlp_recipe, nullptr); });
  Both b;
  nn::Progress progress(s.epochs, long((d.train.size() + s.batch_size - 1) / s.batch_size));
  b.cnn = train(cnn, d, cnn_recipe, &progress);
  b.mlp = mlp_run.get();  // rethrows the MLP's error, if it had one
  return b;
}
// [end both]

// ---------------------------------------------------------------------------------------
// 5. Results on the validation set
// ---------------------------------------------------------------------------------------

struct Results {
  Evaluation cnn, mlp;
  arma::umat C_cnn, C_mlp;  // (10 x 10) C(i, j): images of class i taken for class j
};

Results section5_results(nn::Network<float>& cnn, nn::Network<float>& mlp, const Both& b,
                         const Data& d) {
  Results r;
  r.cnn = evaluate(cnn, d.validation);
  r.mlp = evaluate(mlp, d.validation);
  r.C_cnn = nn::confusion_matrix(d.validation.labels, r.cnn.predicted, 10);
  r.C_mlp = nn::confusion_matrix(d.validation.labels, r.mlp.predicted, 10);
  std::cout << "\n5. Results on the " << nn::thousands(d.validation.size())
            << " validation images\n";
  std::printf("  %-5s %10s %9s %12s\n", "", "accuracy", "loss", "training");
  std::printf("  %-5s %9.2f%% %9.4f %10.1f s\n", "MLP", 100 * r.mlp.accuracy, r.mlp.loss,
              b.mlp.seconds);
  std::printf("  %-5s %9.2f%% %9.4f %10.1f s\n", "CNN", 100 * r.cnn.accuracy, r.cnn.loss,
              b.cnn.seconds);
  // The mistakes between the four upper-body classes, which the MLP confuses most.
  const std::vector<arma::uword> family = {0, 2, 4, 6};  // T-shirt, pullover, coat, shirt
  arma::uword mlp_family = 0, cnn_family = 0;
  for (const arma::uword i : family)
    for (const arma::uword j : family)
      if (i != j) {
        mlp_family += r.C_mlp(i, j);
        cnn_family += r.C_cnn(i, j);
      }
  const arma::uword mlp_wrong = d.validation.size() - arma::accu(r.C_mlp.diag());
  const arma::uword cnn_wrong = d.validation.size() - arma::accu(r.C_cnn.diag());
  std::cout << "  mistakes: MLP " << mlp_wrong << ", CNN " << cnn_wrong << "; among "
            << "T-shirt/top, pullover, coat and shirt: MLP " << mlp_family << ", CNN "
            << cnn_family << "\n";
  std::cout << "  shirts taken for T-shirts: MLP " << r.C_mlp(6, 0) << ", CNN " << r.C_cnn(6, 0)
            << "; shirts for pullovers: MLP " << r.C_mlp(6, 2) << ", CNN " << r.C_cnn(6, 2)
            << "; pullovers for coats: MLP " << r.C_mlp(2, 4) << ", CNN " << r.C_cnn(2, 4)
            << "\n";
  return r;
}

// Where the model goes without --save: this chapter's default output folder.
std::string default_model_path() { return nn::default_out_dir(kChapter) + "/model.nnm"; }

// Saves the CNN (the model file records every layer, convolution and pooling included),
// loads it back and checks that it answers the validation set identically.
void save_and_reload(nn::Network<float>& net, const std::string& path, const Data& d) {
  nn::save_model(path, net);
  nn::Network<float> loaded = nn::load_model<float>(path);
  const arma::fmat X =
      arma::conv_to<arma::fmat>::from(d.validation.images.pixels.cols(0, 499)) / 255.0f;
  const arma::fmat a = net.forward(X, nn::Mode::evaluation);
  const arma::fmat b = loaded.forward(X, nn::Mode::evaluation);
  if (!arma::approx_equal(a, b, "absdiff", 0.0f))
    throw std::runtime_error("the reloaded model answers differently");
}

// ---------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------

// A square outline around pixels (r0..r1, c0..c1) of an image panel (x = column, y = row).
void outline(nn::Plot& p, const std::string& name, double r0, double c0, double r1, double c1,
             int colour) {
  p.line(name, {c0 - 0.5, c1 + 0.5, c1 + 0.5, c0 - 0.5, c0 - 0.5},
         {r0 - 0.5, r0 - 0.5, r1 + 0.5, r1 + 0.5, r0 - 0.5},
         {.colour = colour, .width = 2.5, .in_key = false});
}

// The image panels' common settings: pixel (r, c) at x = c, y = r, row 0 at the top.
void image_axes(nn::Plot& p, double rows, double cols) {
  p.xrange(-0.5, cols - 0.5).yrange(rows - 0.5, -0.5).square().no_axes();
  p.command("set border 15 lw 0.5 lc rgb '#999999'");
}

void draw_sliding(const ByHand& h, const std::string& out) {
  nn::Figure fig("sliding", 1500, 560);
  fig.layout(1, 3,
             "Convolution as a sliding dot product: a 3x3 filter over the image "
             "(padding 1) gives one number per position");
  const arma::vec xs = arma::regspace<arma::vec>(0, 27);
  nn::Plot& image = fig.panel(0);
  image.title("the image; the patch under the filter at (" + std::to_string(h.row) + ", " +
              std::to_string(h.col) + ")");
  image.heatmap("pixels", xs, xs, h.image);
  image.command("set palette grey negative").cbrange(0, 1).command("unset colorbox");
  image_axes(image, 28, 28);
  outline(image, "patch", double(h.row) - 1, double(h.col) - 1, double(h.row) + 1,
          double(h.col) + 1, 5);

  nn::Plot& filter = fig.panel(1);
  filter.title("the filter (vertical edges: dark to bright, left to right)");
  const arma::vec three = {0, 1, 2};
  filter.heatmap("filter", three, three, h.filter, true, 0, 4);  // blue < 0 < orange
  filter.cbrange(-2.2, 2.2).command("unset colorbox");
  image_axes(filter, 3, 3);
  for (arma::uword r = 0; r < 3; ++r)
    for (arma::uword c = 0; c < 3; ++c)
      filter.label(double(c), double(r), nn::num(h.filter(r, c), "%.0f"), "center", 22);

  nn::Plot& map = fig.panel(2);
  map.title("the feature map (28x28); the output of that patch circled");
  const double top = arma::abs(h.map).max();
  map.heatmap("map", xs, xs, h.map, true, 0, 4);
  map.cbrange(-top, top).cblabel("filter response");
  image_axes(map, 28, 28);
  map.command("set colorbox");
  outline(map, "output pixel", double(h.row), double(h.col), double(h.row), double(h.col), 5);
  fig.save(out);
}

// The first convolution layer's filters, each a 3x3 tile, on one colour scale.
void draw_filters(const nn::Network<float>& net, const std::string& out) {
  const auto& conv1 = std::get<nn::Convolution<float>>(net.all_layers().front());
  const arma::uword F = conv1.n_filters(), k = conv1.kernel_size();
  const arma::uword cols = std::min<arma::uword>(F, 8), rows = (F + cols - 1) / cols;
  nn::Figure fig("filters", int(170 * cols + 140), int(190 * rows + 90));
  fig.layout(int(rows), int(cols),
             "The first layer's " + std::to_string(F) + " learned " + std::to_string(k) + "x" +
                 std::to_string(k) + " filters (orange > 0 > blue, one scale for all)");
  const double top = double(arma::abs(conv1.W).max());
  const arma::vec xs = arma::regspace<arma::vec>(0, double(k - 1));
  for (arma::uword f = 0; f < F; ++f) {
    arma::mat tile(k, k);  // tile(di, dj) = W_f(di, dj), entry di k + dj of row f
    for (arma::uword di = 0; di < k; ++di)
      for (arma::uword dj = 0; dj < k; ++dj)
        tile(di, dj) = std::round(double(conv1.W(f, di * k + dj)) * 1e4) / 1e4;
    nn::Plot& p = fig.panel(f);
    p.title("filter " + std::to_string(f + 1));
    p.heatmap("W", xs, xs, tile, true, 0, 4);
    p.cbrange(-top, top).command("unset colorbox");
    image_axes(p, double(k), double(k));
  }
  fig.save(out);
}

// One image and, below it, 8 channels of each layer's output, in the trained network.
void draw_feature_maps(nn::Network<float>& net, const nn::ImageDataset& set, arma::uword i,
                       const std::string& out) {
  const arma::fmat X = arma::conv_to<arma::fmat>::from(set.images.pixels.col(i)) / 255.0f;
  net.forward(X, nn::Mode::evaluation);
  struct Stage {
    std::string name;
    nn::ImageShape shape;
    const arma::fmat* A;
  };
  std::vector<Stage> stages;
  int conv = 0, pool = 0;
  for (const nn::Layer<float>& layer : net.all_layers()) {
    if (const auto* c = std::get_if<nn::Convolution<float>>(&layer))
      stages.push_back(
          {"conv " + std::to_string(++conv) + " + ReLU", c->output_shape(), &c->A()});
    else if (const auto* m = std::get_if<nn::MaxPool<float>>(&layer))
      stages.push_back({"pool " + std::to_string(++pool), m->output_shape(), &m->A()});
  }
  constexpr arma::uword kShown = 8;  // channels per layer
  nn::Figure fig("feature_maps", 1600, 1000);
  fig.layout(int(stages.size()) + 1, int(kShown) + 1,
             "One validation image (" + set.class_names[set.labels(i)] +
                 ") through the trained CNN: channels 1-8 of each layer (darker = larger)");
  // Column 0 names the row: a panel with one label and no axes.
  const auto row_name = [&](std::size_t row, const std::string& name,
                            const std::string& shape) {
    nn::Plot& p = fig.panel(row * (kShown + 1));
    p.xrange(0, 1).yrange(0, 1).no_axes();
    p.label(0.95, 0.6, name, "right", 13);
    p.label(0.95, 0.35, shape, "right", 11, "#555555");
  };
  row_name(0, "the input", "28x28x1");
  nn::Plot& input = fig.panel(1);
  const arma::vec xs28 = arma::regspace<arma::vec>(0, 27);
  input.heatmap("pixels", xs28, xs28, image_of(set, i));
  input.command("set palette grey negative").cbrange(0, 1).command("unset colorbox");
  image_axes(input, 28, 28);
  for (std::size_t s = 0; s < stages.size(); ++s) {
    const nn::ImageShape& shape = stages[s].shape;
    row_name(s + 1, stages[s].name, nn::to_string(shape));
    const arma::vec xs = arma::regspace<arma::vec>(0, double(shape.width - 1));
    const arma::vec ys = arma::regspace<arma::vec>(0, double(shape.height - 1));
    const double top = std::max(1e-6, double(stages[s].A->max()));
    for (arma::uword c = 0; c < kShown && c < shape.channels; ++c) {
      arma::mat map(shape.height, shape.width);  // 0..1 of the layer's largest value
      for (arma::uword r = 0; r < shape.height; ++r)
        for (arma::uword col = 0; col < shape.width; ++col)
          map(r, col) =
              std::round(double((*stages[s].A)(shape.index(r, col, c), 0)) / top * 1e3) / 1e3;
      nn::Plot& p = fig.panel((s + 1) * (kShown + 1) + 1 + c);
      p.title("channel " + std::to_string(c + 1));
      p.heatmap("A", xs, ys, map);
      p.command("set palette grey negative").cbrange(0, 1).command("unset colorbox");
      image_axes(p, double(shape.height), double(shape.width));
    }
  }
  fig.save(out);
}

// "set xtics ('T-shirt/top' 0, 'Trouser' 1, ...)" for a confusion matrix's axes.
std::string class_tics(const std::string& axis, const std::vector<std::string>& names) {
  std::string s = "set " + axis + " (";
  for (std::size_t k = 0; k < names.size(); ++k)
    s += (k ? ", '" : "'") + names[k] + "' " + std::to_string(k);
  return s + ")";
}

// The two confusion matrices side by side, and the mistakes the CNN removed.
void draw_confusion(const Results& r, const std::vector<std::string>& names,
                    const std::string& out) {
  const arma::vec ticks = arma::regspace<arma::vec>(0, 9);
  nn::Figure fig("confusion", 2250, 800);
  fig.layout(1, 3,
             "Validation confusion matrices (" + nn::thousands(arma::accu(r.C_cnn)) +
                 " images): row = true class, column = predicted");
  const arma::imat removed =
      arma::conv_to<arma::imat>::from(r.C_mlp) - arma::conv_to<arma::imat>::from(r.C_cnn);
  for (std::size_t k = 0; k < 3; ++k) {
    nn::Plot& p = fig.panel(k);
    arma::mat V;
    if (k < 2) {
      const arma::umat& C = k == 0 ? r.C_mlp : r.C_cnn;
      const std::string mistakes = std::to_string(arma::accu(C) - arma::accu(C.diag()));
      p.title((k == 0 ? "chapter 09's MLP: " : "the CNN: ") + mistakes + " mistakes");
      V = arma::conv_to<arma::mat>::from(C);
      p.heatmap("count", ticks, ticks, V);
      p.command("set logscale cb").cbrange(1, 500).cblabel("images (log scale)");
    } else {
      p.title("MLP minus CNN, mistakes only (orange: fewer with the CNN)");
      V = arma::conv_to<arma::mat>::from(removed);
      V.diag().zeros();
      p.heatmap("fewer mistakes", ticks, ticks, V, true, 0, 1);
      const double top = std::max(1.0, arma::abs(V).max());
      p.cbrange(-top, top).cblabel("fewer mistakes with the CNN");
    }
    p.xlabel("predicted class").ylabel("true class").square();
    p.xrange(-0.5, 9.5).yrange(9.5, -0.5);  // class 0 at the top
    p.command(class_tics("xtics", names) + " rotate by 35 right");
    p.command(class_tics("ytics", names));
    p.command("set tics scale 0").command("unset grid").command("unset key");
    for (arma::uword i = 0; i < 10; ++i)
      for (arma::uword j = 0; j < 10; ++j)
        if (V(i, j) != 0 && (k < 2 || i != j))
          p.label(double(j), double(i), nn::num(V(i, j), "%.0f"), "center", 9,
                  k < 2 && V(i, j) >= 100 ? "#FFFFFF" : "#000000");
  }
  fig.save(out);
}

arma::vec column(const std::vector<EpochStats>& h, double EpochStats::*field, double scale) {
  arma::vec v(h.size());
  for (std::size_t e = 0; e < h.size(); ++e) v(e) = scale * (h[e].*field);
  return v;
}

// Loss and accuracy, training (dashed) and validation (solid), both networks.
void draw_curves(const Both& b, const std::string& out) {
  nn::Figure fig("curves", 1300, 520);
  fig.layout(1, 2, "Training (dashed, during the epoch) and validation (solid, after it)");
  struct Net {
    std::string name;
    const Trained* run;
    int colour;
  };
  const std::vector<Net> nets = {{"MLP", &b.mlp, 7}, {"CNN", &b.cnn, 5}};
  const double E = double(std::max(b.cnn.history.size(), b.mlp.history.size()));
  nn::Plot& loss = fig.panel(0);
  loss.title("cross-entropy loss").xlabel("epoch").ylabel("mean loss").key("top right");
  loss.xrange(0.5, E + 0.5).yrange(0, 0.7);
  nn::Plot& acc = fig.panel(1);
  acc.title("accuracy").xlabel("epoch").ylabel("accuracy (%)").key("bottom right");
  acc.xrange(0.5, E + 0.5).yrange(80, 100);
  for (const Net& n : nets) {
    const std::vector<EpochStats>& h = n.run->history;
    const arma::vec x = arma::regspace<arma::vec>(1, double(h.size()));
    loss.line(n.name + ", training", x, column(h, &EpochStats::train_loss, 1),
              {.colour = n.colour, .dashed = true});
    loss.line(n.name + ", validation", x, column(h, &EpochStats::validation_loss, 1),
              {.colour = n.colour});
    acc.line(n.name + ", training", x, column(h, &EpochStats::train_accuracy, 100),
             {.colour = n.colour, .dashed = true});
    acc.line(n.name + ", validation", x, column(h, &EpochStats::validation_accuracy, 100),
             {.colour = n.colour});
  }
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------------------

// "16,32" -> {16, 32}; nothing unless exactly two whole numbers from 1 to 256.
std::optional<std::pair<arma::uword, arma::uword>> parse_filters(const std::string& text) {
  const std::size_t comma = text.find(',');
  if (comma == std::string::npos) return std::nullopt;
  const std::string a = text.substr(0, comma), b = text.substr(comma + 1);
  for (const std::string& field : {a, b})
    if (field.empty() || field.size() > 3 ||
        field.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
  const arma::uword f1 = std::stoul(a), f2 = std::stoul(b);
  if (f1 < 1 || f1 > 256 || f2 < 1 || f2 > 256) return std::nullopt;
  return std::make_pair(f1, f2);
}

struct Options {
  Settings training;
  std::string data_dir = nn::kFashionMnistDir;
  arma::uword train_limit = 55000;
  std::string save_path;
  bool final_test = false;
};

std::optional<int> parse_flags(nn::CommandLine& cli, int argc, char** argv, Options& o) {
  Settings& s = o.training;
  std::string filters = "16,32";
  CLI::App& app = cli.app();
  app.add_option("--data", o.data_dir, "Folder with the Fashion-MNIST IDX files")
      ->capture_default_str();
  app.add_option("--epochs", s.epochs, "Epochs of the CNN's training")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--learning-rate", s.learning_rate,
                 "The CNN's Adam learning rate (cosine decay)")
      ->check(nn::FinitePositive)
      ->capture_default_str();
  app.add_option("--batch-size", s.batch_size, "The CNN's images per mini-batch")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--filters", filters, "Filters of the two convolution layers, each 1-256")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return parse_filters(text) ? ""
                                       : "must be two numbers from 1 to 256 separated by a "
                                         "comma (e.g. 16,32), not '" +
                                             text + "'";
          },
          "F1,F2"))
      ->capture_default_str();
  app.add_option("--hidden", s.hidden, "Units of the Dense layer after the convolutions")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--dropout", s.dropout, "Drop probability before each Dense layer (0: none)")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str();
  app.add_option("--mlp-epochs", s.mlp_epochs, "Epochs of chapter 09's MLP, the comparison")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--train-limit", o.train_limit,
                 "Train on the first N of the 55,000 training images")
      ->check(CLI::Range(100, 55000))
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
  std::tie(s.filters1, s.filters2) = *parse_filters(filters);
  return std::nullopt;
}

// [listing final]
// --final: both networks on the 10,000 test images, once, after everything else.
void final_test(nn::Network<float>& cnn, nn::Network<float>& mlp, const Data& d) {
  const Evaluation c = evaluate(cnn, d.test);
  const Evaluation m = evaluate(mlp, d.test);
  std::cout << "\nFinal test (the test set's one use), " << nn::thousands(d.test.size())
            << " images\n"
            << "  MLP accuracy " << nn::percent(m.accuracy, 2) << ", loss "
            << nn::num(m.loss, "%.4f") << "\n"
            << "  CNN accuracy " << nn::percent(c.accuracy, 2) << ", loss "
            << nn::num(c.loss, "%.4f") << "\n";
}
// [end final]

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli(kChapter, "Chapter 12: a convolutional network on Fashion-MNIST");
  Options o;
  if (std::optional<int> code = parse_flags(cli, argc, argv, o)) return *code;
  nn::make_reproducible(cli.seed());
  try {
    std::cout << "Chapter 12: convolution\n"
              << "=======================\n\n";
    const Clock::time_point start = Clock::now();
    const Settings& s = o.training;
    const Data data = section1_the_data(o.data_dir, o.train_limit, o.final_test);
    const ByHand by_hand = section2_by_hand(data);
    nn::Network<float> cnn = build_cnn(s), mlp = build_mlp();
    section3_the_networks(s, cnn, mlp);
    const Both runs = section4_training(cnn, mlp, data, s);
    const Results results = section5_results(cnn, mlp, runs, data);
    const std::string model_file = o.save_path.empty() ? default_model_path() : o.save_path;
    save_and_reload(cnn, model_file, data);

    draw_sliding(by_hand, cli.out_dir());
    draw_filters(cnn, cli.out_dir());
    draw_feature_maps(cnn, data.validation, 0, cli.out_dir());
    draw_confusion(results, data.validation.class_names, cli.out_dir());
    draw_curves(runs, cli.out_dir());

    std::cout << "  model file  " << model_file << " ("
              << nn::thousands(fs::file_size(model_file)) << " bytes, format version "
              << nn::kModelFormatVersion << ")\n"
              << "  figures     sliding, filters, feature_maps, confusion, curves in "
              << cli.out_dir() << "\n"
              << "  total time  " << nn::num(seconds_since(start), "%.1f") << " s\n";
    if (o.final_test) final_test(cnn, mlp, data);
  } catch (const std::exception& e) {
    std::cerr << kChapter << ": error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
