// Chapter checks for chapters/12_convolution: one default run with --final (about two
// minutes in a Release build) gives the numbers the text quotes, within the ranges measured
// over the four OpenBLAS kernels; the CNN's test accuracy clears the 91.5% by the
// margin the text claims; chapter 09's MLP, trained in the same run, gives chapter 09's own
// numbers; the figures match the committed ones; the model file records the convolution
// and pooling layers, and chapter 09's predictor classifies a PGM and a photo with it. A
// small run (seconds, for the sanitizer build), bad flags, missing data and a diverging
// learning rate are checked too.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/idx.hpp"
#include "common/model_file.hpp"
#include "common/network.hpp"
#include "support/chapter_run.hpp"

using namespace nn::test;
namespace fs = std::filesystem;
using Catch::Contains;

namespace {

const std::string kChapter = "12_convolution";

// The bar for the CNN's test accuracy (percent), and the margin above it that this
// test holds every kernel to with the default seed. The text's runs (four kernels with
// seed 42, seeds 1 and 2 on Haswell) measured 92.01% at the lowest (seed 2), 92.10% with
// seed 42 (SkylakeX): 0.51 and 0.60 points above the bar.
constexpr double kRequiredTest = 91.5;
constexpr double kClaimedMargin = 0.3;

// The text's ranges for the default seed over the four kernels (Nehalem, Sandybridge,
// Haswell, SkylakeX), as the program prints them (two decimals). Another kernel sums the
// products in another order, and ten epochs of training grow that into a few images.
constexpr double kCnnValidationLow = 92.36, kCnnValidationHigh = 92.84;
constexpr double kCnnTestLow = 92.10, kCnnTestHigh = 92.44;
// Chapter 09's MLP, trained here with chapter 09's settings and seed: chapter 09's own
// ranges (tests/chapter_09_fashion_mnist.cpp), which this run must reproduce.
constexpr double kMlpValidationLow = 89.64, kMlpValidationHigh = 89.90;
constexpr double kMlpTestLow = 89.79, kMlpTestHigh = 89.82;

// The committed figures against a fresh run. sliding.csv involves no training (a filter
// and a picture, in double precision, by plain loops), so it must match exactly. The
// others come from training and are compared with tolerances about 1.5 times the largest
// difference measured between the four kernels (default seed):
// - accuracy curves (curves.csv), in percentage points (measured: at most 0.86);
constexpr double kAccuracyPoints = 1.3;
// - loss curves (curves.csv) (measured: at most 0.019);
constexpr double kLossTolerance = 0.03;
// - the confusion matrices (confusion.csv), in images per cell (measured: at most 12);
constexpr double kConfusionImages = 18;
// - the learned filters (filters.csv) and the feature maps (feature_maps.csv): single
//   weights and pixels move a lot between kernels (a filter's weight by up to 0.14, of
//   weights up to about 2; a feature-map pixel by up to 0.31 of its 0..1 scale), so each
//   panel is compared as a whole, by the root mean square of its differences (measured: at
//   most 0.055 for a filter, 0.060 for a map). A filter or map from another network, or in
//   another place, differs by several times that.
constexpr double kFilterRms = 0.085;
constexpr double kFeatureMapRms = 0.09;

std::string quoted(const std::string& path) { return "'" + path + "'"; }

double number_after(const std::string& text, const std::string& pattern) {
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex(pattern)));
  return std::stod(m[1].str());
}

void require_close_to_reference(const std::string& fresh) {
  const fs::path reference = fs::path(NN_SOURCE_DIR) / "plots" / kChapter;
  for (const std::string name :
       {"sliding.csv", "filters.csv", "feature_maps.csv", "confusion.csv", "curves.csv"}) {
    CAPTURE(name);
    REQUIRE(fs::exists(reference / name));
    REQUIRE(fs::exists(fs::path(fresh) / name));
    const std::vector<CsvRow> expected = read_figure_csv((reference / name).string());
    const std::vector<CsvRow> actual = read_figure_csv(fresh + "/" + name);
    REQUIRE(expected.size() == actual.size());
    std::map<std::string, std::pair<double, int>> squares;  // panel -> (sum of d^2, count)
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CAPTURE(i, expected[i].panel, expected[i].series, expected[i].x, expected[i].y);
      REQUIRE(expected[i].panel == actual[i].panel);
      REQUIRE(expected[i].series == actual[i].series);
      CHECK(expected[i].x == actual[i].x);
      if (name == "curves.csv") {
        const double tolerance = expected[i].panel == "1" ? kLossTolerance : kAccuracyPoints;
        CHECK(std::abs(actual[i].y - expected[i].y) <= tolerance);
        continue;
      }
      CHECK(expected[i].y == actual[i].y);  // a grid's row, or a fixed point of a line
      const double want = expected[i].value, got = actual[i].value;
      if (std::isnan(want)) {
        CHECK(std::isnan(got));
      } else if (name == "sliding.csv") {
        CHECK(got == want);
      } else if (name == "confusion.csv") {
        CHECK(std::abs(got - want) <= kConfusionImages);
      } else {
        auto& [sum, count] = squares[expected[i].panel];
        sum += (got - want) * (got - want);
        ++count;
      }
    }
    for (const auto& [panel, sum_count] : squares) {
      CAPTURE(panel);
      const double rms = std::sqrt(sum_count.first / sum_count.second);
      CHECK(rms <= (name == "filters.csv" ? kFilterRms : kFeatureMapRms));
    }
  }
}

// Validation image `index` (0-4,999) as a binary PGM file: 28 x 28 grey levels, 0 black.
void write_validation_pgm(const std::string& path, arma::uword index) {
  const nn::ImageDataset file = nn::load_fashion_mnist(nn::kFashionMnistDir, nn::Split::train);
  const arma::uword i = file.size() - 5000 + index;
  std::ofstream out(path, std::ios::binary);
  out << "P5\n28 28\n255\n";
  for (arma::uword p = 0; p < 784; ++p) out.put(char(file.images.pixels(p, i)));
  REQUIRE(out.good());
}

}  // namespace

TEST_CASE(
    "chapter 12 trains the CNN above 91.5% beside chapter 09's MLP, draws the committed "
    "figures and saves a model chapter 09's predictor reads",
    "[chapter][12_convolution]") {
  const std::string out = fresh_dir("12_convolution");
  const std::string model = out + "/model.nnm";
  const RunResult run = run_chapter(kChapter, out, "--final --save " + quoted(model));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  // Section 2, by hand: no training and no BLAS, the same numbers on every machine.
  CHECK_THAT(run.output, Contains("on validation image 0 (T-shirt/top), padding 1\n"
                                  "  output pixel (5, 5), the strongest response"));
  CHECK_THAT(run.output, Contains("  the sum of the products = 3.6118 = map(5, 5)"));
  CHECK(number_after(run.output, "from the sliding loops ([0-9.e+-]+)\n") < 1e-12);

  // Section 3: the sizes the text derives.
  CHECK_THAT(run.output, Contains("  CNN  28x28x1 > conv 3x3 > 28x28x16 > pool 2 > 14x14x16 > "
                                  "conv 3x3 > 14x14x32 > pool 2 > 7x7x32 > 128-10"));
  CHECK_THAT(run.output, Contains("206,922 parameters, 1,218,048 multiply-adds per image"));
  CHECK_THAT(run.output, Contains("235,146 parameters, 234,752 multiply-adds per image"));

  // Section 5 and --final: the numbers the text quotes, in their measured ranges.
  const double cnn_validation = number_after(run.output, "\n  CNN +([0-9.]+)% +[0-9.]+ +");
  const double mlp_validation = number_after(run.output, "\n  MLP +([0-9.]+)% +[0-9.]+ +");
  CHECK(cnn_validation >= kCnnValidationLow);
  CHECK(cnn_validation <= kCnnValidationHigh);
  CHECK(mlp_validation >= kMlpValidationLow);
  CHECK(mlp_validation <= kMlpValidationHigh);
  const std::size_t final_block = run.output.find("\nFinal test (the test set's one use)");
  REQUIRE(final_block != std::string::npos);
  const std::string final_text = run.output.substr(final_block);
  const double cnn_test = number_after(final_text, "CNN accuracy ([0-9.]+)%");
  const double mlp_test = number_after(final_text, "MLP accuracy ([0-9.]+)%");
  CHECK(cnn_test >= kRequiredTest + kClaimedMargin);
  CHECK(cnn_test >= kCnnTestLow);
  CHECK(cnn_test <= kCnnTestHigh);
  CHECK(mlp_test >= kMlpTestLow);
  CHECK(mlp_test <= kMlpTestHigh);

  // The model: format version 3, every layer recorded, and it answers.
  std::ifstream file(model, std::ios::binary);
  char header[12];
  file.read(header, 12);
  REQUIRE(file.good());
  CHECK(std::string(header, 8) == "NNMODEL\n");
  CHECK((unsigned char)header[8] == nn::kModelFormatVersion);
  CHECK(fs::file_size(model) == 827980);
  const nn::Network<float> net = nn::load_model<float>(model);
  REQUIRE(net.all_layers().size() == 8);
  CHECK(std::holds_alternative<nn::Convolution<float>>(net.all_layers()[0]));
  CHECK(std::holds_alternative<nn::MaxPool<float>>(net.all_layers()[1]));
  CHECK(std::holds_alternative<nn::Convolution<float>>(net.all_layers()[2]));
  CHECK(std::holds_alternative<nn::MaxPool<float>>(net.all_layers()[3]));
  CHECK(std::holds_alternative<nn::Dropout<float>>(net.all_layers()[4]));
  CHECK(std::holds_alternative<nn::Dense<float>>(net.all_layers()[5]));
  CHECK(net.n_parameters() == 206922);

  // Chapter 09's predictor with the CNN: a PGM (validation image 0, a T-shirt) and a photo.
  const std::string pgm = out + "/tshirt.pgm";
  write_validation_pgm(pgm, 0);
  for (const std::string& image :
       {pgm, std::string(NN_SOURCE_DIR) + "/chapters/09_fashion_mnist/shirt.jpg"}) {
    CAPTURE(image);
    const RunResult predicted =
        run_command(chapter_binary("09_fashion_mnist") + " --model " + quoted(model) +
                    " --predict-image " + quoted(image));
    INFO(predicted.output);
    CHECK(predicted.exit_code == 0);
    CHECK_THAT(predicted.output, Contains("28x28x1 > conv 3x3 > 28x28x16 > pool 2"));
    CHECK_THAT(predicted.output, Contains("206,922 float32 parameters"));
    CHECK_THAT(predicted.output, Contains("Top 3:\n  1. T-shirt/top"));
  }

  require_close_to_reference(out);
}

// Every step of the chapter on a few hundred images, in seconds: what the sanitizer build
// runs (.ci/run, step 3b) in place of the full run above. The code is the same; only the
// numbers of images and epochs are smaller.
TEST_CASE(
    "chapter 12, a small run, trains both networks, draws every figure, tests once "
    "and saves a model",
    "[chapter][12_convolution]") {
  const std::string out = fresh_dir("12_convolution_small");
  const std::string model = out + "/model.nnm";
  const RunResult run = run_chapter(
      kChapter, out,
      "--train-limit 300 --epochs 1 --mlp-epochs 1 --filters 4,8 --hidden 16 --final --save " +
          quoted(model));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output, Contains("\nFinal test (the test set's one use)"));
  CHECK_THAT(run.output, Contains("28x28x4 > pool 2 > 14x14x4 > conv 3x3 > 14x14x8"));
  for (const char* figure : {"sliding", "filters", "feature_maps", "confusion", "curves"})
    CHECK(fs::exists(out + "/" + figure + ".csv"));
  const nn::Network<float> net = nn::load_model<float>(model);
  CHECK(net.input_size() == 784);
  CHECK(net.output_size() == 10);
}

TEST_CASE("chapter 12 rejects bad flags with one line and exit code 2",
          "[chapter][12_convolution]") {
  const std::string bad =
      GENERATE(as<std::string>{}, "--epochs 0", "--epochs x", "--learning-rate 0",
               "--learning-rate nan", "--batch-size 0", "--filters 16", "--filters 0,32",
               "--filters 16,300", "--filters 16,x", "--filters 16,32,64", "--hidden 0",
               "--dropout 1", "--dropout -0.1", "--mlp-epochs 0", "--train-limit 60000",
               "--save /nonexistent/folder/m.nnm", "--save /tmp", "--seed -1", "--frobnicate");
  CAPTURE(bad);
  const std::string out = fresh_dir("12_convolution_bad");
  const RunResult run = run_chapter(kChapter, out, bad);
  INFO(run.output);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith(kChapter + ": error: "));
  CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
  CHECK(fs::is_empty(out));
}

TEST_CASE("chapter 12 stops with one line when the data is missing",
          "[chapter][12_convolution]") {
  const std::string out = fresh_dir("12_convolution_nodata");
  const std::string empty = fresh_dir("12_convolution_empty");
  const RunResult run = run_chapter(kChapter, out, "--data " + quoted(empty));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(count_occurrences(run.output, "error:") == 1);
  CHECK_THAT(run.output, Contains(kChapter + ": error: "));
  require_no_figures(out);
}

TEST_CASE("chapter 12 stops a diverging learning rate and names it",
          "[chapter][12_convolution]") {
  const std::string out = fresh_dir("12_convolution_diverge");
  const RunResult run = run_chapter(
      kChapter, out, "--learning-rate 1e6 --train-limit 500 --epochs 2 --mlp-epochs 1");
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(count_occurrences(run.output, "error:") == 1);
  CHECK_THAT(run.output, Contains(kChapter + ": error: "));
  CHECK_THAT(run.output, Contains("learning rate"));
  require_no_figures(out);
}
