// Chapter checks for chapters/03_gradient_descent: the gradient is right, descent descends,
// the headline numbers are the text's, a learning rate that blows up stops the chapter
// cleanly, and the figures are the committed ones.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <regex>
#include <string>

#include "common/gradient_check.hpp"
#include "support/chapter_run.hpp"

using namespace nn::test;
namespace fs = std::filesystem;

namespace {

// The chapter prints the final loss with 4 decimals; the text quotes that print. Same seed,
// same binary, same numbers, so the only slack needed is the rounding of the print.
constexpr double kPrintedLossTolerance = 0.5e-4;

// The first number after `label` in the output (e.g. "final loss "); fails if there is none.
double number_after(const std::string& output, const std::string& label) {
  const std::regex pattern(label + "([-+0-9.eE]+)");
  std::smatch match;
  REQUIRE(std::regex_search(output, match, pattern));
  return std::stod(match[1].str());
}

// The loss per epoch of one panel's descent path in loss_surface.csv (panel 1 is
// cross-entropy, panel 2 squared error).
std::vector<double> path_losses(const std::string& dir, const std::string& panel) {
  std::vector<double> losses;
  for (const CsvRow& row :
       series_rows(read_figure_csv(dir + "/loss_surface.csv"), "gradient descent"))
    if (row.panel == panel) losses.push_back(row.value);
  return losses;
}

}  // namespace

TEST_CASE("chapter 03 prints the text's headline numbers and draws the committed figures",
          "[chapter][03_gradient_descent]") {
  const std::string out = fresh_dir("03_gradient_descent");
  const RunResult run = run_chapter("03_gradient_descent", out);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // Cross-entropy, learning rate 1, 150 epochs, seed 42.
  CHECK(number_after(run.output, "\n  final loss ") ==
        Approx(0.2581).margin(kPrintedLossTolerance));
  CHECK_THAT(run.output, Catch::Contains("final loss 0.2581, accuracy 89.0%"));
  CHECK_THAT(run.output, Catch::Contains("w = (2.336, 1.062), b = -0.021"));
  // Squared error from the same confidently wrong start is still stuck after 150 epochs.
  CHECK_THAT(run.output,
             Catch::Contains("squared error from the same start: final loss 0.4419, "
                             "accuracy 46.5%"));
  CHECK_THAT(run.output, Catch::Contains("Start: w = (-5, -4), b = 0, accuracy 11.0%"));
  CHECK_THAT(run.output, Catch::Contains("cross-entropy pushes 1491 times harder"));
  CHECK_THAT(run.output, Catch::Contains("lambda = 0.09223"));
  CHECK_THAT(run.output, Catch::Contains("lr = 50     final loss 0.3663   too large"));
  // The CSV behind the loss-surface figure carries the same final loss.
  CHECK(path_losses(out, "1").back() == Approx(0.2581).margin(kPrintedLossTolerance));
  require_matches_reference("03_gradient_descent", out);
}

TEST_CASE("chapter 03 works chapter 01's neuron backwards with the text's numbers",
          "[chapter][03_gradient_descent]") {
  // Issue 11: x = (0.5, -1, 2), w = (0.8, 0.2, -0.5), b = 0.1, sigmoid, target t = 1.
  const std::string out = fresh_dir("03_gradient_descent_graph");
  const RunResult run = run_chapter("03_gradient_descent", out, "--epochs 1");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  for (const char* line :
       {"  forward   z = w.x + b = -0.7,  y = sigmoid(z) = 0.3318,  L = -ln y = 1.103\n",
        "  backward  dL/dy = -t/y + (1 - t)/(1 - y) = -3.014\n",
        "            dy/dz = y (1 - y) = 0.2217\n",
        "            dL/dz = dL/dy * dy/dz = -0.6682 = y - t\n",
        "            dL/dw = dL/dz * x = (-0.3341, 0.6682, -1.336)\n",
        "            dL/db = dL/dz * 1 = -0.6682\n",
        "  backward() on the same sample: dw = (-0.3341, 0.6682, -1.336), db = -0.6682\n",
        "  one step with lr = 1: w - lr dw = w + lr (t - y) x = (1.134, -0.4682, 0.8364)\n"})
    CHECK_THAT(run.output, Catch::Contains(line));
  // The graph figure carries the same numbers: dL/dw_j = (y - t) x_j, to full precision.
  const auto rows = read_figure_csv(out + "/graph.csv");
  const double y = 1.0 / (1.0 + std::exp(0.7));
  CHECK(series_rows(rows, "y").at(0).value == Approx(y).epsilon(1e-9));
  CHECK(series_rows(rows, "L").at(0).value == Approx(-std::log(y)).epsilon(1e-9));
  const double x[] = {0.5, -1.0, 2.0};
  for (int j = 0; j < 3; ++j)
    CHECK(series_rows(rows, "dL/dw" + std::to_string(j + 1)).at(0).value ==
          Approx((y - 1.0) * x[j]).epsilon(1e-9));
  CHECK(series_rows(rows, "y -> L").at(0).value == Approx(-1.0 / y).epsilon(1e-9));
  CHECK(series_rows(rows, "z -> y").at(0).value == Approx(y * (1 - y)).epsilon(1e-9));
}

TEST_CASE("chapter 03's backward pass matches central differences",
          "[chapter][03_gradient_descent]") {
  // The chapter checks its gradient at random weights on random data drawn from the seed;
  // several seeds give several random points.
  const std::string seed = GENERATE(as<std::string>{}, "42", "1", "7", "2024");
  CAPTURE(seed);
  const RunResult run =
      run_chapter("03_gradient_descent", fresh_dir("03_gradient_descent_check"),
                  "--epochs 1 --seed " + seed, "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(number_after(run.output, "cross-entropy +relative error ") <
        nn::kGradientCheckTolerance);
  CHECK(number_after(run.output, "squared error +relative error ") <
        nn::kGradientCheckTolerance);
}

TEST_CASE("gradient descent with a small learning rate lowers the loss at every step",
          "[chapter][03_gradient_descent]") {
  const std::string out = fresh_dir("03_gradient_descent_small");
  const RunResult run =
      run_chapter("03_gradient_descent", out, "--learning-rate 0.05 --epochs 100",
                  "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  for (const std::string panel : {"1", "2"}) {  // cross-entropy, squared error
    CAPTURE(panel);
    const auto losses = path_losses(out, panel);
    REQUIRE(losses.size() == 101);
    for (std::size_t e = 1; e < losses.size(); ++e) {
      CAPTURE(e);
      CHECK(losses[e] < losses[e - 1]);
    }
  }
}

TEST_CASE("a learning rate that blows the loss up stops chapter 03 with no figures",
          "[chapter][03_gradient_descent]") {
  // lr = 1e6: the first step sends the weights to about 1e6, some wrongly classified
  // sample gets z below -745, sigmoid(z) is 0 in double precision, and -ln 0 is infinite.
  const std::string loss = GENERATE(as<std::string>{}, "bce", "mse");
  CAPTURE(loss);
  const std::string out = fresh_dir("03_gradient_descent_diverged");
  const RunResult run =
      run_chapter("03_gradient_descent", out, "--learning-rate 1e6 --loss " + loss);
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.output, Catch::Contains("03_gradient_descent: error: training diverged at "
                                         "epoch 1: the loss became infinite"));
  CHECK_THAT(run.output, Catch::Contains("The learning rate (1e+06) is probably too large"));
  CHECK(fs::is_empty(out));  // no PNG, no CSV: nothing drawn from a run that blew up
}

TEST_CASE("chapter 03 trains with squared error when asked", "[chapter][03_gradient_descent]") {
  const RunResult run = run_chapter("03_gradient_descent", fresh_dir("03_gradient_descent_mse"),
                                    "--loss mse", "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output,
             Catch::Contains("Results (squared error, learning rate 1, 150 epochs)\n"
                             "  final loss 0.4419, accuracy 46.5%"));
}

TEST_CASE("chapter 03 rejects bad flags with one line and exit code 2",
          "[chapter][03_gradient_descent]") {
  const std::string bad =
      GENERATE(as<std::string>{}, "--learning-rate 0", "--learning-rate -1",
               "--learning-rate nan", "--learning-rate inf", "--learning-rate fast",
               "--epochs 0", "--epochs 1.5", "--loss hinge", "--seed x", "--frobnicate");
  CAPTURE(bad);
  const std::string out = fresh_dir("03_gradient_descent_bad");
  const RunResult run = run_chapter("03_gradient_descent", out, bad);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith("03_gradient_descent: error: "));
  CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
  CHECK(fs::is_empty(out));
}
