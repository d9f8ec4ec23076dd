// Chapter checks for chapters/04_layers: the hand-built network computes XOR, the loop and
// the matrix form of a layer agree, and the figures are the committed ones.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>

#include "support/chapter_run.hpp"

using namespace nn::test;

namespace {

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// The number printed after `label` in the output (the rest of the line is ignored).
double number_after(const std::string& output, const std::string& label) {
  const std::size_t at = output.find(label);
  REQUIRE(at != std::string::npos);
  return std::stod(output.substr(at + label.size()));
}

}  // namespace

TEST_CASE("chapter 04's hand-built network computes XOR", "[chapter][04_layers]") {
  const std::string out = fresh_dir("04_layers");
  const RunResult run = run_chapter("04_layers", out);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("XOR: 4 of 4 right"));
  CHECK_THAT(run.output, Catch::Contains("x = (0, 0)  ->  h = (0.000045, 0.000000)  ->  "
                                         "y = 0.000045   XOR 0, answer 0  right"));
  CHECK_THAT(run.output, Catch::Contains("x = (0, 1)  ->  h = (0.999955, 0.000045)  ->  "
                                         "y = 0.999955   XOR 1, answer 1  right"));
  CHECK_THAT(run.output, Catch::Contains("x = (1, 1)  ->  h = (1.000000, 0.999955)  ->  "
                                         "y = 0.000045   XOR 0, answer 0  right"));

  // The figures carry the same numbers. In hidden_space.csv each XOR sample's value is the
  // network's output y, worked out here from the weights of the text: h1 = s(20 x1 + 20 x2
  // - 10), h2 = s(20 x1 + 20 x2 - 30), y = s(20 h1 - 20 h2 - 10).
  const auto expected_y = [](double x1, double x2) {
    const double h1 = sigmoid(20 * x1 + 20 * x2 - 10), h2 = sigmoid(20 * x1 + 20 * x2 - 30);
    return sigmoid(20 * h1 - 20 * h2 - 10);
  };
  // The CSV holds 10 significant digits.
  constexpr double kCsvDigits = 1e-9;
  const auto rows = read_figure_csv(out + "/hidden_space.csv");
  for (const std::string series : {"XOR = 0", "XOR = 1"}) {
    const auto samples = series_rows(rows, series);
    REQUIRE(samples.size() == 4);  // two samples, in each of the two panels
    for (std::size_t k = 0; k < 2; ++k) {
      const CsvRow& s = samples[k];  // panel 1: the input space, so (x, y) is the input
      CAPTURE(series, s.x, s.y, s.value);
      REQUIRE(s.panel == "1");
      CHECK(s.value == Approx(expected_y(s.x, s.y)).epsilon(kCsvDigits));
      CHECK((series == "XOR = 1" ? s.value > 0.5 : s.value < 0.5));
    }
  }
  // The diagram is drawn from the network's weights and biases.
  const auto diagram = read_figure_csv(out + "/architecture.csv");
  CHECK(series_rows(diagram, "W1(1,1)").at(0).value == 20);
  CHECK(series_rows(diagram, "W2(1,2)").at(0).value == -20);
  CHECK(series_rows(diagram, "hidden layer units").at(1).value == -30);
  CHECK(series_rows(diagram, "output layer units").at(0).value == -10);
  require_matches_reference("04_layers", out);
}

TEST_CASE("chapter 04's loop and matrix forms of a layer give the same sums",
          "[chapter][04_layers]") {
  const RunResult run = run_chapter("04_layers", fresh_dir("04_layers_loop"));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // On the XOR batch every product and sum is exact (small integers): no difference.
  CHECK(number_after(run.output, "The loop gives the same Z1: largest difference ") == 0.0);
  // On the (256 x 512) layer and 1000 samples both forms add the same 512 products, in a
  // different order. Rounding then differs by at most about n u sum|w_j x_j| (n = 512,
  // u = 1.1e-16, and sum|w_j x_j| below a few hundred for these N(0,1) weights and U(0,1)
  // inputs), so about 1e-11; 1e-9 leaves room, and a real mistake (a missing bias, a
  // wrong index) moves Z by far more than that.
  constexpr double kLoopMatrixTolerance = 1e-9;
  const double difference = number_after(run.output, "largest |Z_loop - Z_matrix| = ");
  CHECK(difference < kLoopMatrixTolerance);
}

TEST_CASE("chapter 04's network fails XOR when its weights are too small",
          "[chapter][04_layers]") {
  // Scaled by 0.1 the units are soft: y(0, 1) = 0.481 is on the wrong side of 0.5.
  const RunResult run = run_chapter("04_layers", fresh_dir("04_layers_soft"), "--scale 0.1");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("x = (0, 1)  ->  h = (0.731059, 0.268941)  ->  "
                                         "y = 0.481068   XOR 1, answer 0  WRONG"));
  CHECK_THAT(run.output, Catch::Contains("XOR: 2 of 4 right"));
}

TEST_CASE("chapter 04's network with step units answers exactly 0 or 1",
          "[chapter][04_layers]") {
  const std::string out = fresh_dir("04_layers_step");
  const RunResult run = run_chapter("04_layers", out, "--activation step");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("XOR: 4 of 4 right"));
  const auto rows = read_figure_csv(out + "/hidden_space.csv");
  for (const CsvRow& r : series_rows(rows, "XOR = 1")) CHECK(r.value == 1.0);
  for (const CsvRow& r : series_rows(rows, "XOR = 0")) CHECK(r.value == 0.0);
  CHECK_THAT(run.output, Catch::Contains("2-2-1, step"));
}

TEST_CASE("chapter 04 rejects bad flags with one line and exit code 2",
          "[chapter][04_layers]") {
  const std::string bad =
      GENERATE(as<std::string>{}, "--scale 0", "--scale -1", "--scale nan", "--scale inf",
               "--scale x", "--activation relu", "--seed -1", "--frobnicate");
  CAPTURE(bad);
  const RunResult run = run_chapter("04_layers", fresh_dir("04_layers_bad"), bad);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith("04_layers: error: "));
  CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
}

TEST_CASE("chapter 04's hidden-space title says what the output's line does (issue 11)",
          "[chapter][04_layers]") {
  // "now one line does" only when it does; --scale 0.1 leaves 2 of 4 right.
  const std::string out = fresh_dir("04_layers_title");
  const RunResult run =
      run_chapter("04_layers", out, "--scale 0.1", "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  std::ifstream script(out + "/hidden_space.gp");
  const std::string text((std::istreambuf_iterator<char>(script)),
                         std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("the output line gets 2 of 4 right"));
  CHECK_THAT(text, !Catch::Contains("now one line does"));
}
