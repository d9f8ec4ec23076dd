// Chapter checks for chapters/01_neuron: it runs, its numbers are the text's numbers, and
// its figures are the committed ones.
#include <catch2/catch.hpp>

#include <filesystem>

#include "support/chapter_run.hpp"

using namespace nn::test;
namespace fs = std::filesystem;

TEST_CASE("chapter 01 computes the blog's neuron step by step", "[chapter][01_neuron]") {
  const std::string out = fresh_dir("01_neuron");
  const RunResult run = run_chapter("01_neuron", out);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // z = 0.8*0.5 + 0.2*(-1) + (-0.5)*2 + 0.1 = -0.7 and y = sigmoid(-0.7) = 0.33181...
  CHECK_THAT(run.output, Catch::Contains("= 0.4 + (-0.2) + (-1) + 0.1"));
  CHECK_THAT(run.output, Catch::Contains("    = -0.7\n"));
  CHECK_THAT(run.output,
             Catch::Contains("y = sigmoid(z) = 1 / (1 + e^-z) = 1 / (1 + e^0.7) = 0.3318"));
  // The diagram's CSV carries the same numbers.
  const auto rows = read_figure_csv(out + "/neuron.csv");
  CHECK(series_rows(rows, "z").at(0).value == Approx(-0.7).epsilon(1e-12));
  CHECK(series_rows(rows, "y").at(0).value == Approx(0.3318122278318339).epsilon(1e-9));
  require_matches_reference("01_neuron", out);
}

TEST_CASE("chapter 01 takes other inputs and activations", "[chapter][01_neuron]") {
  const RunResult run =
      run_chapter("01_neuron", fresh_dir("01_neuron_relu"),
                  "--inputs 1,2,3 --weights 1,1,1 --bias -1 --activation relu");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("y = relu(z) = max(0, 5) = 5"));
}

TEST_CASE("chapter 01 rejects bad flags with one line and exit code 2",
          "[chapter][01_neuron]") {
  const std::string bad =
      GENERATE(as<std::string>{}, "--inputs 1,2", "--inputs 1,x,3", "--activation softmax",
               "--bias", "--seed -1", "--frobnicate");
  CAPTURE(bad);
  const RunResult run = run_chapter("01_neuron", fresh_dir("01_neuron_bad"), bad);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith("01_neuron: error: "));
  CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
}

TEST_CASE("chapter 01 runs without gnuplot and says so once", "[chapter][01_neuron]") {
  const std::string out = fresh_dir("01_neuron_no_gnuplot");
  const RunResult run = run_chapter("01_neuron", out, "", "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(fs::exists(out + "/activations.csv"));
  CHECK(fs::exists(out + "/activations.gp"));
  CHECK_FALSE(fs::exists(out + "/activations.png"));
  std::size_t notes = 0;
  for (std::size_t p = run.output.find("gnuplot was not found"); p != std::string::npos;
       p = run.output.find("gnuplot was not found", p + 1))
    ++notes;
  CHECK(notes == 1);
}
