// Chapter checks for chapters/09_fashion_mnist: with the default settings it reaches the
// accuracy its text states and draws the committed figures; without --final it neither
// reads nor reports the test set, and --final changes no figure; a short run saves a model
// whose predictions (by validation image index, and from PGM and PNG photos prepared like
// the data set's) are the ones this test computes itself; missing or damaged data, models
// and images stop it with one clear line; bad flags and a diverging learning rate are
// refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "common/idx.hpp"
#include "common/loss.hpp"
#include "common/model_file.hpp"
#include "common/network.hpp"
#include "common/photo.hpp"
#include "common/prepare.hpp"
#include "support/chapter_run.hpp"

using namespace nn::test;
namespace fs = std::filesystem;
using Catch::Contains;

namespace {

const std::string kChapter = "09_fashion_mnist";

// The full run (60,000 images, 15 epochs) takes about 16 s in a Release build. Under the
// Debug + AddressSanitizer build of `cmake --preset asan` the 10-epoch run took 63 s (a busy
// 2-core machine; the matrix products run in OpenBLAS, which is not instrumented), so about
// 95 s now: short enough to run it under the sanitizers too, so nothing is skipped there.

// The chapter's promise: at least 89% of the test images right with the default settings.
constexpr double kRequiredAccuracy = 0.89;
// The range the chapter text states for the default seed's test accuracy (--final): the
// lowest and highest of the four OpenBLAS kernels (Nehalem, Sandybridge, Haswell, SkylakeX),
// as the program prints them (two decimals). Another kernel sums the products in another
// order, and 12,900 float updates grow that into a few dozen test images either way.
constexpr double kTextAccuracyLow = 89.79, kTextAccuracyHigh = 89.82;
// The same for the validation accuracy (the results block, and the last epoch).
constexpr double kTextValidationLow = 89.64, kTextValidationHigh = 89.90;
// On the validation set Shirt is the worst class and Bag the best on all four kernels; the
// text's ranges over them (one decimal, as printed).
constexpr double kShirtRecallLow = 69.4, kShirtRecallHigh = 70.7;
constexpr double kBagRecallLow = 98.4, kBagRecallHigh = 99.0;
// The validation images the text discusses as mistakes, each wrong on all four kernels with
// the default seed (so in every such run's misclassified.png), with the same answer. Their
// numbers are positions in the validation set, the training file's last 5,000 images.
struct Mistake {
  arma::uword index;
  int answer;        // the class the text says the network gives
  double low, high;  // the range the text gives for that answer's probability (as printed,
                     // rounded: "83% to 95%" is 0.825 to 0.955)
};
const std::vector<Mistake> kTextMistakes = {
    {3, 2, 0.785, 0.885},   // Shirt called Pullover, 79% to 88%
    {10, 4, 0.935, 0.975},  // Shirt called Coat, 94% to 97%
    {13, 7, 0.915, 0.955},  // Ankle boot called Sneaker, 92% to 95%
    {17, 6, 0.825, 0.955},  // T-shirt/top called Shirt, 83% to 95%
    {23, 8, 0.9965, 1},     // Shirt called Bag, "at 99.7% or more"
    {36, 6, 0.465, 0.555},  // Coat called Shirt, 47% to 55%
    {37, 8, 0.845, 1},      // Sandal called Bag, 85% to 100%
    {71, 7, 0.945, 0.985},  // Ankle boot called Sneaker, 95% to 98%
};
constexpr arma::uword kFirstValidationImage = 55000;  // in the training file

// The quick run: one epoch on 2,000 images (a second in Release, seconds under ASan).
const std::string kShortRun = "--epochs 1 --train-limit 2000";
const std::string kNoGnuplot = "NN_GNUPLOT=/nonexistent/gnuplot";

std::string quoted(const std::string& path) { return "'" + path + "'"; }

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// What `--predict-*` prints for one image, computed here with the library: the three
// most likely classes and their probabilities.
std::string expected_top3(nn::Network<float>& net, const arma::Col<unsigned char>& pixels) {
  nn::Images one;
  one.rows = one.cols = 28;
  one.pixels = arma::Mat<unsigned char>(pixels);
  arma::fmat X;
  nn::gather_batch(one, arma::uvec{0}, X);
  const arma::fmat P = nn::softmax(net.forward(X));
  const arma::uvec ranked = arma::sort_index(P.col(0), "descend");
  const std::vector<std::string> names = nn::fashion_mnist_class_names();
  std::string out = "Top 3:\n";
  for (arma::uword k = 0; k < 3; ++k) {
    char line[96];
    std::snprintf(line, sizeof line, "  %llu. %-12s %6.2f%%\n", (unsigned long long)(k + 1),
                  names.at(ranked(k)).c_str(), 100.0 * double(P(ranked(k), 0)));
    out += line;
  }
  return out;
}

// The same for an image prepared like the data set's.
std::string expected_top3(nn::Network<float>& net, const nn::GreyImage& image) {
  return expected_top3(net, arma::Col<unsigned char>(std::vector<unsigned char>(image.pixels)));
}

// Validation image i (0-4999): image 55,000 + i of the training file, as a column.
arma::Col<unsigned char> validation_image(const nn::ImageDataset& file, arma::uword i) {
  return file.images.pixels.col(55000 + i);
}

// A binary (P5) or plain (P2) PGM of one 28 x 28 image, with a comment in the header.
std::string pgm(const arma::Col<unsigned char>& pixels, bool binary) {
  std::string s = binary ? "P5\n# written by the chapter 09 test\n28 28\n255\n"
                         : "P2\n# written by the chapter 09 test\n28 28\n255\n";
  for (arma::uword p = 0; p < pixels.n_elem; ++p) {
    if (binary)
      s += static_cast<char>(pixels(p));
    else
      s += std::to_string(pixels(p)) + (p % 28 == 27 ? "\n" : " ");
  }
  return s;
}

std::string write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
  return path;
}

// A small untrained Fashion-MNIST-shaped model (784-16-10), saved by this test: enough
// for the checks of prediction and its errors, without training anything.
std::string small_model(const std::string& dir) {
  nn::Network<float> net({784, 16, 10}, nn::Activation::relu);
  std::mt19937_64 rng(9);
  net.initialize(nn::Initializer::he(), rng);
  const std::string path = dir + "/small.nnm";
  nn::save_model(path, net);
  return path;
}

// A run that failed with exit code `code` and printed one error line, last.
void require_one_error_line(const RunResult& run, int code, const std::string& phrase) {
  INFO(run.output);
  CHECK(run.exit_code == code);
  const std::string marker = kChapter + ": error: ";
  std::size_t errors = 0;
  for (std::size_t p = run.output.find(marker); p != std::string::npos;
       p = run.output.find(marker, p + 1))
    ++errors;
  CHECK(errors == 1);
  const std::size_t last_line = run.output.rfind('\n', run.output.size() - 2);
  const std::string last =
      run.output.substr(last_line == std::string::npos ? 0 : last_line + 1);
  CHECK_THAT(last, Catch::StartsWith(marker));
  CHECK_THAT(last, Contains(phrase));
}

// ---------------------------------------------------------------------------------------
// The committed figures against a fresh run. The same binary on the same machine draws them
// bit for bit, but training is chaotic: another OpenBLAS kernel sums the 784-long products
// in another order, and 12,900 updates grow that last-bit difference into other weights,
// other curves and other mistakes. So each figure is compared by what the text says about
// it, with tolerances measured across the four kernels (Nehalem, Sandybridge, Haswell,
// SkylakeX): for each of the seeds 42 and 1-5, every pair of kernels (36 pairs), and each
// tolerance about 1.5 times the largest difference seen. A real change (a broken loop, a
// lost epoch, a missing figure) moves far more.

// curves.csv: every point of the loss curves within kLossTolerance of the reference, every
// point of the accuracy curves within kAccuracyPoints percentage points.
// Measured: at most 0.030 (loss) and 1.0 point (accuracy) between two kernels.
constexpr double kLossTolerance = 0.05;
constexpr double kAccuracyPoints = 1.5;
// confusion.csv: each cell of the validation set's matrix within kConfusionImages images of
// the reference. Measured (the default seed's four kernels, six pairs): at most 7 images
// apart, on or off the diagonal, where a network that learned half as much loses hundreds
// from the diagonal. About twice that, as only four runs were measured.
constexpr double kConfusionImages = 15;
// misclassified.csv: the first 24 validation mistakes, in order. At least kSharedMistakes of
// the 24 images drawn are also in the reference figure. Measured: 19 to 23 in common between
// two kernels.
constexpr int kSharedMistakes = 16;
// weights.csv: the 12 units that pass the most on, their weights (panel 1) and responses
// (panel 2). Which units those are changes with the kernel, so the tiles are not compared
// pixel by pixel; what the text says about them is: the same layout, and values of the
// same size. Root mean squares, relative to the reference's:
// - the weights (the He start, 0.05, grown by training) within kWeightsRms. Measured:
//   0.0967 to 0.0986 over the four kernels, at most 2.0% apart;
// - the responses within kResponseRms. Measured: 0.0966 to 0.1140, at most 18% apart.
constexpr double kWeightsRms = 0.05;
constexpr double kResponseRms = 0.3;
// overconfident.csv: the inputs' pixels are the same on every kernel (no BLAS computes
// them) and compared exactly. The scatter panel's points: each input's distance from the
// garment subspace (a PCA of the training images) within kDistanceTolerance, measured at
// most 7e-7 apart between two kernels; the network's confidence for inputs 1 to 5 (the
// ordinary image and the four the check flags) within kOddConfidencePoints percentage
// points, measured: all black 97.3% to 99.2%, the others 99.98% to 100%. Inputs 6 and 7
// (a shirt at half size in a corner, the upper half of a trouser) are not compared: the
// network is unsure about them and its answer moves with the kernel (51.5% to 82.6%, and
// T-shirt/top or Dress), which is the figure's point.
constexpr double kDistanceTolerance = 1e-4;
constexpr double kOddConfidencePoints = 3;

// The 784 pixels of each panel of misclassified.csv, in the test file's order (row by row:
// pixel y * 28 + x), so a panel can be compared with a test image.
std::vector<std::vector<double>> panels(const std::vector<CsvRow>& rows) {
  std::vector<std::vector<double>> out;
  std::string current;
  for (const CsvRow& r : rows) {
    if (out.empty() || r.panel != current) out.emplace_back(784, -1.0), current = r.panel;
    REQUIRE(r.x >= 0);
    REQUIRE(r.y >= 0);
    REQUIRE(r.x < 28);
    REQUIRE(r.y < 28);
    out.back()[std::size_t(r.y) * 28 + std::size_t(r.x)] = r.value;
  }
  return out;
}

void require_close_to_reference(const std::string& fresh) {
  const fs::path reference = fs::path(NN_SOURCE_DIR) / "plots" / kChapter;
  // Both files, checked to have the same rows: the same panels, series and x (and, but for
  // the curves' y, which is their value, the same y).
  auto both = [&](const std::string& name) {
    CAPTURE(name);
    REQUIRE(fs::exists(reference / name));
    REQUIRE(fs::exists(fs::path(fresh) / name));
    std::pair<std::vector<CsvRow>, std::vector<CsvRow>> p = {
        read_figure_csv((reference / name).string()), read_figure_csv(fresh + "/" + name)};
    REQUIRE(p.first.size() == p.second.size());
    for (std::size_t i = 0; i < p.first.size(); ++i) {
      CAPTURE(i);
      REQUIRE(p.first[i].panel == p.second[i].panel);
      REQUIRE(p.first[i].series == p.second[i].series);
      if (p.first[i].panel == "8" && name == "overconfident.csv") continue;  // (below)
      REQUIRE(p.first[i].x == p.second[i].x);
      if (name != "curves.csv") REQUIRE(p.first[i].y == p.second[i].y);
    }
    return p;
  };
  {  // curves
    const auto [expected, actual] = both("curves.csv");
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CAPTURE(i, expected[i].series, expected[i].x);
      const double tolerance = expected[i].panel == "1" ? kLossTolerance : kAccuracyPoints;
      CHECK(std::abs(actual[i].y - expected[i].y) <= tolerance);
    }
  }
  {  // confusion matrix
    const auto [expected, actual] = both("confusion.csv");
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CAPTURE(expected[i].x, expected[i].y);
      CHECK(std::abs(actual[i].value - expected[i].value) <= kConfusionImages);
    }
  }
  {  // misclassified images
    const auto [expected, actual] = both("misclassified.csv");
    const auto reference_panels = panels(expected), fresh_panels = panels(actual);
    REQUIRE(fresh_panels.size() == 24);
    int shared = 0;
    for (const auto& p : fresh_panels)
      shared += std::count(reference_panels.begin(), reference_panels.end(), p) > 0;
    CHECK(shared >= kSharedMistakes);
  }
  {  // first-layer weights and responses
    const auto [expected, actual] = both("weights.csv");
    auto rms = [](const std::vector<CsvRow>& rows, const std::string& series) {
      double sum = 0;
      std::size_t drawn = 0;
      for (const CsvRow& r : series_rows(rows, series))
        if (!std::isnan(r.value)) sum += r.value * r.value, ++drawn;
      REQUIRE(drawn == 12 * 784);  // 12 tiles of 28 x 28 values; strips and gaps are NaN
      return std::sqrt(sum / double(drawn));
    };
    for (std::size_t i = 0; i < expected.size(); ++i)
      REQUIRE(std::isnan(actual[i].value) == std::isnan(expected[i].value));
    CHECK(rms(actual, "W1") == Approx(rms(expected, "W1")).epsilon(kWeightsRms));
    CHECK(rms(actual, "response") == Approx(rms(expected, "response")).epsilon(kResponseRms));
  }
  {  // confidence is not correctness
    const auto [expected, actual] = both("overconfident.csv");
    int point = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CAPTURE(expected[i].panel, expected[i].series, expected[i].x, expected[i].y);
      if (expected[i].series == "pixels") {
        CHECK(actual[i].value == expected[i].value);
      } else if (expected[i].series == "inputs") {
        ++point;
        CHECK(std::abs(actual[i].x - expected[i].x) <= kDistanceTolerance);
        if (point <= 5) CHECK(std::abs(actual[i].y - expected[i].y) <= kOddConfidencePoints);
      }
    }
    CHECK(point == 7);
  }
  // And every figure the run wrote is committed.
  for (const auto& entry : fs::directory_iterator(fresh))
    if (entry.path().extension() == ".csv" || entry.path().extension() == ".png") {
      CAPTURE(entry.path().filename().string());
      CHECK(fs::exists(reference / entry.path().filename()));
    }
}

bool has_figures(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".png" || entry.path().extension() == ".csv") return true;
  return false;
}

}  // namespace

TEST_CASE(
    "chapter 09 with --final reaches 89% test accuracy with its defaults, after drawing the "
    "committed figures from the validation set",
    "[chapter][09_fashion_mnist]") {
  // One full run serves both: --final only adds the test set's block at the end (the short
  // runs below check that it changes no figure).
  const std::string out = fresh_dir("09_fashion_mnist");
  const std::string model = out + "/model.nnm";
  const RunResult run = run_chapter(kChapter, out, "--final --save " + quoted(model));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  // The validation results come first, then the test block, once, last.
  const std::size_t results = run.output.find("\nResults on the validation set");
  const std::size_t final_block =
      run.output.find("\nFinal test (the chosen settings, the test set's one use)\n");
  REQUIRE(results != std::string::npos);
  REQUIRE(final_block != std::string::npos);
  CHECK(results < final_block);
  CHECK(run.output.find("Final test", final_block + 2) == std::string::npos);
  const std::string validation_part = run.output.substr(results, final_block - results);
  const std::string test_part = run.output.substr(final_block);
  CHECK(validation_part.find("test images") == std::string::npos);

  std::smatch m;
  REQUIRE(std::regex_search(
      test_part, m, std::regex("accuracy +([0-9.]+)% \\(([0-9,]+) of 10,000 test images\\)")));
  const double accuracy = std::stod(m[1].str()) / 100.0;
  CHECK(accuracy >= kRequiredAccuracy);
  CHECK(std::stod(m[1].str()) >= kTextAccuracyLow);
  CHECK(std::stod(m[1].str()) <= kTextAccuracyHigh);
  CHECK_THAT(test_part, Contains("recall per class   T-shirt/top "));

  REQUIRE(std::regex_search(
      validation_part, m,
      std::regex("accuracy +([0-9.]+)% \\(([0-9,]+) of 5,000 validation images\\)")));
  const double validation_accuracy = std::stod(m[1].str()) / 100.0;
  CHECK(std::stod(m[1].str()) >= kTextValidationLow);
  CHECK(std::stod(m[1].str()) <= kTextValidationHigh);
  REQUIRE(std::regex_search(validation_part, m,
                            std::regex("best / worst class Bag ([0-9.]+)%, Shirt ([0-9.]+)%")));
  CHECK(std::stod(m[1].str()) >= kBagRecallLow);
  CHECK(std::stod(m[1].str()) <= kBagRecallHigh);
  CHECK(std::stod(m[2].str()) >= kShirtRecallLow);
  CHECK(std::stod(m[2].str()) <= kShirtRecallHigh);
  CHECK_THAT(run.output, Contains("235,146 float32 parameters"));

  // Not a terminal: one line per epoch and no control characters.
  CHECK(run.output.find('\r') == std::string::npos);
  CHECK_THAT(run.output, Contains("\nepoch  1/15  loss "));
  CHECK_THAT(run.output, Contains("\nepoch 15/15  loss "));

  // The confusion matrix holds every validation image once; its diagonal is the printed
  // count.
  const auto cells = series_rows(read_figure_csv(out + "/confusion.csv"), "count");
  REQUIRE(cells.size() == 100);
  double total = 0, right = 0;
  for (const CsvRow& c : cells) {
    total += c.value;
    if (c.x == c.y) right += c.value;
  }
  CHECK(total == 5000);
  CHECK(right == Approx(validation_accuracy * 5000).margin(0.5));
  // The curves end at the same validation accuracy, and show no test point.
  const std::vector<CsvRow> curves = read_figure_csv(out + "/curves.csv");
  const auto validation_curve = series_rows(curves, "validation");
  REQUIRE(validation_curve.size() == 15);
  CHECK(validation_curve.back().y == Approx(100 * validation_accuracy).margin(0.005));
  for (const CsvRow& r : curves) CHECK_THAT(r.series, !Contains("test"));

  // The model file: 120 header bytes, 235,146 float32 parameters, the checksum.
  CHECK(fs::file_size(model) == 120 + 235146 * 4 + 4);
  CHECK_THAT(run.output, Contains("loaded back, it gives bit-identical outputs"));

  // The mistakes the text discusses are drawn (each is one of the 24 panels), and the saved
  // network answers them as the text says.
  const nn::ImageDataset file = nn::load_fashion_mnist(nn::kFashionMnistDir, nn::Split::train);
  const auto drawn = panels(read_figure_csv(out + "/misclassified.csv"));
  nn::Network<float> net = nn::load_model<float>(model);
  for (const Mistake& mistake : kTextMistakes) {
    CAPTURE(mistake.index);
    const arma::uword in_file = kFirstValidationImage + mistake.index;
    const arma::Col<unsigned char> image = file.images.pixels.col(in_file);
    const arma::vec pixels = arma::conv_to<arma::vec>::from(image);
    CHECK(std::count(drawn.begin(), drawn.end(),
                     arma::conv_to<std::vector<double>>::from(pixels)) == 1);
    arma::fmat X;
    nn::Images one;
    one.rows = one.cols = 28;
    one.pixels = arma::Mat<unsigned char>(image);
    nn::gather_batch(one, arma::uvec{0}, X);
    const arma::fvec P = nn::softmax(net.forward(X)).col(0);
    const arma::uword answer = P.index_max();
    CHECK(answer != file.labels(in_file));
    CHECK(answer == arma::uword(mistake.answer));
    CHECK(P(answer) >= mistake.low);
    CHECK(P(answer) <= mistake.high);
  }

  // Section 6: the network is sure of itself on inputs unlike any garment, and the
  // familiarity check flags them (the text's ranges, over the four kernels).
  auto odd_line = [&](const std::string& name) {
    std::smatch line;
    REQUIRE(
        std::regex_search(run.output, line,
                          std::regex("\n  " + name +
                                     " +([A-Za-z/ -]+?) +([0-9.]+)%   distance ([0-9.]+)  ink "
                                     "([0-9.]+)  (UNLIKE TRAINING|like training)\n")));
    return std::vector<std::string>(line.begin() + 1, line.end());
  };
  const std::vector<std::string> black = odd_line("all black");
  CHECK(black[0] == "Sandal");
  CHECK(std::stod(black[1]) >= 97.0);
  CHECK(std::stod(black[1]) <= 99.5);
  CHECK(black[4] == "UNLIKE TRAINING");
  for (const std::string name : {"all white", "uniform noise", "image 1, dark on white"}) {
    CAPTURE(name);
    const std::vector<std::string> odd = odd_line(name);
    CHECK(odd[0] == "Bag");
    CHECK(std::stod(odd[1]) >= 99.9);
    CHECK(odd[4] == "UNLIKE TRAINING");
  }
  CHECK(odd_line("validation image 22 \\(Trouser\\)")[4] == "like training");
  CHECK_THAT(run.output, Contains("distance limit 0.208, the 99.5th percentile"));

  require_close_to_reference(out);
}

TEST_CASE(
    "chapter 09 without --final reads no test file and reports no test number, and --final "
    "changes no figure",
    "[chapter][09_fashion_mnist]") {
  // A data folder with only the two training files.
  const std::string data = fresh_dir("09_fashion_mnist_train_only");
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"})
    fs::copy_file(std::string(nn::kFashionMnistDir) + "/" + name, data + "/" + name);
  const std::string out = fresh_dir("09_fashion_mnist_no_test");
  const RunResult run = run_chapter(
      kChapter, out,
      kShortRun + " --data " + quoted(data) + " --save " + quoted(out + "/m.nnm"), kNoGnuplot);
  {
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.output, Contains("test file      not read"));
    CHECK_THAT(run.output, Contains("of 5,000 validation images"));
    CHECK(run.output.find("Final test") == std::string::npos);
    CHECK(run.output.find("test images") == std::string::npos);
  }
  SECTION("with --final, the missing test file stops the run before training") {
    const std::string out2 = fresh_dir("09_fashion_mnist_no_test_final");
    const RunResult final_run = run_chapter(
        kChapter, out2,
        kShortRun + " --final --data " + quoted(data) + " --save " + quoted(out2 + "/m.nnm"),
        kNoGnuplot);
    require_one_error_line(final_run, 1,
                           "no t10k-images-idx3-ubyte.gz or t10k-images-idx3-ubyte in " + data);
    CHECK(final_run.output.find("epoch 1/1") == std::string::npos);
    CHECK_FALSE(has_figures(out2));
  }
  SECTION(
      "with --final and the test files, the same figures, bit for bit, and the test block") {
    const std::string out2 = fresh_dir("09_fashion_mnist_final_short");
    const RunResult final_run = run_chapter(
        kChapter, out2, kShortRun + " --final --save " + quoted(out2 + "/m.nnm"), kNoGnuplot);
    INFO(final_run.output);
    REQUIRE(final_run.exit_code == 0);
    CHECK_THAT(
        final_run.output,
        Contains("\nFinal test (the chosen settings, the test set's one use)\n  accuracy "));
    CHECK_THAT(final_run.output, Contains(" of 10,000 test images), loss "));
    for (const char* name :
         {"curves.csv", "confusion.csv", "misclassified.csv", "weights.csv"}) {
      CAPTURE(name);
      std::ifstream a(out + "/" + name), b(out2 + "/" + name);
      const std::string without((std::istreambuf_iterator<char>(a)),
                                std::istreambuf_iterator<char>());
      const std::string with((std::istreambuf_iterator<char>(b)),
                             std::istreambuf_iterator<char>());
      CHECK(!without.empty());
      CHECK(with == without);
    }
  }
}

TEST_CASE("chapter 09 trains briefly, saves a model, and predicts what the library computes",
          "[chapter][09_fashion_mnist]") {
  const std::string out = fresh_dir("09_fashion_mnist_short");
  const std::string model = out + "/model.nnm";
  const RunResult run =
      run_chapter(kChapter, out, kShortRun + " --save " + quoted(model), kNoGnuplot);
  {
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.output, Contains("2,000 to train on, 5,000 for validation"));
    CHECK_THAT(run.output, Contains("\nepoch 1/1  loss "));
    CHECK(fs::exists(out + "/confusion.csv"));
    CHECK(fs::exists(model));
  }
  nn::Network<float> net = nn::load_model<float>(model);
  const nn::ImageDataset file = nn::load_fashion_mnist(nn::kFashionMnistDir, nn::Split::train);
  const std::vector<std::string> names = nn::fashion_mnist_class_names();

  SECTION("by validation image index, never a test image") {
    for (arma::uword index : {arma::uword{0}, arma::uword{42}, arma::uword{4999}}) {
      CAPTURE(index);
      const RunResult p =
          run_chapter(kChapter, out,
                      "--predict-index " + std::to_string(index) + " --model " + quoted(model));
      INFO(p.output);
      REQUIRE(p.exit_code == 0);
      CHECK_THAT(p.output, Contains("Image: validation image " + std::to_string(index) +
                                    ", labelled " + names[file.labels(55000 + index)]));
      CHECK_THAT(p.output, Contains(expected_top3(net, validation_image(file, index))));
      CHECK_THAT(p.output, Contains("Like the training images? distance from the garment "
                                    "subspace "));
    }
  }
  SECTION("from PGM files written from validation images, binary and plain") {
    for (bool binary : {true, false}) {
      const arma::uword index = binary ? 42 : 7;
      const arma::Col<unsigned char> pixels = validation_image(file, index);
      const std::string path = write_file(out + (binary ? "/image42_p5.pgm" : "/image7_p2.pgm"),
                                          pgm(pixels, binary));
      const RunResult p = run_chapter(
          kChapter, out, "--predict-image " + quoted(path) + " --model " + quoted(model));
      INFO(p.output);
      REQUIRE(p.exit_code == 0);
      CHECK_THAT(p.output, Contains("Image: " + path + ", 28 x 28 pixels, background "));
      // What the program classifies is the library's preparation of the same image.
      CHECK_THAT(p.output,
                 Contains(expected_top3(
                     net, nn::prepare_like_fashion_mnist(nn::load_photo(path)).image)));
    }
  }
  SECTION("from a PNG photo: dark on white, larger, off centre, and --show-input writes it") {
    // Validation image 42 drawn dark on white paper, twice the size, in a 90 x 70 page.
    const arma::Col<unsigned char> pixels = validation_image(file, 42);
    std::vector<unsigned char> page(90 * 70, 255);
    for (std::size_t r = 0; r < 56; ++r)
      for (std::size_t c = 0; c < 56; ++c)
        page[(r + 5) * 90 + c + 30] =
            static_cast<unsigned char>(255 - pixels((r / 2) * 28 + c / 2));
    nn::GreyImage photo;
    photo.rows = 70, photo.cols = 90, photo.pixels = page;
    const std::string path = write_file(out + "/photo.png", nn::png_bytes(photo));
    const std::string shown = out + "/shown.png";
    const RunResult p = run_chapter(kChapter, out,
                                    "--predict-image " + quoted(path) + " --show-input " +
                                        quoted(shown) + " --model " + quoted(model));
    INFO(p.output);
    REQUIRE(p.exit_code == 0);
    CHECK_THAT(p.output, Contains("Image: " + path +
                                  ", 90 x 70 pixels, background 255 (light: "
                                  "inverted)"));
    const nn::GreyImage prepared = nn::prepare_like_fashion_mnist(photo).image;
    CHECK_THAT(p.output, Contains(expected_top3(net, prepared)));
    CHECK(nn::load_photo(shown).pixels == prepared.pixels);
    CHECK_THAT(p.output, Contains("The 28 x 28 input, as classified: " + shown));
    CHECK_THAT(p.output, !Contains("Warning: this image is unlike"));
  }
  SECTION("a blank page is classified, with the warning") {
    // White paper: light, so inverted, and then black with no ink at all. (Noise is not
    // used here: preparing it averages it into a smooth blob that the check can pass;
    // tests/out_of_distribution.cpp flags noise given to the network as it is.)
    nn::GreyImage white;
    white.rows = 40, white.cols = 30, white.pixels.assign(1200, 255);
    const std::string path = write_file(out + "/white.png", nn::png_bytes(white));
    const RunResult p = run_chapter(
        kChapter, out, "--predict-image " + quoted(path) + " --model " + quoted(model));
    INFO(p.output);
    REQUIRE(p.exit_code == 0);
    CHECK_THAT(p.output, Contains("Top 3:"));
    CHECK_THAT(p.output, Contains("ink 0.000 (at least 0.010)"));
    CHECK_THAT(p.output, Contains("Warning: this image is unlike the images the network was "
                                  "trained on (almost no ink)"));
    CHECK_THAT(p.output, Contains("not the probability of being right"));
  }
  SECTION("without the data set, a photo is classified without the check") {
    const std::string empty = fresh_dir("09_fashion_mnist_short_no_data");
    const std::string path =
        write_file(out + "/image3.pgm", pgm(validation_image(file, 3), true));
    const RunResult p = run_chapter(kChapter, out,
                                    "--predict-image " + quoted(path) + " --data " +
                                        quoted(empty) + " --model " + quoted(model));
    INFO(p.output);
    REQUIRE(p.exit_code == 0);
    CHECK_THAT(p.output, Contains("(No familiarity check: it needs the training images"));
    CHECK_THAT(p.output, Contains("Top 3:"));
  }
}

TEST_CASE("chapter 09 stops with one line when the data is missing or damaged",
          "[chapter][09_fashion_mnist]") {
  const std::string out = fresh_dir("09_fashion_mnist_no_data_out");
  SECTION("an empty folder") {
    const std::string data = fresh_dir("09_fashion_mnist_no_data");
    const RunResult run =
        run_chapter(kChapter, out, "--data " + quoted(data) + " " + kShortRun);
    require_one_error_line(
        run, 1, "no train-images-idx3-ubyte.gz or train-images-idx3-ubyte in " + data);
  }
  SECTION("a truncated .gz file") {
    const std::string data = fresh_dir("09_fashion_mnist_truncated");
    std::ifstream in(std::string(nn::kFashionMnistDir) + "/train-images-idx3-ubyte.gz",
                     std::ios::binary);
    std::string head(100000, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    REQUIRE(in.good());
    write_file(data + "/train-images-idx3-ubyte.gz", head);
    fs::copy_file(std::string(nn::kFashionMnistDir) + "/train-labels-idx1-ubyte.gz",
                  data + "/train-labels-idx1-ubyte.gz");
    const RunResult run =
        run_chapter(kChapter, out, "--data " + quoted(data) + " " + kShortRun);
    require_one_error_line(run, 1, data + "/train-images-idx3-ubyte.gz: ");
  }
  SECTION("a file that is not IDX at all") {
    const std::string data = fresh_dir("09_fashion_mnist_not_idx");
    write_file(data + "/train-images-idx3-ubyte", "these are not the images you want\n");
    fs::copy_file(std::string(nn::kFashionMnistDir) + "/train-labels-idx1-ubyte.gz",
                  data + "/train-labels-idx1-ubyte.gz");
    const RunResult run =
        run_chapter(kChapter, out, "--data " + quoted(data) + " " + kShortRun);
    require_one_error_line(run, 1, data + "/train-images-idx3-ubyte: not an IDX file");
  }
  CHECK_FALSE(has_figures(out));
}

TEST_CASE("chapter 09 rejects bad flags with one line and exit code 2",
          "[chapter][09_fashion_mnist]") {
  const std::string bad = GENERATE(
      as<std::string>{}, "--epochs 0", "--epochs x", "--learning-rate 0", "--learning-rate nan",
      "--learning-rate inf", "--batch-size 0", "--batch-size 5000", "--hidden 0",
      "--hidden 256,x", "--hidden 256,,128", "--hidden 256,", "--hidden 1,2,3,4,5,6,7,8,9",
      "--optimizer rmsprop", "--schedule step", "--weight-decay -1", "--train-limit 0",
      "--train-limit 60000", "--predict-index -1", "--predict-index 5000",
      "--predict-index 3 --predict-image a.pgm", "--predict-pgm a.pgm", "--model m.nnm",
      "--final --predict-index 3", "--show-input x.png", "--predict-index 3 --show-input x.jpg",
      "--predict-index 3 --show-input .png", "--save /nonexistent/folder/m.nnm", "--save /tmp",
      "--seed -1", "--frobnicate");
  CAPTURE(bad);
  const std::string out = fresh_dir("09_fashion_mnist_bad");
  const RunResult run = run_chapter(kChapter, out, bad);
  INFO(run.output);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith(kChapter + ": error: "));
  CHECK(count_lines(run.output) == 1);
  CHECK(fs::is_empty(out));
}

TEST_CASE("chapter 09 stops a diverging learning rate, names it, and writes nothing",
          "[chapter][09_fashion_mnist]") {
  // Plain SGD with a learning rate of 50: the first steps throw the weights so far that the
  // logits overflow float, and the loss becomes NaN within the first epoch (on 2,000
  // images as on all 55,000).
  const std::string out = fresh_dir("09_fashion_mnist_diverged");
  const RunResult run = run_chapter(
      kChapter, out,
      kShortRun + " --optimizer sgd --learning-rate 50 --save " + quoted(out + "/m.nnm"));
  require_one_error_line(run, 1,
                         "training diverged at epoch 1: the loss became NaN. The learning "
                         "rate (50) is probably too large; try a smaller --learning-rate.");
  CHECK(fs::is_empty(out));
}

TEST_CASE("chapter 09 refuses a missing, damaged or misshapen model with one line",
          "[chapter][09_fashion_mnist]") {
  const std::string dir = fresh_dir("09_fashion_mnist_models");
  const std::string model = small_model(dir);
  SECTION("missing") {
    const RunResult run =
        run_chapter(kChapter, dir, "--predict-index 0 --model " + quoted(dir + "/none.nnm"));
    require_one_error_line(run, 1, "none.nnm': no such file. Train one first");
  }
  SECTION("one flipped byte") {
    std::ifstream in(model, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes[1000] ^= 0x01;
    const std::string damaged = write_file(dir + "/damaged.nnm", bytes);
    const RunResult run =
        run_chapter(kChapter, dir, "--predict-index 0 --model " + quoted(damaged));
    require_one_error_line(run, 1, "damaged.nnm': checksum mismatch");
  }
  SECTION("a valid model of another shape") {
    nn::Network<float> other({5, 3, 2}, nn::Activation::tanh);
    const std::string path = dir + "/other.nnm";
    nn::save_model(path, other);
    const RunResult run =
        run_chapter(kChapter, dir, "--predict-index 0 --model " + quoted(path));
    require_one_error_line(run, 1, "it takes 5 inputs and gives 2 outputs");
  }
}

TEST_CASE("chapter 09 reads PNG, JPEG and PGM photos of any size and says what is wrong",
          "[chapter][09_fashion_mnist]") {
  const std::string dir = fresh_dir("09_fashion_mnist_pgm");
  const std::string model = small_model(dir);
  const std::string pixels(784, '\x80');
  std::string plain;
  for (int p = 0; p < 784; ++p) plain += "128 ";
  struct Case {
    std::string name, content, phrase;
  };
  const Case c = GENERATE_COPY(values<Case>({
      {"sixteen_bit.pgm", "P5 28 28 65535\n" + pixels + pixels, "maximum value 65535"},
      {"short.pgm", "P5 28 28 255\n" + pixels.substr(0, 700), "truncated: 700 pixel bytes"},
      {"long.pgm", "P5 28 28 255\n" + pixels + "x", "trailing data after the 784 pixels"},
      {"colour.ppm", "P6 28 28 255\n" + pixels + pixels + pixels,
       "not a PNG, JPEG or PGM image"},
      {"signature_only.png", "\x89PNG\r\n\x1a\n", "not a readable PNG image"},
      {"huge.pgm", "P5 99999 99999 255\n", "99999 x 99999 pixels: empty, or larger"},
      {"no_pixels.pgm", "P5 28 28 255", "truncated: the header ends"},
      {"negative.pgm", "P5 -28 28 255\n" + pixels, "bad width"},
      {"letters.pgm", "P5 28 2x8 255\n" + pixels, "bad height"},
      {"plain_256.pgm", "P2 28 28 255\n256 " + plain.substr(4), "bad pixel value number 1"},
      {"plain_short.pgm", "P2 28 28 255\n" + plain.substr(4), "truncated: 783 pixel values"},
      {"plain_extra.pgm", "P2 28 28 255\n" + plain + "7\n", "unexpected data after the 784"},
      {"empty.pgm", "", "not a PNG, JPEG or PGM image"},
  }));
  CAPTURE(c.name);
  const std::string file = write_file(dir + "/" + c.name, c.content);
  const RunResult run = run_chapter(
      kChapter, dir, "--predict-image " + quoted(file) + " --model " + quoted(model));
  require_one_error_line(run, 1, "image file '" + file + "': " + c.phrase);

  const RunResult missing =
      run_chapter(kChapter, dir,
                  "--predict-image " + quoted(dir + "/none.pgm") + " --model " + quoted(model));
  require_one_error_line(missing, 1, "none.pgm': no such file");
}

// ---------------------------------------------------------------------------------------
// Prediction trusts neither the model nor the data (issue 16)
// ---------------------------------------------------------------------------------------

namespace {

// An IDX file of unsigned bytes with the given dimensions and payload.
std::string idx_bytes(const std::vector<std::uint32_t>& dims, const std::string& payload) {
  std::string b = {'\0', '\0', '\x08', static_cast<char>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b += static_cast<char>((d >> shift) & 0xFF);
  return b + payload;
}

// A data folder of n training and n test images of side x side pixels, labels 0..9.
std::string tiny_data_set(const std::string& name, std::uint32_t n, std::uint32_t side) {
  const std::string dir = fresh_dir(name);
  std::string labels;
  for (std::uint32_t k = 0; k < n; ++k) labels += static_cast<char>(k % 10);
  const std::string images = idx_bytes({n, side, side}, std::string(n * side * side, '\x40'));
  for (const char* split : {"train", "t10k"}) {
    write_file(dir + "/" + split + "-images-idx3-ubyte", images);
    write_file(dir + "/" + split + "-labels-idx1-ubyte", idx_bytes({n}, labels));
  }
  return dir;
}

}  // namespace

TEST_CASE("chapter 09 refuses a valid model whose outputs are not finite numbers",
          "[chapter][09_fashion_mnist]") {
  // Issue 16: a checksum-correct 784-10 model with every weight 3e38 made the logits inf,
  // softmax NaN, and the release build crashed (exit 139) reading an empty ranking.
  const std::string dir = fresh_dir("09_fashion_mnist_huge_model");
  nn::Network<float> net({784, 10}, nn::Activation::identity);
  net.layer(0).W.fill(3e38f);
  net.layer(0).b.fill(3e38f);
  const std::string model = dir + "/huge.nnm";
  nn::save_model(model, net);
  const std::string image =
      write_file(dir + "/any.pgm", "P5 28 28 255\n" + std::string(784, '\x80'));
  const RunResult run = run_chapter(
      kChapter, dir, "--predict-image " + quoted(image) + " --model " + quoted(model));
  require_one_error_line(run, 1, "model file '" + model + "'");
  CHECK_THAT(run.output, Contains("not usable"));
}

TEST_CASE("chapter 09 refuses test images of another size than the model reads",
          "[chapter][09_fashion_mnist]") {
  // Issue 16: a data set of 20 x 20 images made print_image read 784 bytes from a column
  // of 400 (heap-buffer-overflow under ASan).
  const std::string data = tiny_data_set("09_fashion_mnist_20x20", 10, 20);
  const std::string dir = fresh_dir("09_fashion_mnist_20x20_out");
  const RunResult run = run_chapter(
      kChapter, dir,
      "--data " + quoted(data) + " --predict-index 5 --model " + quoted(small_model(dir)));
  require_one_error_line(run, 1, "20 x 20 pixels; the network reads 28 x 28 images");
}

TEST_CASE("chapter 09 says what a model, image or data path is when it is not a file",
          "[chapter][09_fashion_mnist]") {
  const std::string dir = fresh_dir("09_fashion_mnist_odd_files");
  const std::string model = small_model(dir);
  REQUIRE(run_command("mkfifo " + quoted(dir + "/fifo")).exit_code == 0);
  fs::create_symlink(dir + "/loop_b", dir + "/loop_a");
  fs::create_symlink(dir + "/loop_a", dir + "/loop_b");
  const std::string m = " --model " + quoted(model);
  struct Case {
    std::string args, phrase;
  };
  const std::vector<Case> cases = {
      {"--predict-index 0 --model " + quoted(dir + "/fifo"), "a pipe (FIFO)"},
      {"--predict-index 0 --model " + quoted(dir + "/loop_a"), "a loop of symbolic links"},
      {"--predict-index 0 --model " + quoted(dir), "a folder, not a file"},
      {"--predict-image " + quoted(dir) + m, "a folder, not a file"},
      {"--predict-image /dev/zero" + m, "a device, not a regular file"},
      {"--predict-image " + quoted(dir + "/fifo") + m, "a pipe (FIFO)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    // `timeout`: a FIFO used to make the chapter wait forever.
    const RunResult run = run_command("timeout 60 " + chapter_binary(kChapter) + " --out " +
                                      quoted(dir) + " " + c.args);
    require_one_error_line(run, 1, c.phrase);
  }
  SECTION("a FIFO in place of a data file") {
    const std::string data = tiny_data_set("09_fashion_mnist_fifo_data", 10, 28);
    fs::remove(data + "/train-images-idx3-ubyte");
    REQUIRE(run_command("mkfifo " + quoted(data + "/train-images-idx3-ubyte")).exit_code == 0);
    const RunResult run =
        run_command("timeout 60 " + chapter_binary(kChapter) + " --out " + quoted(dir) +
                    " --data " + quoted(data) + " --predict-index 0" + m);
    require_one_error_line(run, 1, "a pipe (FIFO)");
  }
}

TEST_CASE("chapter 09 checks --save, --learning-rate and the data before training",
          "[chapter][09_fashion_mnist]") {
  const std::string dir = fresh_dir("09_fashion_mnist_before_training");
  SECTION("an empty --save") {
    require_one_error_line(run_chapter(kChapter, dir, "--save ''"), 2, "an empty file name");
  }
  SECTION("a --save folder that cannot be written") {
    require_one_error_line(run_chapter(kChapter, dir, "--save /proc/self/m.nnm"), 2,
                           "cannot write into its folder");
  }
  SECTION("a hexadecimal learning rate") {
    require_one_error_line(run_chapter(kChapter, dir, "--learning-rate 0x10"), 2, "0x10");
  }
  SECTION("a data set of 100 images is too small, not 'not Fashion-MNIST'") {
    const std::string data = tiny_data_set("09_fashion_mnist_100", 100, 28);
    require_one_error_line(run_chapter(kChapter, dir, "--data " + quoted(data), kNoGnuplot), 1,
                           "holds only 100 images");
  }
  CHECK_FALSE(has_figures(dir));
}

TEST_CASE("chapter 09 stops when the loss grows far above its start, naming the rate",
          "[chapter][09_fashion_mnist]") {
  // Issue 16: Adam at --learning-rate 100 ended at a loss of 1.3e10 and 10% accuracy, and
  // the chapter exited 0 with a saved model and four figures.
  const std::string dir = fresh_dir("09_fashion_mnist_diverged");
  const std::string model = dir + "/m.nnm";
  const RunResult run = run_chapter(
      kChapter, dir, kShortRun + " --learning-rate 100 --save " + quoted(model), kNoGnuplot);
  require_one_error_line(run, 1, "learning rate (100)");
  CHECK_THAT(run.output, Contains("training diverged at epoch 1: the loss grew to"));
  CHECK_FALSE(fs::exists(model));
  CHECK_FALSE(has_figures(dir));
}
