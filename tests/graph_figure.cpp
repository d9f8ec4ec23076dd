// Tests for common/graph_figure.hpp: the computation graph is drawn from the numbers given,
// and its CSV holds every value, gradient and local derivative.
#include <catch2/catch.hpp>

#include <fstream>
#include <limits>
#include <stdexcept>

#include "common/graph_figure.hpp"
#include "support/chapter_run.hpp"

namespace {

std::vector<nn::test::CsvRow> csv_rows(const nn::Figure& fig, const std::string& test_name) {
  const std::string path = nn::test::fresh_dir(test_name) + "/" + fig.name() + ".csv";
  std::ofstream(path) << fig.csv();
  return nn::test::read_figure_csv(path);
}

// z = w x with w = 3, x = 2, and L = z: dL/dz = 1, dL/dw = x = 2, dL/dx = w = 3.
std::vector<nn::GraphNode> product_nodes() {
  return {{"w", "w", 0, 1, 3.0, 2.0, 1},
          {"x", "x", 0, -1, 2.0, 3.0, 0},
          {"z", "z", 2, 0, 6.0, 1.0, 7}};
}

}  // namespace

TEST_CASE("a graph's CSV holds each node's value and gradient and each edge's derivative",
          "[graph_figure]") {
  const std::vector<nn::GraphNode> nodes = product_nodes();
  const std::vector<nn::GraphEdge> edges = {{0, 2, 2.0, "∂z/∂w = x"}, {1, 2, 3.0, "∂z/∂x = w"}};
  nn::Figure fig("graph_small");
  nn::draw_graph(fig, nodes, edges);
  const auto rows = csv_rows(fig, "graph_small");
  for (const nn::GraphNode& n : nodes) {
    CAPTURE(n.id);
    const auto value = nn::test::series_rows(rows, n.id);
    REQUIRE(value.size() == 1);
    CHECK(value[0].value == n.value);
    CHECK(value[0].x == n.x);
    CHECK(value[0].y == n.y);
    const auto gradient = nn::test::series_rows(rows, "dL/d" + n.id);
    REQUIRE(gradient.size() == 1);
    CHECK(gradient[0].value == n.gradient);
  }
  // An edge: two rows, from its start towards its end, with the local derivative.
  const auto w_to_z = nn::test::series_rows(rows, "w -> z");
  REQUIRE(w_to_z.size() == 2);
  CHECK(w_to_z[0].value == 2.0);
  CHECK(w_to_z[0].x < w_to_z[1].x);
  CHECK(nn::test::series_rows(rows, "x -> z").at(1).value == 3.0);
  // The labels are drawn: each edge's derivative and each node's numbers are in the script.
  const std::string script = fig.script();
  CHECK_THAT(script, Catch::Contains("∂z/∂w = x = 2"));
  CHECK_THAT(script, Catch::Contains("∂L/∂w = 2"));
  CHECK_THAT(script, Catch::Contains("= 6"));
}

TEST_CASE("a graph refuses edges that join no nodes and numbers that are not finite",
          "[graph_figure]") {
  nn::Figure fig("graph_bad");
  std::vector<nn::GraphNode> nodes = product_nodes();
  CHECK_THROWS_AS(nn::draw_graph(fig, nodes, {{0, 3, 1.0, "?"}}), std::invalid_argument);
  CHECK_THROWS_AS(nn::draw_graph(fig, nodes, {{1, 1, 1.0, "?"}}), std::invalid_argument);
  CHECK_THROWS_AS(
      nn::draw_graph(fig, nodes, {{0, 2, std::numeric_limits<double>::infinity(), "?"}}),
      std::invalid_argument);
  nodes[2].gradient = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(nn::draw_graph(fig, nodes, {}), std::invalid_argument);
}
