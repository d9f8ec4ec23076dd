// Chapter checks for chapters/02_perceptron: AND and OR are learnt in the epochs the text
// states, XOR never is, and the figures are the committed ones.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "support/chapter_run.hpp"

using namespace nn::test;
namespace fs = std::filesystem;

namespace {

// The errors after each epoch of one gate, from errors.csv (the y column of its series).
std::vector<double> errors_per_epoch(const std::string& dir, const std::string& gate) {
  std::vector<double> errors;
  for (const CsvRow& row : series_rows(read_figure_csv(dir + "/errors.csv"), gate))
    errors.push_back(row.y);
  return errors;
}

}  // namespace

TEST_CASE("chapter 02 learns AND and OR in the epochs the text states, and not XOR",
          "[chapter][02_perceptron]") {
  const std::string out = fresh_dir("02_perceptron");
  const RunResult run = run_chapter("02_perceptron", out);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // The numbers in the chapter text (default seed 42, learning rate 0.1, 20 epochs).
  CHECK_THAT(run.output,
             Catch::Contains("Start (random, seed 42): w = ( 0.255,  0.139)  b =  0.252"));
  CHECK_THAT(run.output, Catch::Contains("AND: 0 errors from epoch 5 on"));
  CHECK_THAT(run.output, Catch::Contains("OR:  0 errors from epoch 3 on"));
  CHECK_THAT(run.output,
             Catch::Contains("XOR: never 0 errors in 20 epochs (never fewer than 2)"));
  // XOR's weights are the same after every epoch from epoch 5 on, though every sample
  // is corrected during each epoch: the cycle the text works through.
  CHECK_THAT(run.output, Catch::Contains("      5  -0.145   0.039   0.052                 2   "
                                         "                    3\n"));
  CHECK_THAT(run.output, Catch::Contains("     20  -0.145   0.039   0.052                 2   "
                                         "                    4\n"));
  const auto and_errors = errors_per_epoch(out, "AND");
  const auto xor_errors = errors_per_epoch(out, "XOR");
  REQUIRE(and_errors.size() == 21);  // epoch 0 (the start) to epoch 20
  CHECK(and_errors[5] == 0);
  CHECK(and_errors[4] > 0);
  CHECK(*std::min_element(xor_errors.begin(), xor_errors.end()) >= 1);
  require_matches_reference("02_perceptron", out);
}

TEST_CASE("the perceptron never gets XOR right, however long it trains",
          "[chapter][02_perceptron]") {
  const std::string seed = GENERATE(as<std::string>{}, "42", "1", "5");
  const std::string lr = GENERATE(as<std::string>{}, "0.01", "1");
  CAPTURE(seed, lr);
  const std::string out = fresh_dir("02_perceptron_long");
  const RunResult run = run_chapter("02_perceptron", out,
                                    "--epochs 2000 --seed " + seed + " --learning-rate " + lr,
                                    "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("XOR: never 0 errors in 2000 epochs"));
  const auto xor_errors = errors_per_epoch(out, "XOR");
  REQUIRE(xor_errors.size() == 2001);
  CHECK(*std::min_element(xor_errors.begin(), xor_errors.end()) >= 1);
  // AND and OR are linearly separable, so the perceptron convergence theorem promises
  // they are solved; from these starts it takes at most 48 epochs.
  for (const std::string gate : {"AND", "OR"}) {
    CAPTURE(gate);
    CHECK(errors_per_epoch(out, gate).back() == 0);
  }
}

TEST_CASE("chapter 02 rejects bad flags with one line and exit code 2",
          "[chapter][02_perceptron]") {
  const std::string bad =
      GENERATE(as<std::string>{}, "--epochs 0", "--epochs 100001", "--epochs x",
               "--learning-rate 0", "--learning-rate -0.1", "--learning-rate nan",
               "--learning-rate inf", "--learning-rate", "--frobnicate");
  CAPTURE(bad);
  const std::string out = fresh_dir("02_perceptron_bad");
  const RunResult run = run_chapter("02_perceptron", out, bad);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith("02_perceptron: error: "));
  CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
  CHECK(fs::is_empty(out));
}

TEST_CASE("chapter 02 stops when a huge learning rate overflows the perceptron",
          "[chapter][02_perceptron]") {
  // Issue 16: --learning-rate 1e308 made gnuplot fail on NaN, and the chapter exited 0
  // with a figure missing its boundary.
  const std::string out = fresh_dir("02_perceptron_overflow");
  const RunResult run = run_chapter("02_perceptron", out, "--learning-rate 1e308");
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(count_occurrences(run.output, "02_perceptron: error: training diverged") == 1);
  CHECK_THAT(run.output, Catch::Contains("learning rate (1e+308)"));
  CHECK(fs::is_empty(out));
}

TEST_CASE("chapter 02 says 1 epoch, not 1 epochs", "[chapter][02_perceptron]") {
  const RunResult run = run_chapter("02_perceptron", fresh_dir("02_perceptron_one_epoch"),
                                    "--epochs 1", "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("Training 1 epoch (4 samples each)"));
  CHECK_THAT(run.output, Catch::Contains("never 0 errors in 1 epoch (never fewer than"));
  CHECK_THAT(run.output, !Catch::Contains("1 epochs"));
}

TEST_CASE("chapter 02's epoch figure skips the epochs that change nothing (issue 11)",
          "[chapter][02_perceptron]") {
  // With a small learning rate, AND takes 16 epochs, and most of them leave the number of
  // wrong samples as it was: the figure draws only the epochs where it changed.
  const std::string out = fresh_dir("02_perceptron_slow");
  const RunResult run = run_chapter("02_perceptron", out, "--learning-rate 0.01 --epochs 100",
                                    "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  std::ifstream script(out + "/and_epochs.gp");
  const std::string text((std::istreambuf_iterator<char>(script)),
                         std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("at the epochs where the errors changed"));
  // Every panel after the data's shows a different number of wrong samples, or is the
  // epoch after the first without an error.
  CHECK_THAT(text, Catch::Contains("after epoch 16: 0 errors"));
  CHECK_THAT(text, Catch::Contains("after epoch 17: 0 errors"));
}
