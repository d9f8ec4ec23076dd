// Tests for common/diagram.hpp: the network diagram is drawn from the network's own numbers.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "common/diagram.hpp"
#include "support/chapter_run.hpp"

using nn::test::CsvRow;

namespace {

// The rows of a figure's CSV, read back the way a reader (or a chapter test) would.
std::vector<CsvRow> csv_rows(const nn::Figure& fig, const std::string& test_name) {
  const std::string path = nn::test::fresh_dir(test_name) + "/" + fig.name() + ".csv";
  std::ofstream(path) << fig.csv();
  return nn::test::read_figure_csv(path);
}

// The rows of every series whose name starts with prefix.
std::vector<CsvRow> rows_starting(const std::vector<CsvRow>& rows, const std::string& prefix) {
  std::vector<CsvRow> out;
  for (const CsvRow& r : rows)
    if (r.series.rfind(prefix, 0) == 0) out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE("every weight of a small network is one edge whose value is the weight",
          "[diagram]") {
  const arma::mat W1 = {{1.5, -2.0}, {0.25, 3.0}}, W2 = {{-4.0, 0.5}};
  const arma::vec b1 = {0.1, -0.2}, b2 = {0.3};
  nn::Figure fig("diagram_small");
  nn::draw_network(fig, {2, 2, 1}, {W1, W2}, {b1, b2}, {"sigmoid", "sigmoid"});
  const auto rows = csv_rows(fig, "diagram_small");

  // W_l(i, j) is the series "Wl(i,j)" (counted from 1): two rows, the edge's two ends.
  for (arma::uword i = 0; i < 2; ++i)
    for (arma::uword j = 0; j < 2; ++j) {
      const std::string name =
          "W1(" + std::to_string(i + 1) + "," + std::to_string(j + 1) + ")";
      CAPTURE(name);
      const auto edge = nn::test::series_rows(rows, name);
      REQUIRE(edge.size() == 2);
      CHECK(edge[0].value == W1(i, j));
      CHECK(edge[1].value == W1(i, j));
      CHECK(edge[0].x < edge[1].x);  // from the input column to the hidden column
    }
  CHECK(nn::test::series_rows(rows, "W2(1,1)").at(0).value == -4.0);
  CHECK(nn::test::series_rows(rows, "W2(1,2)").at(0).value == 0.5);
  CHECK(rows_starting(rows, "W").size() == 2 * (4 + 2));

  // One point per unit; a unit's value is its bias, the inputs have none.
  const auto inputs = nn::test::series_rows(rows, "input layer units");
  const auto hidden = nn::test::series_rows(rows, "hidden layer units");
  const auto output = nn::test::series_rows(rows, "output layer units");
  REQUIRE(inputs.size() == 2);
  REQUIRE(hidden.size() == 2);
  REQUIRE(output.size() == 1);
  CHECK(std::isnan(inputs[0].value));
  CHECK(hidden[0].value == 0.1);
  CHECK(hidden[1].value == -0.2);
  CHECK(output[0].value == 0.3);
  // Columns left to right, first unit on top.
  CHECK(inputs[0].x < hidden[0].x);
  CHECK(hidden[0].x < output[0].x);
  CHECK(hidden[0].y > hidden[1].y);
  // An edge starts at its input unit and ends at its hidden unit.
  const auto w12 = nn::test::series_rows(rows, "W1(1,2)");
  CHECK(w12[0].y == inputs[1].y);
  CHECK(w12[1].y == hidden[0].y);

  // A small network has its weights and biases written on the drawing.
  const std::string script = fig.script();
  CHECK_THAT(script, Catch::Contains("set label '-4' at"));
  CHECK_THAT(script, Catch::Contains("set label 'b = -0.2' at"));
  CHECK_THAT(script, Catch::Contains("hidden layer"));
  CHECK_THAT(script, Catch::Contains("2 units, sigmoid"));
  CHECK_THAT(script, Catch::Contains("W_1  (2 × 2)"));
}

TEST_CASE("edges are orange for positive weights, blue for negative, wider when larger",
          "[diagram]") {
  const arma::mat W1 = {{2.0, -0.5}}, W2(1, 1, arma::fill::ones);
  nn::Figure fig("diagram_style");
  nn::draw_network(fig, {2, 1, 1}, {W1, W2});
  const std::string script = fig.script();
  // The edges are the first three series, in order W1(1,1), W1(1,2), W2(1,1).
  const std::string orange = "lc rgb '" + nn::colour(1) + "'";
  const std::string blue = "lc rgb '" + nn::colour(0) + "'";
  const auto clause = [&](int k) {
    const std::string key = "$p1s" + std::to_string(k) + " using";
    const std::size_t at = script.find(key);
    REQUIRE(at != std::string::npos);
    return script.substr(at, script.find('\n', at) - at);
  };
  CHECK_THAT(clause(0), Catch::Contains(orange));
  CHECK_THAT(clause(1), Catch::Contains(blue));
  CHECK_THAT(clause(2), Catch::Contains(orange));
  const auto width = [&](int k) {
    const std::string c = clause(k);
    return std::stod(c.substr(c.find(" lw ") + 4));
  };
  CHECK(width(0) > width(2));  // |2| > |1|
  CHECK(width(2) > width(1));  // |1| > |-0.5|
}

TEST_CASE("activation names are written as they are, not as gnuplot markup", "[diagram]") {
  nn::Figure fig("diagram_names");
  nn::draw_network(fig, {2, 1}, {arma::mat(1, 2, arma::fill::ones)}, {}, {"leaky_relu"});
  // In gnuplot's enhanced text "_r" would be a subscript r; "\_" is an underscore.
  CHECK_THAT(fig.script(), Catch::Contains("1 unit, leaky\\_relu"));
}

TEST_CASE("a large layer draws its first and last units around a gap", "[diagram]") {
  arma::arma_rng::set_seed(7);
  const std::vector<arma::uword> sizes = {784, 256, 128, 10};
  const std::vector<arma::mat> W = {arma::randn(256, 784), arma::randn(128, 256),
                                    arma::randn(10, 128)};
  nn::Figure fig("diagram_large");
  nn::draw_network(fig, sizes, W, {}, {"relu", "relu", "softmax"});
  const auto rows = csv_rows(fig, "diagram_large");

  // With the default max_units = 16, a larger layer draws its first 7 and last 7 units.
  CHECK(nn::test::series_rows(rows, "input layer units").size() == 14);
  CHECK(nn::test::series_rows(rows, "hidden layer 1 units").size() == 14);
  CHECK(nn::test::series_rows(rows, "hidden layer 2 units").size() == 14);
  CHECK(nn::test::series_rows(rows, "output layer units").size() == 10);
  // Edges only between drawn units: 14 x 14 + 14 x 14 + 10 x 14, two rows each.
  CHECK(rows_starting(rows, "W").size() == 2 * (14 * 14 + 14 * 14 + 10 * 14));
  // The drawn edges are the right weights: unit 256 from input 784, and none in the gap.
  // (The CSV holds 10 significant digits, and these weights are random.)
  constexpr double kCsvDigits = 1e-9;
  CHECK(nn::test::series_rows(rows, "W1(256,784)").at(0).value ==
        Approx(W[0](255, 783)).epsilon(kCsvDigits));
  CHECK(nn::test::series_rows(rows, "W1(1,1)").at(0).value ==
        Approx(W[0](0, 0)).epsilon(kCsvDigits));
  CHECK(nn::test::series_rows(rows, "W1(100,400)").empty());
  CHECK(nn::test::series_rows(rows, "W3(10,128)").at(1).value ==
        Approx(W[2](9, 127)).epsilon(kCsvDigits));
  // The gap is marked, and too many weights to write any of them.
  const std::string script = fig.script();
  CHECK_THAT(script, Catch::Contains("⋮"));
  CHECK_THAT(script, Catch::Contains("(first 7, last 7 drawn)"));
  CHECK_THAT(script, !Catch::Contains("boxed"));
  // Every unit of a 16-unit layer is drawn.
  nn::Figure mid("diagram_mid");
  nn::draw_network(mid, {2, 16, 3}, {arma::mat(16, 2, arma::fill::ones), arma::mat(3, 16)});
  CHECK(nn::test::series_rows(csv_rows(mid, "diagram_mid"), "hidden layer units").size() == 16);
}

TEST_CASE("sizes, weights, biases and activations that do not fit are refused", "[diagram]") {
  const arma::mat W1(2, 2, arma::fill::ones), W2(1, 2, arma::fill::ones);
  const arma::vec b1(2, arma::fill::zeros), b2(1, arma::fill::zeros);
  nn::Figure fig("diagram_bad");
  using std::invalid_argument;
  CHECK_NOTHROW(nn::draw_network(fig, {2, 2, 1}, {W1, W2}, {b1, b2}, {"relu", "sigmoid"}));
  CHECK_THROWS_AS(nn::draw_network(fig, {2}, {}), invalid_argument);              // 1 layer
  CHECK_THROWS_AS(nn::draw_network(fig, {2, 0, 1}, {W1, W2}), invalid_argument);  // empty
  CHECK_THROWS_AS(nn::draw_network(fig, {2, 2, 1}, {W1}), invalid_argument);      // one W
  CHECK_THROWS_AS(nn::draw_network(fig, {2, 2, 1}, {W2, W1}), invalid_argument);  // swapped
  CHECK_THROWS_AS(nn::draw_network(fig, {3, 2, 1}, {W1, W2}), invalid_argument);  // 3 in
  CHECK_THROWS_AS(nn::draw_network(fig, {2, 2, 1}, {W1.t(), W2.t()}), invalid_argument);
  CHECK_THROWS_AS(nn::draw_network(fig, {2, 2, 1}, {W1, W2}, {b1}), invalid_argument);
  CHECK_THROWS_AS(nn::draw_network(fig, {2, 2, 1}, {W1, W2}, {b2, b1}), invalid_argument);
  CHECK_THROWS_AS(nn::draw_network(fig, {2, 2, 1}, {W1, W2}, {}, {"relu"}), invalid_argument);
  arma::mat W_nan = W1;
  W_nan(0, 1) = arma::datum::nan;
  CHECK_THROWS_AS(nn::draw_network(fig, {2, 2, 1}, {W_nan, W2}), invalid_argument);
  CHECK_THROWS_WITH(nn::draw_network(fig, {2, 3, 1}, {W1, W2}),
                    Catch::Contains("W1 is 2x2 but must be 3x2"));
  CHECK_THROWS_AS(nn::draw_network(fig, {2, 2, 1}, {W1, W2}, {}, {}, {.max_units = 3}),
                  invalid_argument);
}

TEST_CASE("gnuplot accepts the diagrams of a small and a large network", "[diagram]") {
  // gnuplot stops at a script error and save() then throws: this renders both kinds of
  // drawing, the one with written weights and boxed labels and the one with gaps.
  const std::string dir = nn::test::fresh_dir("diagram_render");
  arma::arma_rng::set_seed(3);
  nn::Figure small("small", 900, 560);
  small.title("2-2-1");
  nn::draw_network(small, {2, 2, 1}, {arma::randn(2, 2), arma::randn(1, 2)},
                   {arma::randn(2), arma::randn(1)}, {"tanh", "sigmoid"});
  nn::Figure large("large", 900, 560);
  large.title("40-20-3");
  nn::draw_network(large, {40, 20, 3}, {arma::randn(20, 40), arma::randn(3, 20)});
  REQUIRE_NOTHROW(small.save(dir));
  REQUIRE_NOTHROW(large.save(dir));
  if (nn::gnuplot_available()) {
    CHECK(std::filesystem::file_size(dir + "/small.png") > 1000);
    CHECK(std::filesystem::file_size(dir + "/large.png") > 1000);
  }
}
